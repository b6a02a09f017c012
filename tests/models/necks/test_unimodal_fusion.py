import pytest
import torch
from mmaction.registry import MODELS

import clcr_plugin  # noqa: F401  (registers the necks)
from clcr_plugin.models.necks import UnimodalFusion


def test_uses_one_modality_and_names_missing_ones(feats):
    neck = MODELS.build(
        dict(type='UnimodalFusion', modality='audio', in_channels=8))
    x = feats()
    fused, _ = neck(x)
    torch.testing.assert_close(fused, x['audio'][-1].mean((2, 3)))
    with pytest.raises(KeyError, match="uses 'audio'.*\\['rgb'\\]"):
        neck({'rgb': x['rgb']})


def test_availability_of_another_modality_changes_nothing(
        feats, assert_unavailable_equals_absent):
    neck = MODELS.build(
        dict(type='UnimodalFusion', modality='audio', in_channels=8))
    assert_unavailable_equals_absent(neck, feats(4), 'rgb')


def test_complete_config_fills_and_checks_in_channels(level_shapes):
    assert UnimodalFusion.complete_config(dict(modality='rgb'),
                                          level_shapes)['in_channels'] == 8
    with pytest.raises(
            ValueError,
            match='neck.in_channels=512, but the backbone gives 8'):
        UnimodalFusion.complete_config(
            dict(modality='rgb', in_channels=512), level_shapes)
    with pytest.raises(KeyError, match="neck.modality names modality 'depth'"):
        UnimodalFusion.complete_config(dict(modality='depth'), level_shapes)
