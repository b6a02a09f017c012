_base_ = ['../clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# Ablation (the paper's table): full mix: every level's tokens of a modality in
# one sequence (a single semantic space).
model = dict(neck=dict(full_mix=True))
