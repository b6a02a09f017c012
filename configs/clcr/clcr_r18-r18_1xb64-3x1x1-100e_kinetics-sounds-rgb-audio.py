_base_ = ['../_base_/r18-r18_1xb64-3x1x1-100e_kinetics-sounds-rgb-audio.py']

# The neck of clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py (see that file
# and docs/choices.md, "Training CLCR end to end", for the settings): level
# tokens from ResNet stages 2-4 of each modality; in_channels and the RGB
# grids come from the backbones, the audio grids keep more time tokens at the
# shallow level.
# Every CLCR setting not written here is CLCR's default
# (docs/config_reference.md).
model = dict(
    neck=dict(
        type='CLCRFusion',
        modalities=dict(
            rgb=dict(), audio=dict(grids=[(2, 8), (2, 4), (1, 4)])),
        private_fusion='concat',
        reg_warmup=60,
        output_norm=True))

custom_hooks = [
    dict(type='CLCRDiagnosticsHook'),
    dict(type='BadDataSummaryHook')
]
