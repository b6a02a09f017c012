_base_ = ['../clcr/clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# Late concatenation of the pooled deepest features.
model = dict(neck=dict(_delete_=True, type='ConcatFusion', in_channels=dict(rgb=512, audio=512)),
             cls_head=dict(in_channels=1024))
