# The neutral base of every config on CMU-MOSI without `transformers`: a
# temporal conv net each for text (the pickle's 768-d BERT features), audio
# and vision; model, data, the paper's SGD schedule (lr 1e-3, momentum 0.9,
# weight decay 1e-4, clip 40, batch 64, 100 epochs). Each config adds its
# neck (CLCR and the baselines are siblings).
_base_ = [
    'mmaction::_base_/default_runtime.py',
    'models/tcn_text_audio_vision.py',
    'datasets/mosi_text_audio_vision.py',
    'schedules/sgd_100e.py',
]
custom_imports = dict(imports=['clcr_plugin'], allow_failed_imports=False)

# the data's feature widths go to the backbones, the model's text field to
# the data
model = dict(
    backbones=dict(
        audio=dict(in_channels={{_base_.feature_dims.audio}}),
        vision=dict(in_channels={{_base_.feature_dims.vision}})))
train_dataloader = dict(dataset=dict(text_key={{_base_.text_key}}))
val_dataloader = dict(dataset=dict(text_key={{_base_.text_key}}))
test_dataloader = dict(dataset=dict(text_key={{_base_.text_key}}))

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(
        interval=5, save_best='mae', rule='less', max_keep_ckpts=2))
