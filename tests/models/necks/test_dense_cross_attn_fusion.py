import pytest
import torch
from mmaction.registry import MODELS

import clcr_plugin  # noqa: F401  (registers the necks)
from clcr_plugin.models.necks import DenseCrossAttnFusion

DENSE_CFG = dict(
    type='DenseCrossAttnFusion',
    in_channels=dict(rgb=8, audio=8),
    grids=dict(rgb=(1, 2, 2), audio=(2, 2)),
    embed_dim=16,
    num_heads=2)


def test_dense_cross_attention_mixes_modalities(feats):
    neck = MODELS.build(DENSE_CFG)
    x = feats()
    fused, aux = neck(x)
    assert fused.shape == (3, 32) and aux == {}
    x2 = feats()
    x2['audio'][-1] = x2['audio'][-1] + 1.0
    fused2, _ = neck(x2)
    assert not torch.allclose(fused[:, 16:],
                              fused2[:, 16:])  # rgb's part sees audio


@pytest.mark.parametrize('drop', ['rgb', 'audio'])
def test_unavailable_modality_leaves_the_keys_like_an_absent_key(
        feats, assert_unavailable_equals_absent, drop):
    torch.manual_seed(0)
    neck = MODELS.build(DENSE_CFG).eval()
    assert_unavailable_equals_absent(neck, feats(4), drop)
    fused, _ = neck(
        feats(4), available={drop: torch.tensor([True, False, True, True])})
    slot = slice(0, 16) if drop == 'audio' else slice(16, 32)  # sorted
    assert (fused[1, slot] == 0).all() and torch.isfinite(fused).all()


def test_complete_config_fills_channels_and_missing_grids(level_shapes):
    cfg = DenseCrossAttnFusion.complete_config(
        dict(type='DenseCrossAttnFusion', grids=dict(audio=(1, 2))),
        level_shapes)
    assert cfg['in_channels'] == dict(rgb=8, audio=8)
    assert cfg['grids'] == dict(rgb=(3, 2, 2), audio=(1, 2))
    with pytest.raises(
            ValueError,
            match='neck.in_channels.audio=4, but the backbone gives 8'):
        DenseCrossAttnFusion.complete_config(
            dict(in_channels=dict(rgb=8, audio=4)), level_shapes)
    with pytest.raises(KeyError, match=r"neck.grids names \['flow'\]"):
        DenseCrossAttnFusion.complete_config(
            dict(grids=dict(flow=(1, 1))), level_shapes)
