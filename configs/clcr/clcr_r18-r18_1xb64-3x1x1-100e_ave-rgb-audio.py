_base_ = ['../_base_/r18-r18_1xb64-3x1x1-100e_ave-rgb-audio.py']

# CLCR with the documented widths of the synthetic config (d 256, d_sh 128,
# d_pr 64; head input 768 filled in from the neck); in_channels and token
# grids come from the backbones. The regularisers start after 100 steps
# (about 2 epochs of AVE's 3,339 training clips at batch 64).
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
        reg_warmup=100))

custom_hooks = [dict(type='CLCRDiagnosticsHook')]
