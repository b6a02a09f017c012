# The neutral base of every AVE localisation config: two ResNet-18s from
# scratch, the paper's SGD schedule, and a head that classifies each second
# (28 events + background). Each 1 s segment (1 frame, 1 s of log-mel) is one
# view of the recognizer (frames_per_view=1), so the neck fuses every segment
# on its own: a batch of 64 clips is 640 fused segments.
_base_ = [
    'mmaction::_base_/default_runtime.py',
    'models/r18_rgb_audio.py',
    'datasets/ave_loc_rgb_audio.py',
    'schedules/sgd_100e.py',
]
custom_imports = dict(imports=['clcr_plugin'], allow_failed_imports=False)

model = dict(
    frames_per_view=dict(rgb=1),
    # real input sizes for the dry run: 224x224 frames, 128 bands x 100 hops
    dry_run_inputs=dict(rgb=(3, 224, 224), audio=(1, 128, 100)),
    cls_head=dict(
        _delete_=True,
        type='SegmentClsHead',
        num_classes=29,
        dropout_ratio=0.0))

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=5, save_best='auto', max_keep_ckpts=3))
