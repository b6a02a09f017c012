_base_ = ['../clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# Ablation (the paper's table): the paper's literal level aggregation:
# omega-weighted sum of the levels, no residual shared context.
model = dict(neck=dict(level_fusion='sum', shared_residual=False))
