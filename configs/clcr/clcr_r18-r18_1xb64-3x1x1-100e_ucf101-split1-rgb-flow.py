_base_ = ['../_base_/r18-r18_1xb64-3x1x1-100e_ucf101-split1-rgb-flow.py']

# Level tokens: both modalities give (C, 3 frames, H, W) maps from 2D
# ResNet-18 stages 2-4; in_channels and the token grids come from the
# backbones (default grids). The settings are those of the audio-visual CLCR
# configs (docs/choices.md, "Training CLCR end to end").
# Every CLCR setting not written here is CLCR's default
# (docs/config_reference.md).
model = dict(
    neck=dict(
        type='CLCRFusion',
        modalities=dict(rgb=dict(), flow=dict()),
        private_fusion='concat',
        reg_warmup=60,
        output_norm=True))

custom_hooks = [dict(type='CLCRDiagnosticsHook')]
