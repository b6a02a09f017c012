# The neutral base of every config on CREMA-D: two ResNet-18s from scratch,
# the data (3 frames x 224 + a 3 s log-mel), the paper's SGD 100-epoch
# schedule. Each config adds its neck (CLCR and the baselines are siblings).
_base_ = [
    'mmaction::_base_/default_runtime.py',
    'models/r18_rgb_audio.py',
    'datasets/cremad_rgb_audio.py',
    'schedules/sgd_100e.py',
]
custom_imports = dict(imports=['clcr_plugin'], allow_failed_imports=False)

# num_classes: the 6 emotions of tools/data/cremad/convert.py. The build-time
# dry run uses the real input sizes: 224x224 frames, 128 mel bands x 300
# hops (3 s).
model = dict(
    cls_head=dict(num_classes=6),
    dry_run_inputs=dict(rgb=(3, 224, 224), audio=(1, 128, 300)))

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=5, save_best='auto', max_keep_ckpts=2))
# What the datasets' bad_data policy skipped or filled, logged every epoch
# (docs/troubleshooting.md, "Data"); configs that set custom_hooks list it too.
custom_hooks = [dict(type='BadDataSummaryHook')]
