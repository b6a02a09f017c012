# The hard variant of the synthetic set (tools/data/synthetic_av/generate.py
# --variant hard; README
# "Harder variant"): the same pipelines as the default set, another data root.
_base_ = ['./synthetic_av_rgb_audio.py']
data_root = 'data/synthetic_av_hard'
train_dataloader = dict(
    dataset=dict(
        ann_file=f'{data_root}/train.json', data_prefix=dict(video=data_root)))
val_dataloader = dict(
    dataset=dict(
        ann_file=f'{data_root}/val.json', data_prefix=dict(video=data_root)))
test_dataloader = dict(
    dataset=dict(
        ann_file=f'{data_root}/test.json', data_prefix=dict(video=data_root)))
