# Sentiment analysis without `transformers`: a three-stage temporal conv net
# per modality, text over the pickles' precomputed 768-d BERT features. Each
# backbone gives three outputs, the three CLCR levels; the data set's base
# sets the audio / vision feature widths. A regression head (L1) reads the
# neck set by each config.
_tcn = dict(
    type='TemporalConvNet',
    channels=(64, 64, 64),
    dilations=(1, 2, 4),
    dropout=0.1)
model = dict(
    type='MultiModalRecognizer',
    backbones=dict(
        text=dict(_tcn, in_channels=768, channels=(128, 128, 128)),
        audio=_tcn,
        vision=_tcn),
    cls_head=dict(type='RegressionHead', loss='l1', dropout_ratio=0.1),
    data_preprocessor=dict(
        type='MultiModalDataPreprocessor',
        preprocessors=dict(
            text=dict(type='ActionDataPreprocessor'),
            audio=dict(type='ActionDataPreprocessor'),
            vision=dict(type='ActionDataPreprocessor'))))
# the pickles' field the text backbone reads
text_key = 'text'
