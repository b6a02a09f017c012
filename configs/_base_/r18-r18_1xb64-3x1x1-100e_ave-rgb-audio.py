# The neutral base of every AVE clip-classification config: two ResNet-18s
# from scratch, 28 events, the paper's SGD schedule. Each config adds its
# neck (CLCR and the baselines are siblings).
_base_ = [
    'mmaction::_base_/default_runtime.py',
    'models/r18_rgb_audio.py',
    'datasets/ave_rgb_audio.py',
    'schedules/sgd_100e.py',
]
custom_imports = dict(imports=['clcr_plugin'], allow_failed_imports=False)

# Real input sizes for the build-time dry run: 224x224 frames, 128 mel bands
# x 1000 hops (10 s).
model = dict(
    dry_run_inputs=dict(rgb=(3, 224, 224), audio=(1, 128, 1000)),
    cls_head=dict(num_classes=28))

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=5, save_best='auto', max_keep_ckpts=3))
