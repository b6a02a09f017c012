_base_ = ['../clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# Ablation (the paper's sweep over r): fixed participation rate r = 0.5. At
# most half of each modality's shared tokens open, so the exchange gathers
# half the tokens and skips the rest (what the token budget saves in compute).
model = dict(neck=dict(budget=dict(_delete_=True, fixed_rate=0.5)))
