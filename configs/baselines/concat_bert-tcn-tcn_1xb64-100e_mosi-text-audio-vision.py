_base_ = ['../_base_/bert-tcn-tcn_1xb64-100e_mosi-text-audio-vision.py']
# Late concatenation of the time-averaged deepest features (ConcatFusion takes
# no padding masks: padded steps, zeros, count in its average).
model = dict(neck=dict(type='ConcatFusion'))
