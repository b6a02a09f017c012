# The neutral base of every config on the synthetic audio-visual set: two
# ResNet-18s, the data, the 10-epoch CPU schedule. Each config adds its neck
# (CLCR and the baselines are siblings).
_base_ = [
    'mmaction::_base_/default_runtime.py',
    'models/r18_rgb_audio.py',
    'datasets/synthetic_av_rgb_audio.py',
    'schedules/adamw_10e.py',
]
custom_imports = dict(imports=['clcr_plugin'], allow_failed_imports=False)

# The build-time dry run uses the set's real input sizes, so the default token
# grids follow the real feature maps: 32x32 frames, 40 mel bands x 100 hops
# (2 s).
model = dict(dry_run_inputs=dict(rgb=(3, 32, 32), audio=(1, 40, 100)))

default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=5, save_best='auto', max_keep_ckpts=2))
# What the datasets' bad_data policy skipped or filled, logged every epoch
# (docs/troubleshooting.md, "Data"); configs that set custom_hooks list it too.
custom_hooks = [dict(type='BadDataSummaryHook')]
