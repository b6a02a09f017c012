import pytest
import torch

from clcr_plugin.models.clcr.summary_memory import SummaryMemory

SHAPES = dict(x=(3, ), available=(1, ))


def batch(n, seed):
    g = torch.Generator().manual_seed(seed)
    return dict(
        x=torch.randn(n, 3, generator=g, requires_grad=True),
        available=torch.ones(n, 1, dtype=torch.bool))


def test_memory_appends_the_last_capacity_samples_detached():
    mem = SummaryMemory(5, SHAPES).train()
    b1, b2, b3 = batch(3, 1), batch(3, 2), batch(3, 3)
    out1 = mem.extend_batch(b1)  # every row, none filled yet
    assert out1['x'].shape == (8, 3)
    assert out1['available'][:3].all() and not out1['available'][3:].any()
    out2 = mem.extend_batch(b2)
    torch.testing.assert_close(out2['x'][:6], torch.cat([b2['x'], b1['x']]))
    assert out2['available'][:6].all() and not out2['available'][6:].any()
    out3 = mem.extend_batch(b3)
    assert out3['x'].shape == (8, 3)  # 3 current + 5 remembered (capacity)
    kept = set(map(tuple, out3['x'][3:].tolist()))
    # the oldest sample was overwritten
    assert kept == set(map(tuple, torch.cat([b1['x'][1:], b2['x']]).tolist()))
    assert out3['available'].dtype == torch.bool and out3['available'].all()
    out3['x'].sum().backward()
    torch.testing.assert_close(b3['x'].grad, torch.ones(3, 3))
    # memory rows carry no gradient
    assert b1['x'].grad is None and b2['x'].grad is None


def test_memory_is_idle_in_eval_and_at_zero_capacity():
    mem = SummaryMemory(8, SHAPES).train()
    mem.extend_batch(batch(3, 1))
    mem.eval()
    assert mem.extend_batch(batch(3, 3))['x'].shape == (3, 3)
    assert int(mem.filled) == 3
    zero = SummaryMemory(0, SHAPES).train()
    assert zero.extend_batch(batch(3, 4))['x'].shape == (3, 3)
    with pytest.raises(ValueError, match='reg_memory must be >= 0'):
        SummaryMemory(-1, SHAPES)
    with pytest.raises(KeyError, match="needs an 'available' stream"):
        SummaryMemory(4, dict(x=(3, )))


def test_unfilled_rows_leave_a_weighted_statistic_unchanged():
    """Rows appended before the memory is full are unavailable, so a
    regulariser weighted by availability sees the filled rows only."""
    from clcr_plugin.models.clcr.losses import cross_correlation_penalty
    mem = SummaryMemory(16, dict(x=(3, ), y=(2, ), available=(1, ))).train()
    g = torch.Generator().manual_seed(0)
    first = dict(
        x=torch.randn(6, 3, generator=g),
        y=torch.randn(6, 2, generator=g),
        available=torch.ones(6, 1, dtype=torch.bool))
    out = mem.extend_batch(first)
    weight = out['available'][:, 0].float()
    torch.testing.assert_close(
        cross_correlation_penalty(out['x'], out['y'], weight),
        cross_correlation_penalty(first['x'], first['y']))


def test_memory_is_saved_and_restored_with_the_state_dict():
    mem = SummaryMemory(5, SHAPES).train()
    mem.extend_batch(batch(3, 1))
    mem.extend_batch(batch(3, 2))
    restored = SummaryMemory(5, SHAPES).train()
    restored.load_state_dict({
        k: v.clone()
        for k, v in mem.state_dict().items()
    })
    nxt = batch(3, 3)
    torch.testing.assert_close(
        restored.extend_batch(nxt)['x'],
        mem.extend_batch(nxt)['x'])
