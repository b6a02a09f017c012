_base_ = ['../_base_/r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# Late concatenation of the pooled deepest features.
model = dict(neck=dict(type='ConcatFusion'))
