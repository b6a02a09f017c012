_base_ = ['../clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# Ablation (the paper's table): without hierarchy: the deepest level of each
# modality only.
model = dict(neck=dict(hierarchy=False))
