"""Tiny two-modality recognizer configs for the reliability tests (two
ResNet-18s on 16x16 inputs; the neck given by name)."""
import copy

import torch
from mmaction.structures import ActionDataSample

RGB_PRE = dict(
    type='ActionDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    format_shape='NCHW')
AUDIO_PRE = dict(
    type='ActionDataPreprocessor', mean=[-6.0], std=[4.0], format_shape='NCHW')
NECKS = dict(
    concat=dict(type='ConcatFusion'),
    dense=dict(type='DenseCrossAttnFusion', embed_dim=16, num_heads=2),
    clcr=dict(
        type='CLCRFusion',
        embed_dim=32,
        shared_dim=16,
        private_dim=8,
        num_heads=2,
        hidden_dim=16,
        private_fusion='concat',
        reg_memory=8))


def tiny_recognizer(neck: str = 'concat', reverse: bool = False) -> dict:
    """A MultiModalRecognizer config; ``reverse`` writes every modality dict
    (backbones, levels, neck, preprocessors, dry run) in the other order."""

    def ordered(d: dict) -> dict:
        return dict(reversed(list(d.items()))) if reverse else dict(d)

    backbones = dict(
        rgb=dict(type='ResNet', depth=18, pretrained=None, out_indices=(2, 3)),
        audio=dict(
            type='ResNet',
            depth=18,
            pretrained=None,
            in_channels=1,
            out_indices=(2, 3)))
    neck_cfg = copy.deepcopy(NECKS[neck])
    if neck == 'clcr':
        neck_cfg['modalities'] = ordered(dict(rgb=dict(), audio=dict()))
    elif neck == 'dense':
        neck_cfg['grids'] = ordered(dict(rgb=(1, 1, 1), audio=(1, 1)))
    return dict(
        type='MultiModalRecognizer',
        backbones=ordered(backbones),
        levels=ordered(dict(rgb=[0, 1], audio=[0, 1])),
        frames_per_view=dict(rgb=2),
        dry_run_inputs=ordered(dict(rgb=(3, 16, 16), audio=(1, 16, 16))),
        neck=neck_cfg,
        cls_head=dict(
            type='TSNHead',
            num_classes=4,
            consensus=dict(type='AvgConsensus', dim=1),
            average_clips='prob'),
        data_preprocessor=dict(
            type='MultiModalDataPreprocessor',
            preprocessors=ordered(dict(rgb=RGB_PRE, audio=AUDIO_PRE))))


def tiny_batch(n: int = 4) -> dict:
    """``n`` samples (two 16x16 RGB frames, one 16x16 audio image) for
    :func:`tiny_recognizer`, labels ``i % 4``, fixed values."""
    g = torch.Generator().manual_seed(1)
    return dict(
        inputs=dict(
            rgb=[
                torch.rand(2, 3, 16, 16, generator=g) * 255 for _ in range(n)
            ],
            audio=[torch.randn(1, 1, 16, 16, generator=g) for _ in range(n)]),
        data_samples=[
            ActionDataSample().set_gt_label(torch.tensor(i % 4))
            for i in range(n)
        ])
