_base_ = ['../_base_/r18-r18_1xb64-3x1x1-100e_ucf101-split1-rgb-flow.py']

# Level tokens: both modalities give (C, 3 frames, H, W) maps from 2D
# ResNet-18 stages 2-4; in_channels and the token grids come from the
# backbones (default grids). The settings are those of the audio-visual CLCR
# configs (docs/choices.md, "Training CLCR end to end").
model = dict(
    neck=dict(
        type='CLCRFusion',
        modalities=dict(rgb=dict(), flow=dict()),
        embed_dim=256,
        shared_dim=128,
        private_dim=64,
        num_heads=4,
        hidden_dim=128,
        budget=dict(init_rate=0.68, min_rate=0.1, max_rate=1.0),
        private_fusion='concat',
        level_fusion='concat',
        shared_residual=True,
        lambda_intra=0.1,
        lambda_pr=0.1,
        lambda_sp=0.1,
        lambda_mix=0.1,
        reg_memory=256,
        reg_warmup=60))

custom_hooks = [dict(type='CLCRDiagnosticsHook')]
