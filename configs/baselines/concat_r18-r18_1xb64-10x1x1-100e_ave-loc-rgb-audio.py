_base_ = ['../_base_/r18-r18_1xb64-10x1x1-100e_ave-loc-rgb-audio.py']
# Late concatenation of the pooled deepest features of every 1 s segment.
model = dict(neck=dict(type='ConcatFusion'))
