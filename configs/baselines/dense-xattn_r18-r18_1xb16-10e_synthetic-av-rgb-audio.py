_base_ = ['../_base_/r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# MulT-style dense cross-modal attention on all tokens of the deepest level;
# RGB gets the default grid (3, 1, 1), audio one row of 4 time tokens.
model = dict(
    neck=dict(
        type='DenseCrossAttnFusion',
        grids=dict(audio=(1, 4)),
        embed_dim=128,
        num_heads=4))
