import json

import numpy as np
import pytest
import torch
from mmaction.registry import TRANSFORMS
from mmaction.structures import ActionDataSample
from mmcv.transforms import Compose

import clcr_plugin  # noqa: F401  (registers the plug-in)
from clcr_plugin.datasets.transforms import PackMultiModalInputs


def test_a_real_mmaction_pipeline_packs_rgb_under_its_modality_name(
        tiny_av_set):
    item = json.loads((tiny_av_set / 'val.json').read_text())['data_list'][5]
    pipeline = Compose([
        TRANSFORMS.build(cfg) for cfg in [
            dict(type='DecordInit'),
            dict(
                type='SampleFrames', clip_len=1, frame_interval=1,
                num_clips=3),
            dict(type='DecordDecode'),
            dict(type='Resize', scale=(-1, 32)),
            dict(type='FormatShape', input_format='NCHW'),
            dict(type='PackMultiModalInputs', modalities=dict(rgb='imgs')),
        ]
    ])
    packed = pipeline(
        dict(
            filename=str(tiny_av_set / item['video']),
            label=item['label'],
            start_index=0,
            modality='RGB'))
    assert list(packed['inputs']) == ['rgb']
    rgb = packed['inputs']['rgb']
    assert rgb.shape == (
        3, 3, 32,
        32) and rgb.dtype == torch.uint8  # (num_clips * clip_len, C, H, W)
    sample = packed['data_samples']
    assert isinstance(
        sample,
        ActionDataSample) and sample.gt_label.tolist() == [item['label']]
    assert sample.metainfo['img_shape'] == (32, 32)


def test_several_modalities_keep_shapes_dtypes_and_meta():
    pack = PackMultiModalInputs(
        modalities=dict(rgb='imgs', audio='audios'),
        meta_keys=('img_shape', 'clip_id'),
        algorithm_keys=('weight', ))
    results = dict(
        imgs=np.zeros((6, 3, 8, 8), np.uint8),
        audios=np.ones((2, 1, 16, 20), np.float32),
        label=4,
        img_shape=(8, 8),
        clip_id='c7',
        weight=torch.tensor(0.5),
        unused=1)
    packed = pack(results)
    assert packed['inputs']['rgb'].shape == (
        6, 3, 8, 8) and packed['inputs']['rgb'].dtype == torch.uint8
    assert packed['inputs']['audio'].shape == (
        2, 1, 16, 20) and packed['inputs']['audio'].dtype == torch.float32
    sample = packed['data_samples']
    assert sample.gt_label.tolist() == [4] and sample.metainfo == dict(
        img_shape=(8, 8),
        clip_id='c7',
        modality_available=dict(rgb=True, audio=True))
    assert float(sample.weight) == 0.5
    assert 'PackMultiModalInputs(modalities=' in repr(pack)


def test_a_missing_results_key_names_the_modality_and_the_key():
    pack = TRANSFORMS.build(
        dict(
            type='PackMultiModalInputs',
            modalities=dict(rgb='imgs', audio='audios')))
    with pytest.raises(
            KeyError,
            match=("modality 'audio' reads results\\['audios'\\], "
                   'which the pipeline did not')):
        pack(dict(imgs=np.zeros((1, 3, 4, 4), np.uint8), label=0))


def test_no_modalities_is_rejected():
    with pytest.raises(ValueError, match='at least one modality'):
        PackMultiModalInputs(modalities={})
