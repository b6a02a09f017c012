# The neutral base of the UCF101 RGB + flow configs: two 2D ResNet-18s, the
# rawframe data (3 frames + 3 flow stacks of 5), the paper's SGD 100-epoch
# schedule, batch 64. Each config adds its neck (CLCR and the baselines are
# siblings).
_base_ = [
    'mmaction::_base_/default_runtime.py',
    'models/r18_rgb_flow.py',
    'datasets/ucf101_split1_rgb_flow.py',
    'schedules/sgd_100e.py',
]
custom_imports = dict(imports=['clcr_plugin'], allow_failed_imports=False)

# The build-time dry run uses the real input sizes (224 x 224; flow 2 x 5
# channels), so the default token grids follow the real feature maps.
model = dict(dry_run_inputs=dict(rgb=(3, 224, 224), flow=(10, 224, 224)))

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=5, save_best='auto', max_keep_ckpts=2))
