_base_ = [
    'mmaction::_base_/default_runtime.py',
    '../_base_/models/r18_rgb_audio.py',
    '../_base_/datasets/synthetic_av_rgb_audio.py',
    '../_base_/schedules/adamw_10e.py',
]
custom_imports = dict(imports=['clcr_plugin'], allow_failed_imports=False)

# Level tokens: RGB stages give (C, 3 frames, H, W) maps, audio stages (C, F, T).
model = dict(
    neck=dict(
        type='CLCRFusion',
        modalities=dict(
            rgb=dict(in_channels=[128, 256, 512], grids=[(3, 2, 2), (3, 2, 2), (3, 1, 1)]),
            audio=dict(in_channels=[128, 256, 512], grids=[(2, 8), (2, 4), (1, 4)])),
        embed_dim=128,
        shared_dim=64,
        private_dim=32,
        num_heads=4,
        hidden_dim=64,
        budget=dict(init_rate=0.68, min_rate=0.1, max_rate=1.0),
        lambda_intra=0.1,
        lambda_inter=0.1),
    cls_head=dict(in_channels=96))

default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=5, save_best='auto', max_keep_ckpts=2))
