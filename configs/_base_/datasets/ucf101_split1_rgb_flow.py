# UCF101 split 1 as RGB frames + optical flow in mmaction2's rawframe layout,
# prepared by tools/data/ucf101/convert.py (or denseflow, see
# docs/rgb_flow.md): one folder per video with img_/x_/y_00001.jpg ...
# Each sample: 3 consecutive frames (3x1x1) of RGB and, at the same
# positions, stacks of flow_stack_len flows. Training: random resized crop +
# flip (the flow's x is negated on flips), 224x224; testing: resize to
# 224x224, as the paper's protocol. UCF101 has no validation split: the
# test list serves both (as in mmaction2's UCF101 configs).
dataset_type = 'MultiModalRawframeDataset'
data_root = 'data/ucf101'
split = 1
flow_stack_len = 5  # the flow backbone takes 2 x 5 = 10 channels

sample = dict(clip_len=3, frame_interval=1, num_clips=1)
decode = [
    dict(type='RawFrameDecode'),
    dict(type='DecodeFlowStacks', stack_len=flow_stack_len),
]
format_and_pack = [
    dict(type='FormatFrameStacks', keys=('imgs', 'flows')),
    dict(
        type='PackMultiModalInputs', modalities=dict(rgb='imgs',
                                                     flow='flows')),
]
train_pipeline = [
    dict(type='SampleFrames', **sample),
    *decode,
    dict(
        type='SyncedFrameTransforms',
        transforms=[
            dict(type='RandomResizedCrop'),
            dict(type='Resize', scale=(224, 224), keep_ratio=False),
            dict(type='Flip', flip_ratio=0.5),
        ]),
    *format_and_pack,
]
val_pipeline = [
    dict(type='SampleFrames', test_mode=True, **sample),
    *decode,
    dict(
        type='SyncedFrameTransforms',
        transforms=[dict(type='Resize', scale=(224, 224), keep_ratio=False)]),
    *format_and_pack,
]
test_pipeline = val_pipeline


def rawframe_set(list_kind: str, pipeline: list, test_mode: bool) -> dict:
    """One split's dataset: mmaction2's list name, the class map."""
    return dict(
        type=dataset_type,
        ann_file=f'{data_root}/ucf101_{list_kind}_split_{split}_rawframes.txt',
        data_prefix=dict(img=f'{data_root}/rawframes'),
        metainfo=dict(classes=f'{data_root}/classes.txt'),
        pipeline=pipeline,
        test_mode=test_mode)


train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=rawframe_set('train', train_pipeline, False))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=rawframe_set('val', val_pipeline, True))
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=rawframe_set('val', test_pipeline, True))
del rawframe_set

val_evaluator = [dict(type='AccMetric'), dict(type='MacroF1Metric')]
test_evaluator = val_evaluator
