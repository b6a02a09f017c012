_base_ = ['../clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# Ablation (the paper's table): without InterCAD: uniform level weights, plain
# mean over modalities, no private gates.
model = dict(neck=dict(inter_cad=False))
