_base_ = ['../_base_/bert-tcn-tcn_1xb64-100e_mosi-text-audio-vision.py']

# Three levels per modality from the backbones' three outputs, each pooled
# (mask-aware: padded steps never count) to the default 8 tokens; in_channels
# come from the backbones. Widths and weights as the audio-visual configs (d
# 256, d_sh 128, d_pr 64, lambdas 0.1; docs/choices.md).
model = dict(
    neck=dict(
        type='CLCRFusion',
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
