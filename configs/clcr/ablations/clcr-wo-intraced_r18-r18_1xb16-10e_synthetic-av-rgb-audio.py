_base_ = ['../clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# Ablation (the paper's table): without IntraCED: no shared/private split, no
# budget; whole tokens are exchanged densely.
model = dict(neck=dict(intra_ced=False))
