_base_ = ['../_base_/r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']

# Level tokens: RGB stages give (C, 3 frames, H, W) maps, audio stages (C, F, T).
# in_channels and the RGB grids come from the backbones (default grids); the
# audio grids keep more time tokens at the shallow level than the default (2, 4).
model = dict(
    neck=dict(
        type='CLCRFusion',
        modalities=dict(rgb=dict(), audio=dict(grids=[(2, 8), (2, 4), (1, 4)])),
        embed_dim=128,
        shared_dim=64,
        private_dim=32,
        num_heads=4,
        hidden_dim=64,
        budget=dict(init_rate=0.68, min_rate=0.1, max_rate=1.0),
        lambda_intra=0.1,
        lambda_pr=0.1,
        lambda_sp=0.1,
        lambda_mix=0.1))

custom_hooks = [dict(type='CLCRDiagnosticsHook')]
