# The synthetic audio-visual set (tools/data/synthetic_av/generate.py):
# 3 RGB frames per clip at 32x32 + a 2 s log-mel window (40 bands, 20 ms hop).
dataset_type = 'AudioVisualDataset'
data_root = 'data/synthetic_av'
audio_cfg = dict(
    sample_rate=16000, n_fft=512, hop_length=320, win_length=400, n_mels=40)
# Shared by every pipeline: frame layout, one audio window per sampled clip,
# packing.
format_audio_and_pack = [
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='LoadAudioLogMel', **audio_cfg),
    dict(type='SampleAudioWindows', window_seconds=2.0),
    dict(
        type='PackMultiModalInputs',
        modalities=dict(rgb='imgs', audio='audios')),
]

train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=3, frame_interval=4, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
] + format_audio_and_pack
val_pipeline = [
    dict(type='DecordInit'),
    dict(
        type='SampleFrames',
        clip_len=3,
        frame_interval=4,
        num_clips=1,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
] + format_audio_and_pack
# Two views per clip at test time; their scores are averaged.
test_pipeline = [
    dict(type='DecordInit'),
    dict(
        type='SampleFrames',
        clip_len=3,
        frame_interval=4,
        num_clips=2,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
] + format_audio_and_pack

train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/train.json',
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/val.json',
        data_prefix=dict(video=data_root),
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/test.json',
        data_prefix=dict(video=data_root),
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = [dict(type='AccMetric'), dict(type='MacroF1Metric')]
test_evaluator = val_evaluator
