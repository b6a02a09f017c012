"""Measurement helpers, and the CLCR neck's training step without host
syncs."""
import pytest
import torch

from clcr_plugin.analysis import (HostSyncError, count_flops, forbid_host_sync,
                                  interleaved_timings, parameter_count,
                                  peak_memory, summarise_timings)
from clcr_plugin.models.necks import CLCRFusion

LEVEL_SHAPES = dict(
    rgb=[torch.Size([1, 4, 3, 4, 4]),
         torch.Size([1, 8, 3, 2, 2])],
    audio=[torch.Size([1, 4, 4, 4]),
           torch.Size([1, 8, 2, 2])])


def test_forbid_host_sync_refuses_value_reads_and_restores_them():
    x = torch.ones(3)
    with forbid_host_sync():
        y = (x * 2).sum()  # device work is fine
        for read in (y.item, y.tolist, lambda: bool(y), lambda: int(y),
                     lambda: float(y), lambda: [0, 1][y.long()], x.nonzero):
            with pytest.raises(HostSyncError, match='reads a value'):
                read()
    assert y.item() == 6.0 and bool(y)  # restored


def clcr_neck(**overrides) -> CLCRFusion:
    cfg = dict(
        modalities=None,
        embed_dim=32,
        shared_dim=16,
        private_dim=8,
        num_heads=2,
        hidden_dim=16,
        reg_memory=8,
        reg_warmup=3,
        budget=dict(init_rate=0.4, max_rate=0.6))
    cfg.update(overrides)
    return CLCRFusion(**CLCRFusion.complete_config(cfg, LEVEL_SHAPES))


@pytest.mark.parametrize('level_fusion', ['concat', 'sum'])
def test_clcr_training_step_reads_nothing_on_the_host(level_fusion):
    torch.manual_seed(0)
    neck = clcr_neck(
        level_fusion=level_fusion, orthogonal_map='cayley').train()
    g = torch.Generator().manual_seed(0)
    x = {
        m: [torch.randn(4, *s[1:], generator=g) for s in shapes]
        for m, shapes in LEVEL_SHAPES.items()
    }
    batches = [
        (x, None),  # memory empty, warm-up ramp
        (x, dict(rgb=torch.tensor([True, False, True, True]))),
        ({
            'audio': x['audio']
        }, None),  # a missing modality
        (x, None),  # memory full
    ]
    for feats, available in batches:
        with forbid_host_sync():
            fused, losses = neck(feats, available=available)
            loss = fused.pow(2).mean() + sum(losses.values())
            loss.backward()
            scalars = neck.diagnostic_scalars()  # stays on the device
        assert set(losses) == {'loss_intra', 'loss_pr', 'loss_sp', 'loss_mix'}
        assert torch.isfinite(loss) and scalars['clcr_rate_l1'].dim() == 0
    assert int(neck.clcr.train_steps) == 4


def test_matrix_exp_bases_are_reported_as_a_device_sync():
    neck = clcr_neck(orthogonal_map='matrix_exp').train()
    x = {
        m: [torch.randn(4, *s[1:]) for s in shapes]
        for m, shapes in LEVEL_SHAPES.items()
    }
    with pytest.raises(HostSyncError, match='linalg_matrix_exp'):
        with forbid_host_sync():
            neck(x)


def test_boolean_mask_indexing_and_a_checked_solve_are_device_syncs():
    x = torch.randn(5)
    with pytest.raises(HostSyncError, match=r'aten\.index\.Tensor'):
        with forbid_host_sync():
            x[x > 0]
    eye = torch.eye(3)
    with pytest.raises(HostSyncError, match='_linalg_check_errors'):
        with forbid_host_sync():
            torch.linalg.solve(eye, eye)
    with forbid_host_sync():  # no check, no sync; integer indexing is free
        torch.linalg.solve_ex(eye, eye)
        x[torch.tensor([0, 2])]


def test_summarise_takes_the_median_of_per_repetition_ratios():
    times = dict(base=[1.0, 2.0, 4.0], fast=[0.5, 1.0, 4.0])
    summary = summarise_timings(times, 'base')
    assert summary['base']['ratio'] == 1.0
    assert summary['fast']['ratio'] == 0.5  # median of 0.5, 0.5, 1.0
    assert summary['fast']['median_s'] == 1.0
    with pytest.raises(KeyError, match="baseline 'slow'"):
        summarise_timings(times, 'slow')


def test_interleaved_timings_run_every_step_warmup_plus_repeats_times():
    calls = dict(a=0, b=0)

    def step(name):

        def run():
            calls[name] += 1

        return run

    times = interleaved_timings(dict(a=step('a'), b=step('b')), 3, warmup=2)
    assert calls == dict(a=5, b=5)
    assert all(len(t) == 3 and min(t) >= 0 for t in times.values())


def test_cpu_peak_memory_counts_the_tensors_alive_in_the_step():
    kept = []

    def step():
        kept.append(torch.zeros(256, 1024))  # 1 MiB, alive at the end
        torch.ones(512, 1024).sum()  # 2 MiB, freed inside

    before = torch.zeros(1024, 1024)  # 4 MiB, allocated before: not counted

    def step_with_input():
        step()
        before.view(-1).add_(0)  # a view and in-place: nothing new
        (before * 2).sum()  # 4 MiB while the 1 MiB is alive: 5 MiB

    peak = peak_memory(step, torch.device('cpu'))
    assert 3 * 2**20 <= peak['bytes'] < 3.01 * 2**20
    assert 'TorchDispatchMode' in peak['method']
    peak = peak_memory(step_with_input, torch.device('cpu'))
    assert 5 * 2**20 <= peak["bytes"] < 5.01 * 2**20


def test_flops_of_a_matmul_and_parameter_count():
    layer = torch.nn.Linear(8, 4)
    flops = count_flops(lambda: layer(torch.randn(5, 8)))
    assert flops['total'] == 2 * 5 * 8 * 4
    assert parameter_count(layer) == 8 * 4 + 4
