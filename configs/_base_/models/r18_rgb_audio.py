# Two mmaction2 ResNet-18s trained from scratch (the paper's audio-visual
# protocol): RGB frames and a one-channel log-mel image. Stages 2-4 feed the
# three CLCR levels. The neck is set by each config; its in_channels and the
# head's in_channels follow from the backbones.
model = dict(
    type='MultiModalRecognizer',
    backbones=dict(
        rgb=dict(
            type='ResNet',
            depth=18,
            pretrained=None,
            out_indices=(1, 2, 3),
            norm_eval=False),
        audio=dict(
            type='ResNet',
            depth=18,
            pretrained=None,
            in_channels=1,
            out_indices=(1, 2, 3),
            norm_eval=False)),
    frames_per_view=dict(rgb=3),
    cls_head=dict(
        type='TSNHead',
        num_classes=16,
        spatial_type='avg',
        consensus=dict(type='AvgConsensus', dim=1),
        dropout_ratio=0.0,
        average_clips='prob'),
    data_preprocessor=dict(
        type='MultiModalDataPreprocessor',
        preprocessors=dict(
            rgb=dict(
                type='ActionDataPreprocessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                format_shape='NCHW'),
            audio=dict(
                type='ActionDataPreprocessor',
                mean=[-6.0],
                std=[4.0],
                format_shape='NCHW'))))
