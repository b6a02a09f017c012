_base_ = ['../clcr/clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# MulT-style dense cross-modal attention on all tokens of the deepest level.
model = dict(
    neck=dict(_delete_=True, type='DenseCrossAttnFusion', in_channels=dict(rgb=512, audio=512),
              grids=dict(rgb=(3, 1, 1), audio=(1, 4)), embed_dim=128, num_heads=4),
    cls_head=dict(in_channels=256))
