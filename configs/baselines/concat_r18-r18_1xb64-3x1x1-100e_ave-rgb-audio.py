_base_ = ['../_base_/r18-r18_1xb64-3x1x1-100e_ave-rgb-audio.py']
# Late concatenation of the pooled deepest features.
model = dict(neck=dict(type='ConcatFusion'))
