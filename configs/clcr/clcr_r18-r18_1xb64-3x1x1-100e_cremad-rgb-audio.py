_base_ = ['../_base_/r18-r18_1xb64-3x1x1-100e_cremad-rgb-audio.py']

# The neck of clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py (see that file
# and docs/choices.md, "Training CLCR end to end", for the settings): level
# tokens from ResNet stages 2-4 of each modality; in_channels and the RGB
# grids come from the backbones, the audio grids keep more time tokens at the
# shallow level.
model = dict(
    neck=dict(
        type='CLCRFusion',
        modalities=dict(
            rgb=dict(), audio=dict(grids=[(2, 8), (2, 4), (1, 4)])),
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

custom_hooks = [
    dict(type='CLCRDiagnosticsHook'),
    dict(type='BadDataSummaryHook')
]
