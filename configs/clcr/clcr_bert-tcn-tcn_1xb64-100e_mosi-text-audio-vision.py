_base_ = ['../_base_/bert-tcn-tcn_1xb64-100e_mosi-text-audio-vision.py']

# Three levels per modality from the backbones' three outputs, each pooled
# (mask-aware: padded steps never count) to the default 8 tokens; in_channels
# come from the backbones. Widths and weights as the audio-visual configs (d
# 256, d_sh 128, d_pr 64, lambdas 0.1; docs/choices.md).
# Every CLCR setting not written here is CLCR's default
# (docs/config_reference.md).
model = dict(
    neck=dict(
        type='CLCRFusion',
        private_fusion='concat',
        reg_warmup=60,
        output_norm=True))

custom_hooks = [dict(type='CLCRDiagnosticsHook')]
