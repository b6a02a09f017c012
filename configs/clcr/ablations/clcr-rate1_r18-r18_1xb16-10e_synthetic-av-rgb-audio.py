_base_ = ['../clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# Ablation (the paper's table): fixed participation rate r = 1: dense exchange
# of the shared tokens.
model = dict(neck=dict(budget=dict(_delete_=True, fixed_rate=1.0)))
