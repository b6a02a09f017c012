_base_ = ['../_base_/r18-r18_1xb64-10x1x1-100e_ave-loc-rgb-audio.py']

# CLCR fuses every one-second segment (frame + 1 s of log-mel) on its own;
# the same neck settings as the AVE clip-classification config. A step sees
# 64 clips x 10 segments, so the regulariser memory (256 summaries) holds
# the last fraction of a batch, and the regularisers start after 100 steps.
# Every CLCR setting not written here is CLCR's default
# (docs/config_reference.md).
model = dict(
    neck=dict(
        type='CLCRFusion',
        private_fusion='concat',
        reg_warmup=100,
        output_norm=True))

custom_hooks = [dict(type='CLCRDiagnosticsHook')]
