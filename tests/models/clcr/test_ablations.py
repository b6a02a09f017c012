"""Each ablation switch of CLCR changes what it claims, and nothing breaks."""
import pytest
import torch

from clcr_plugin.models.clcr import CLCR, intra_ced
from clcr_plugin.models.clcr.intra_ced import co_exchange

SPEC = {
    'rgb': dict(in_channels=[4, 6, 8], grids=[(3, 3), (2, 2), (2, 1)]),
    'audio': dict(in_channels=[3, 3, 5], grids=[(4, ), (3, ), (2, )])
}
SMALL = dict(
    embed_dim=24, shared_dim=8, private_dim=6, num_heads=2, hidden_dim=16)


def build(**kwargs) -> CLCR:
    torch.manual_seed(0)
    return CLCR(SPEC, **{**SMALL, **kwargs})


def feats(n=6, seed=1):
    g = torch.Generator().manual_seed(seed)
    return {
        'rgb': [
            torch.randn(n, 4, 6, 6, generator=g),
            torch.randn(n, 6, 4, 4, generator=g),
            torch.randn(n, 8, 2, 2, generator=g)
        ],
        'audio': [
            torch.randn(n, 7, 3, generator=g),
            torch.randn(n, 5, 3, generator=g),
            torch.randn(n, 4, 5, generator=g)
        ]
    }


def test_without_hierarchy_uses_the_deepest_level_only():
    model = build(hierarchy=False).eval()
    assert model.num_levels == 1 and len(model.encoder.adapters['rgb']) == 1
    assert model.encoder.adapters['rgb'][0].in_channels == 8
    x = feats()
    y = {
        m: [torch.randn_like(f) for f in v[:-1]] + [v[-1]]
        for m, v in x.items()
    }  # shallow levels changed
    torch.testing.assert_close(model(x).fused, model(y).fused)


def test_without_intra_ced_no_basis_no_budget_dense_exchange_no_private_stream(
):
    model = build(intra_ced=False)
    assert all(level.bases is None and level.budget is None
               for level in model.levels)
    out = model(feats())
    assert out.summaries['private'].shape[-1] == 0
    assert out.summaries['shared'].shape[-1] == SMALL[
        'embed_dim']  # whole tokens
    torch.testing.assert_close(out.diagnostics['participation_rate'],
                               torch.ones(3))
    assert all(out.losses[f'loss_{k}'] == 0 for k in ('intra', 'pr', 'sp'))
    assert model.out_dim == 3 * SMALL['embed_dim']
    out.fused.sum().backward()
    assert model.levels[0].exchange.qkv.weight.grad.abs().sum() > 0


def test_without_inter_cad_uniform_levels_and_modalities_and_no_gates():
    model = build(inter_cad=False)
    available = {'audio': torch.tensor([True, True, False, True, True, True])}
    out = model(feats(), available=available)
    torch.testing.assert_close(out.diagnostics['omega'],
                               torch.full((6, 3), 1 / 3))
    # columns (audio, rgb): modalities are kept in sorted name order
    expected_weights = torch.tensor([[0.5, 0.5]] * 2 + [[0.0, 1.0]] +
                                    [[0.5, 0.5]] * 3)
    torch.testing.assert_close(out.diagnostics['modality_weights'],
                               expected_weights)
    torch.testing.assert_close(out.diagnostics['eta'], expected_weights.ceil())


def test_full_mix_puts_every_level_into_one_exchange(monkeypatch):
    model = build(full_mix=True)
    assert model.num_levels == 1 and len(model.levels) == 1
    captured = {}

    def record(levels, tokens, mask, lengths, modalities, reference=False):
        captured.update(lengths=lengths, modalities=modalities)
        return co_exchange(levels, tokens, mask, lengths, modalities,
                           reference)

    monkeypatch.setattr(intra_ced, 'co_exchange', record)
    out = model(feats())
    # one level of (audio, rgb) tokens: every level's tokens of a modality
    assert captured['modalities'] == ['audio', 'rgb']
    assert captured['lengths'] == [[4 + 3 + 2, 9 + 4 + 2]]
    assert out.diagnostics['omega'].shape == (6, 1)


@pytest.mark.parametrize('rate', [1.0, 0.5])
def test_fixed_participation_rate_is_not_learned(rate):
    model = build(budget=dict(fixed_rate=rate))
    out = model(feats())
    torch.testing.assert_close(
        out.diagnostics['participation_rate'],
        torch.full((3, ), rate),
        atol=1e-5,
        rtol=0)
    (out.fused.sum() + sum(out.losses.values())).backward()
    assert all(level.budget.rate_logit.grad is None for level in model.levels)


def test_fixed_rate_out_of_range_is_an_error():
    with pytest.raises(
            ValueError, match='budget.fixed_rate=1.5: expected a rate in'):
        build(budget=dict(fixed_rate=1.5))


def test_level_fusion_concat_keeps_levels_side_by_side_and_sum_adds_them():
    concat, summed = build(level_fusion='concat'), build(level_fusion='sum')
    assert concat.out_dim == 3 * 8 + 3 * 6 and summed.out_dim == 8 + 6
    with pytest.raises(
            ValueError, match="level_fusion must be 'sum' or 'concat'"):
        build(level_fusion='stack')


def test_shared_residual_adds_the_global_context_to_the_attended_code():
    with_res, without = build(shared_residual=True).eval(), build(
        shared_residual=False).eval()
    without.load_state_dict(with_res.state_dict())
    x = feats()
    out = with_res(x)
    s = with_res.aggregator.shared_norm(
        out.summaries['shared'])  # (N, M, L, d_sh)
    g = (out.diagnostics['omega'][:, None, :, None] *
         s).flatten(2).mean(1)  # both modalities available
    torch.testing.assert_close(out.fused[:, :24] - without(x).fused[:, :24], g)


def test_value_projection_starts_as_identity():
    model = build()
    torch.testing.assert_close(model.aggregator.value.weight, torch.eye(24))


def test_regulariser_warmup_ramps_the_weights_linearly():
    model = build(reg_warmup=4, reg_memory=0)
    ref = build(reg_memory=0)
    x = feats()
    for step in range(1, 6):
        warm, full = model(x).losses, ref(x).losses
        for k in warm:
            torch.testing.assert_close(warm[k], min(step / 4, 1.0) * full[k])
    assert int(model.train_steps) == 5
