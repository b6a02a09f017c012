# Sentiment analysis on text + audio + vision (CMU-MOSI / CMU-MOSEI): BERT's
# early / middle / late layers for text (token ids of the pickles'
# text_bert), a three-stage temporal conv net each for audio and vision. Each
# backbone gives three outputs, the three CLCR levels; the data set's base
# sets the audio / vision feature widths (in_channels). A regression head
# (L1, the literature's MAE objective) reads the neck set by each config.
model = dict(
    type='MultiModalRecognizer',
    backbones=dict(
        text=dict(
            type='BertLevels',
            # a local copy of bert-base-uncased (see
            # tools/data/mosi_mosei/README.md); nothing is downloaded
            pretrained='data/bert-base-uncased',
            levels=(4, 8, 12)),
        audio=dict(
            type='TemporalConvNet',
            channels=(64, 64, 64),
            dilations=(1, 2, 4),
            dropout=0.1),
        vision=dict(
            type='TemporalConvNet',
            channels=(64, 64, 64),
            dilations=(1, 2, 4),
            dropout=0.1)),
    cls_head=dict(type='RegressionHead', loss='l1', dropout_ratio=0.1),
    data_preprocessor=dict(
        type='MultiModalDataPreprocessor',
        preprocessors=dict(
            text=dict(type='ActionDataPreprocessor', to_float32=False),
            audio=dict(type='ActionDataPreprocessor'),
            vision=dict(type='ActionDataPreprocessor'))))
# the pickles' field the text backbone reads
text_key = 'text_bert'
