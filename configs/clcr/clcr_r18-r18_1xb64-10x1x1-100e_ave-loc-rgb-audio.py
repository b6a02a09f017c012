_base_ = ['../_base_/r18-r18_1xb64-10x1x1-100e_ave-loc-rgb-audio.py']

# CLCR fuses every one-second segment (frame + 1 s of log-mel) on its own;
# the same neck settings as the AVE clip-classification config. A step sees
# 64 clips x 10 segments, so the regulariser memory (256 summaries) holds
# the last fraction of a batch, and the regularisers start after 100 steps.
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
