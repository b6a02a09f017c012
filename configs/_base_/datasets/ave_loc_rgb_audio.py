# AVE per-second audio-visual event localisation (Tian et al., ECCV 2018):
# every 10 s clip is ten 1 s segments, each with one RGB frame (random within
# its second in training, the middle one in testing) and the log-mel of the
# same second (128 bands x 100 hops); labels are 28 events + background (28)
# per second, from tools/data/ave/convert.py.
dataset_type = 'SegmentAudioVisualDataset'
data_root = 'data/ave'
segment = dict(num_segments=10, segment_seconds=1.0, frames_per_segment=1)
audio_and_pack = [
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='LoadAudioLogMel'),
    dict(type='SampleSegmentAudio'),
    dict(
        type='PackMultiModalInputs',
        modalities=dict(rgb='imgs', audio='audios'),
        algorithm_keys=('segment_labels', )),
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
        num_segments=segment['num_segments'],
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
        num_segments=segment['num_segments'],
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
        num_segments=segment['num_segments'],
        pipeline=test_pipeline,
        test_mode=True))

# Accuracy over all seconds of the split, background included (the AVE
# literature's number), and over the event seconds only.
val_evaluator = dict(type='SegmentAccuracy')
test_evaluator = val_evaluator
