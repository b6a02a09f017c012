# Worked example of docs/add_modality.md: RGB + depth maps, a 2D ResNet-18
# per modality, fused by CLCR. Annotation entries:
#   {"video": "clips/000.mp4", "depth": "depth/000.npy", "label": 3}
# with the depth maps of every video frame in a (T, H, W) .npy (uint16 mm).
_base_ = ['../../configs/_base_/r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']

data_root = 'data/rgbd'
model = dict(
    backbones=dict(
        _delete_=True,
        rgb=dict(
            type='ResNet',
            depth=18,
            pretrained=None,
            out_indices=(1, 2, 3),
            norm_eval=False),
        depth=dict(
            type='ResNet',
            depth=18,
            pretrained=None,
            in_channels=1,  # one depth channel
            out_indices=(1, 2, 3),
            norm_eval=False)),
    frames_per_view=dict(_delete_=True, rgb=3, depth=3),
    dry_run_inputs=dict(_delete_=True, rgb=(3, 32, 32), depth=(1, 32, 32)),
    neck=dict(type='CLCRFusion', private_fusion='concat'),
    data_preprocessor=dict(
        preprocessors=dict(
            _delete_=True,
            rgb=dict(
                type='ActionDataPreprocessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                format_shape='NCHW'),
            depth=dict(
                type='ActionDataPreprocessor',
                mean=[0.5],
                std=[0.25],
                format_shape='NCHW'))))


def rgbd_pipeline(test_mode: bool, num_clips: int) -> list:
    return [
        dict(type='DecordInit'),
        dict(
            type='SampleFrames',
            clip_len=3,
            frame_interval=4,
            num_clips=num_clips,
            test_mode=test_mode),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(32, 32), keep_ratio=False),
        dict(type='FormatShape', input_format='NCHW'),
        dict(type='LoadDepthFrames', prefix=data_root, scale=(32, 32)),
        dict(
            type='PackMultiModalInputs',
            modalities=dict(rgb='imgs', depth='depths')),
    ]


train_pipeline = rgbd_pipeline(False, 1)
val_pipeline = rgbd_pipeline(True, 1)
test_pipeline = rgbd_pipeline(True, 2)
train_dataloader = dict(
    dataset=dict(
        ann_file=f'{data_root}/train.json',
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        ann_file=f'{data_root}/val.json',
        data_prefix=dict(video=data_root),
        pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(
        ann_file=f'{data_root}/test.json',
        data_prefix=dict(video=data_root),
        pipeline=test_pipeline))
custom_hooks = [dict(type='CLCRDiagnosticsHook')]
