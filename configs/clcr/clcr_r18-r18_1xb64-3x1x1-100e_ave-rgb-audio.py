_base_ = ['../_base_/r18-r18_1xb64-3x1x1-100e_ave-rgb-audio.py']

# CLCR with the documented widths of the synthetic config (d 256, d_sh 128,
# d_pr 64; head input 768 filled in from the neck); in_channels and token
# grids come from the backbones. The regularisers start after 100 steps
# (about 2 epochs of AVE's 3,339 training clips at batch 64).
# Every CLCR setting not written here is CLCR's default
# (docs/config_reference.md).
model = dict(
    neck=dict(
        type='CLCRFusion',
        private_fusion='concat',
        reg_warmup=100,
        output_norm=True))

custom_hooks = [dict(type='CLCRDiagnosticsHook')]
