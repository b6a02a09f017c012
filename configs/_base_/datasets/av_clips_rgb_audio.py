# The paper's audio-visual protocol for real clips (CREMA-D, Kinetics-Sounds):
# 3 RGB frames spread over the clip (UniformSample; random within thirds for
# training, fixed for testing) at 224x224, and a 3 s log-mel window (128
# bands, 10 ms hop: a 1 x 128 x 300 image) centred on the frames' span. Each
# data set's base adds its paths and dataloaders (batch 64).
dataset_type = 'AudioVisualDataset'
# what the converters write (the defaults of AudioFeatureConfig); the features'
# audio_feature_config.json is checked against it
audio_cfg = dict(
    sample_rate=16000, n_fft=1024, hop_length=160, win_length=400, n_mels=128)
format_audio_and_pack = [
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='LoadAudioLogMel', **audio_cfg),
    dict(type='SampleAudioWindows', window_seconds=3.0),
    dict(
        type='PackMultiModalInputs',
        modalities=dict(rgb='imgs', audio='audios')),
]
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=3, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
] + format_audio_and_pack
val_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=3, num_clips=1, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
] + format_audio_and_pack
test_pipeline = val_pipeline
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, pipeline=val_pipeline, test_mode=True))
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, pipeline=test_pipeline, test_mode=True))

val_evaluator = [dict(type='AccMetric'), dict(type='MacroF1Metric')]
test_evaluator = val_evaluator
