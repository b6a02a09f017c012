import pytest
import torch

from clcr_plugin.models.clcr.summary_memory import SummaryMemory


def batch(n, seed, d=3):
    g = torch.Generator().manual_seed(seed)
    return dict(
        x=torch.randn(n, d, generator=g, requires_grad=True),
        available=torch.ones(n, 1, dtype=torch.bool))


def test_memory_appends_the_last_capacity_samples_detached():
    mem = SummaryMemory(5).train()
    b1, b2, b3 = batch(3, 1), batch(3, 2), batch(3, 3)
    assert mem.extend_batch(b1, ('a', ))['x'].shape == (3, 3)  # empty at first
    out2 = mem.extend_batch(b2, ('a', ))
    torch.testing.assert_close(out2['x'], torch.cat([b2['x'], b1['x']]))
    out3 = mem.extend_batch(b3, ('a', ))
    assert out3['x'].shape == (8, 3)  # 3 current + 5 remembered (capacity)
    kept = set(map(tuple, out3['x'][3:].tolist()))
    assert kept == set(map(
        tuple,
        torch.cat([b1['x'][1:],
                   b2['x']]).tolist()))  # oldest sample overwritten
    out3['x'].sum().backward()
    torch.testing.assert_close(b3['x'].grad, torch.ones(3, 3))
    assert b1['x'].grad is None and b2[
        'x'].grad is None  # memory rows carry no gradient


def test_memory_resets_on_a_new_layout_and_is_idle_in_eval_or_at_zero_capacity(
):
    mem = SummaryMemory(8).train()
    mem.extend_batch(batch(3, 1), ('a', ))
    assert mem.extend_batch(batch(3, 2),
                            ('a',
                             'b'))['x'].shape == (3, 3
                                                  )  # other modalities: reset
    mem.eval()
    assert mem.extend_batch(batch(3, 3), ('a', 'b'))['x'].shape == (3, 3)
    assert SummaryMemory(0).train().extend_batch(batch(3, 4),
                                                 ('a', ))['x'].shape == (3, 3)
    with pytest.raises(ValueError, match='reg_memory must be >= 0'):
        SummaryMemory(-1)
