_base_ = ['../clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# Ablation (the paper's table): without the regularisers (L_intra, L_pr, L_sp,
# L_mix all weighted 0).
model = dict(
    neck=dict(lambda_intra=0.0, lambda_pr=0.0, lambda_sp=0.0, lambda_mix=0.0))
