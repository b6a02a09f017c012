# Two mmaction2 2D ResNet-18s trained from scratch: RGB frames and stacks of
# optical flow (TSN's input: L consecutive flows as 2L channels, x1 y1 x2 y2
# ...). in_channels=10 is 2 x flow_stack_len (5) of the data set base
# (datasets/ucf101_split1_rgb_flow.py); tests/tools/test_ucf101.py checks
# that the two agree. Stages 2-4 feed the three CLCR levels; the neck is set
# by each config, its in_channels and the head's follow from the backbones.
model = dict(
    type='MultiModalRecognizer',
    backbones=dict(
        rgb=dict(
            type='ResNet',
            depth=18,
            pretrained=None,
            out_indices=(1, 2, 3),
            norm_eval=False),
        flow=dict(
            type='ResNet',
            depth=18,
            pretrained=None,
            in_channels=10,
            out_indices=(1, 2, 3),
            norm_eval=False)),
    # the 3 sampled frames of a view form one (C, 3, H, W) map per modality
    frames_per_view=dict(rgb=3, flow=3),
    cls_head=dict(
        type='TSNHead',
        num_classes=101,
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
            # Flow jpgs hold 127.5 + f * 127.5 / 20 (denseflow's encoding,
            # bound 20 px): this maps every channel back to f / 20 in
            # [-1, 1], whatever the stack length.
            flow=dict(
                type='ActionDataPreprocessor',
                mean=[127.5],
                std=[127.5],
                format_shape='NCHW'))))
