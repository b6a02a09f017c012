# AVE clip classification (the paper's number: 28 events, one label per clip),
# from tools/data/ave/convert.py: 3 RGB frames spread over the 10 s video
# (one per 3.3 s bin: random in training, the middle one in testing) and the
# log-mel of the whole 10 s (128 bands x 1000 hops, the converter's default
# settings, checked against its record by LoadAudioLogMel).
dataset_type = 'AudioVisualDataset'
data_root = 'data/ave'
# One 10 s segment: the frames and the audio window cover the same seconds.
segment = dict(num_segments=1, segment_seconds=10.0, frames_per_segment=3)
audio_and_pack = [
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='LoadAudioLogMel'),
    dict(type='SampleSegmentAudio'),
    dict(
        type='PackMultiModalInputs',
        modalities=dict(rgb='imgs', audio='audios')),
]
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleSegmentFrames', **segment),
    dict(type='DecordDecode'),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
] + audio_and_pack
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleSegmentFrames', test_mode=True, **segment),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
] + audio_and_pack

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/train.json',
        data_prefix=dict(video=data_root, audio=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/val.json',
        data_prefix=dict(video=data_root, audio=data_root),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/test.json',
        data_prefix=dict(video=data_root, audio=data_root),
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = [dict(type='AccMetric'), dict(type='MacroF1Metric')]
test_evaluator = val_evaluator
