import re
from pathlib import Path

import torch

import clcr_plugin.models.baselines as baselines_pkg
from clcr_plugin.models.baselines import (ConcatPool, DenseCrossModalAttention,
                                          global_pool)


def test_baselines_import_no_openmmlab():
    for path in Path(baselines_pkg.__file__).parent.glob('*.py'):
        assert not re.search(r'^\s*(from|import)\s+(mmengine|mmaction|mmcv)',
                             path.read_text(), re.M), path.name


def test_global_pool_averages_every_layout():
    x = torch.randn(2, 5, 3, 4)
    torch.testing.assert_close(global_pool(x), x.mean((2, 3)))
    torch.testing.assert_close(global_pool(x.unsqueeze(2)), x.mean((2, 3)))
    seq = torch.randn(2, 7, 5)
    torch.testing.assert_close(global_pool(seq), seq.mean(1))


def test_concat_pool_zeroes_absent_and_unavailable_modalities():
    pool = ConcatPool(dict(a=3, b=2))
    feats = dict(a=[torch.randn(4, 3, 2, 2)], b=[torch.randn(4, 2, 5, 3)])
    out = pool(
        feats, available=dict(b=torch.tensor([True, False, True, False])))
    assert out.shape == (4, 5)
    assert (out[[1, 3], 3:] == 0).all() and (out[[0, 2], 3:] != 0).all()
    only_a = pool(dict(a=feats['a']))
    torch.testing.assert_close(only_a[:, :3], out[:, :3])
    assert (only_a[:, 3:] == 0).all()


def test_dense_attention_with_three_modalities_drops_only_the_unavailable_keys(
):
    torch.manual_seed(0)
    net = DenseCrossModalAttention(
        dict(a=3, b=3, c=3),
        dict(a=(2, ), b=(2, ), c=(3, )),
        embed_dim=8,
        num_heads=2).eval()
    feats = {m: [torch.randn(2, 6, 3)] for m in 'abc'}
    out = net(feats, available=dict(b=torch.tensor([False, True])))
    without_b = net({m: [f[:1] for f in feats[m]] for m in 'ac'})
    torch.testing.assert_close(out[:1], without_b, atol=1e-5, rtol=1e-5)
