import pytest
import torch
from mmaction.registry import MODELS

import clcr_plugin  # noqa: F401  (registers the necks)
from clcr_plugin.models.necks import ConcatFusion


def test_pools_and_concatenates_the_deepest_features(feats):
    neck = MODELS.build(
        dict(type='ConcatFusion', in_channels=dict(rgb=8, audio=8)))
    x = feats()
    fused, aux = neck(x)
    assert aux == {} and neck.out_channels == 16
    # slots in sorted name order, whatever the order of in_channels
    torch.testing.assert_close(fused[:, :8], x['audio'][-1].mean((2, 3)))
    torch.testing.assert_close(fused[:, 8:], x['rgb'][-1].mean((2, 3, 4)))


def test_unavailable_modality_is_zero_like_an_absent_key(
        feats, assert_unavailable_equals_absent):
    neck = MODELS.build(
        dict(type='ConcatFusion', in_channels=dict(rgb=8, audio=8)))
    assert_unavailable_equals_absent(neck, feats(4), 'rgb')
    fused, _ = neck(
        feats(4), available=dict(rgb=torch.tensor([True, False, True, True])))
    assert (fused[1, 8:] == 0).all() and (fused[0, 8:] != 0).any()


def test_complete_config_fills_and_checks_in_channels(level_shapes):
    filled = ConcatFusion.complete_config(
        dict(type='ConcatFusion'), level_shapes)
    assert filled['in_channels'] == dict(rgb=8, audio=8)
    assert ConcatFusion.complete_config(
        dict(in_channels=dict(audio=None)),
        level_shapes)['in_channels'] == dict(audio=8)
    with pytest.raises(
            ValueError,
            match='neck.in_channels.rgb=512, but the backbone gives 8'):
        ConcatFusion.complete_config(
            dict(in_channels=dict(rgb=512, audio=8)), level_shapes)
