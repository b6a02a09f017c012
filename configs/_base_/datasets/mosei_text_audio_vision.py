# CMU-MOSEI from the processed pickle (tools/data/mosi_mosei/README.md):
# train / valid / test = 16,326 / 1,871 / 4,659 utterances, sentiment in
# [-3, 3].
# Audio features are 74-d, vision features 35-d: the data owns these
# widths (feature_dims), which the config combining data and model gives the
# backbones as in_channels, with the model's text_key (token ids for BERT,
# 768-d features for a temporal conv net).
dataset_type = 'SentimentPickleDataset'
data_root = 'data/mosei'
ann_file = 'unaligned_50.pkl'
feature_dims = dict(audio=74, vision=35)

pipeline = [dict(type='PackSentimentInputs')]
_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file=ann_file,
    modalities=('text', 'audio', 'vision'),
    nonfinite='zero',
    pipeline=pipeline)
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_dataset, split='train'))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_dataset, split='valid', test_mode=True))
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_dataset, split='test', test_mode=True))

val_evaluator = dict(type='SentimentMetric')
test_evaluator = val_evaluator
