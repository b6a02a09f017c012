import re
from pathlib import Path

import pytest
import torch
from torch import nn

import clcr_plugin.models.clcr as clcr_pkg
from clcr_plugin.models.clcr import CLCR, diagnostic_scalars

SMALL = dict(
    level_fusion='sum',
    embed_dim=24,
    shared_dim=8,
    private_dim=6,
    num_heads=2,
    hidden_dim=16)
SPECS = {
    'rgb': (dict(in_channels=[4, 6, 8], grids=[(3, 3), (2, 2),
                                               (2, 1)]), lambda n: [
                                                   torch.randn(n, 4, 6, 6),
                                                   torch.randn(n, 6, 4, 4),
                                                   torch.randn(n, 8, 2, 2)
                                               ]),
    'audio':
    (dict(in_channels=[3, 3, 5], grids=[(1, 2, 2), (2, 2, 2),
                                        (1, 1, 2)]), lambda n: [
                                            torch.randn(n, 3, 2, 4, 4),
                                            torch.randn(n, 3, 2, 4, 4),
                                            torch.randn(n, 5, 1, 2, 2)
                                        ]),
    'text': (dict(in_channels=[7, 7, 7],
                  grids=[(6, ), (3, ),
                         (2, )]), lambda n: [torch.randn(n, 9, 7)] * 3),
    'flow': (dict(in_channels=[2, 2, 2],
                  grids=[(2, 2), (2, 2),
                         (1, 1)]), lambda n: [torch.randn(n, 2, 4, 4)] * 3),
}


def build(names, **kwargs):
    torch.manual_seed(0)
    return CLCR({m: SPECS[m][0] for m in names}, **{**SMALL, **kwargs})


def inputs(names, n, seed=1):
    torch.manual_seed(seed)
    return {m: SPECS[m][1](n) for m in names}


@pytest.mark.parametrize('names', [('rgb', 'audio'), ('rgb', 'audio', 'text'),
                                   ('rgb', 'audio', 'text', 'flow')])
def test_output_shapes_losses_and_diagnostics_for_2_3_4_modalities(names):
    model = build(names)
    out = model(inputs(names, 5))
    M = len(names)
    assert out.fused.shape == (5, model.out_dim) == (5, 14)
    assert set(out.losses) == {'loss_intra', 'loss_pr', 'loss_sp', 'loss_mix'}
    assert all(v.dim() == 0 and torch.isfinite(v) for v in out.losses.values())
    d = out.diagnostics
    assert d['omega'].shape == (5, 3) and d['modality_weights'].shape == (
        5, M) and d['eta'].shape == (5, M)
    assert all(d[f'reg_{k}'].dim() == 0 for k in ('intra', 'pr', 'sp', 'mix'))
    assert d['participation_rate'].shape == (3, ) and not any(
        v.requires_grad for v in d.values())
    torch.testing.assert_close(
        d['participation_rate'], torch.full((3, ), 0.68), atol=1e-5, rtol=0)
    assert out.modalities == tuple(sorted(names))  # whatever the dict order


@pytest.mark.parametrize('levels', [1, 2, 4])
def test_number_of_levels_is_configurable(levels):
    model = CLCR(
        {
            'a': dict(in_channels=[4] * levels, grids=[(3, )] * levels),
            'b': dict(in_channels=[5] * levels, grids=[(2, 2)] * levels)
        }, **SMALL)
    out = model({
        'a': [torch.randn(3, 6, 4)] * levels,
        'b': [torch.randn(3, 5, 4, 4)] * levels
    })
    assert out.diagnostics['omega'].shape == (3, levels)
    assert torch.isfinite(out.fused).all()


@pytest.mark.parametrize('batch', [1, 2])
def test_losses_and_gradients_finite_for_tiny_batches(batch):
    names = ('rgb', 'audio', 'text')
    model = build(names).train()
    out = model(inputs(names, batch))
    total = out.fused.sum() + sum(out.losses.values())
    total.backward()
    assert torch.isfinite(total)
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_losses_are_weighted_by_their_lambda_and_raw_values_are_diagnostics():
    names = ('rgb', 'audio', 'text')
    weights = dict(intra=0.5, pr=2.0, sp=0.25, mix=3.0)
    model = build(names, **{f'lambda_{k}': v for k, v in weights.items()})
    out = model(inputs(names, 6))
    for term, weight in weights.items():
        raw = out.diagnostics[f'reg_{term}']
        assert not raw.requires_grad
        torch.testing.assert_close(out.losses[f'loss_{term}'].detach(),
                                   weight * raw)
    assert out.losses['loss_mix'].requires_grad
    unweighted = build(
        names, lambda_intra=1.0, lambda_pr=1.0, lambda_sp=1.0, lambda_mix=1.0)(
            inputs(names, 6))
    torch.testing.assert_close(unweighted.losses['loss_pr'].detach(),
                               out.diagnostics['reg_pr'])


def test_negative_loss_weight_is_an_error_naming_it():
    with pytest.raises(
            ValueError, match='lambda_sp=-1.0: expected loss weights >= 0'):
        build(('rgb', 'audio'), lambda_sp=-1.0)


def test_summaries_are_per_level_means_with_a_zero_slot_for_a_missing_modality(
):
    model = build(('rgb', 'audio', 'text')).eval()
    feats = inputs(('rgb', 'audio', 'text'), 4)
    out = model({m: feats[m]
                 for m in ('rgb', 'text')},
                available={'text': torch.tensor([True, False, True, True])})
    s = out.summaries
    assert s['shared'].shape == s['shared_before'].shape == (
        4, 3, 3, 8) and s['private'].shape == (4, 3, 3, 6)
    # slots in sorted name order: audio 0, rgb 1, text 2
    assert (s['shared'][:, 0] == 0).all() and (s['private'][:, 0]
                                               == 0).all()  # audio absent
    assert (s['private'][1, 2]
            == 0).all() and (s['private'][0, 2]
                             != 0).any()  # text unavailable for sample 1
    assert s['shared'].requires_grad
    # the exchange changes the shared summaries, never the private ones
    assert not torch.allclose(s['shared'], s['shared_before'])
    tokens = model.encoder({'rgb': feats['rgb']
                            })['rgb'][0][0]  # (N, T, d) level-1 tokens of rgb
    _, u_pr = model.levels[0].bases.bases(['rgb'])
    torch.testing.assert_close(s['private'][:, 1, 0],
                               (tokens @ u_pr['rgb']).mean(1))


def test_levels_run_at_once_equal_the_level_by_level_loop():
    """CLCR runs every level in one batched pass (co_exchange); the
    straightforward loop, one IntraCED call per level and masked token means
    per modality, gives the same summaries and participation rates."""
    names = ('rgb', 'audio', 'text')
    model = build(names, budget=dict(init_rate=0.3, max_rate=0.5))
    feats = inputs(names, 4)
    available = {'text': torch.tensor([True, False, True, True])}
    masks = {'text': [torch.rand(4, 9) > 0.3] * 3}
    out = model(feats, masks, available)
    order = model.modality_names  # audio, rgb, text
    encoded = model.encoder({m: feats[m] for m in order}, masks)
    ones = torch.ones(4, dtype=torch.bool)
    for level, intra in enumerate(model.levels):
        level_masks = {
            m: encoded[m][level][1] & available.get(m, ones)[:, None]
            for m in order
        }
        alone = intra({m: encoded[m][level][0] for m in order}, level_masks)
        for i, m in enumerate(order):
            for stream in ('shared', 'shared_before', 'private'):
                want = clcr_pkg.intra_ced.masked_token_mean(
                    getattr(alone, stream)[m], level_masks[m])
                torch.testing.assert_close(
                    out.summaries[stream][:, i, level],
                    want,
                    atol=1e-5,
                    rtol=1e-5)
        rate = sum(alone.gates[m].sum()
                   for m in order) / sum(level_masks[m].sum() for m in order)
        torch.testing.assert_close(
            out.diagnostics['participation_rate'][level], rate)


def test_diagnostic_scalars_name_every_level_modality_and_regulariser():
    names = ('rgb', 'audio')
    out = build(names)(inputs(names, 3))
    scalars = diagnostic_scalars(out.diagnostics, out.modalities)
    expected = {
        f'clcr_{k}_l{i}'
        for k in ('rate', 'budget', 'omega')
        for i in (1, 2, 3)
    }
    expected |= {f'clcr_{k}_{m}' for k in ('weight', 'eta') for m in names}
    expected |= {f'clcr_reg_{t}' for t in ('intra', 'pr', 'sp', 'mix')}
    assert set(scalars) == expected and all(
        v.dim() == 0 and not v.requires_grad for v in scalars.values())
    torch.testing.assert_close(
        sum(scalars[f'clcr_omega_l{i}'] for i in (1, 2, 3)), torch.tensor(1.0))
    torch.testing.assert_close(scalars['clcr_eta_audio'],
                               out.diagnostics['eta'][:, 0].mean())


def weights(model):
    """The state without the regularisers' memory (its rows are per-config)."""
    return {
        k: v
        for k, v in model.state_dict().items() if not k.startswith('memory.')
    }


def test_missing_modality_equals_model_configured_without_it():
    full = build(('rgb', 'audio', 'text')).eval()
    small = build(('rgb', 'text')).eval()
    missing, unexpected = small.load_state_dict(weights(full), strict=False)
    # every weight of the small model comes from the full one
    assert all(k.startswith('memory.') for k in missing) and unexpected
    feats = inputs(('rgb', 'audio', 'text'), 4)
    subset = {m: feats[m] for m in ('rgb', 'text')}
    got = full(subset)
    want = small(subset)
    torch.testing.assert_close(got.fused, want.fused)
    assert got.modalities == ('audio', 'rgb', 'text')
    assert (got.diagnostics['modality_weights'][:, 0]
            == 0).all() and (got.diagnostics['eta'][:, 0] == 0).all()


def test_concat_private_fusion_keeps_a_zero_slot_for_a_missing_modality():
    full = build(('rgb', 'audio', 'text'), private_fusion='concat').eval()
    assert full.out_dim == 8 + 3 * 6
    feats = inputs(('rgb', 'audio', 'text'), 4)
    out = full({m: feats[m] for m in ('rgb', 'text')}).fused
    assert out.shape == (4, 26)
    assert (out[:, 8:8 + 6] == 0).all()  # audio's private slot (sorted)
    masked = full(
        feats, available={
            'audio': torch.zeros(4, dtype=torch.bool)
        }).fused
    torch.testing.assert_close(masked, out, atol=1e-5, rtol=1e-4)


def test_per_sample_availability_mask_matches_model_without_that_modality():
    full = build(('rgb', 'audio', 'text')).eval()
    small = build(('rgb', 'text')).eval()
    small.load_state_dict(weights(full), strict=False)
    feats = inputs(('rgb', 'audio', 'text'), 4)
    available = {'audio': torch.tensor([True, False, True, False])}
    out = full(feats, available=available)
    assert torch.isfinite(out.fused).all()
    want = small({m: feats[m] for m in ('rgb', 'text')}).fused
    torch.testing.assert_close(
        out.fused[~available['audio']],
        want[~available['audio']],
        atol=1e-5,
        rtol=1e-4)
    with_audio = full(feats).fused
    torch.testing.assert_close(
        out.fused[available['audio']],
        with_audio[available['audio']],
        atol=1e-5,
        rtol=1e-4)
    assert (out.diagnostics['modality_weights'][~available['audio'],
                                                0] == 0).all()


def test_missing_modality_in_training_mode_is_finite_with_gradients():
    model = build(('rgb', 'audio')).train()
    feats = inputs(('rgb', 'audio'), 3)
    out = model(feats, available={'audio': torch.tensor([False, False, True])})
    (out.fused.sum() + sum(out.losses.values())).backward()
    assert all(
        torch.isfinite(p.grad).all() for p in model.parameters()
        if p.grad is not None)
    single = model({'rgb':
                    feats['rgb']})  # only one modality: no exchange partner
    assert torch.isfinite(single.fused).all()


def test_sequence_padding_masks_are_used():
    model = CLCR(
        {
            'a': dict(in_channels=[3], grids=[(4, )]),
            'b': dict(in_channels=[3], grids=[(2, )])
        }, **SMALL).eval()
    x = torch.randn(2, 8, 3)
    mask = torch.tensor([[True] * 5 + [False] * 3] * 2)
    base = model({'a': [x], 'b': [torch.randn(2, 4, 3)]}, masks={'a': [mask]})
    x2 = x.clone()
    x2[:, 5:] = 1e3  # garbage in the padding
    again = model({
        'a': [x2],
        'b': [torch.randn(2, 4, 3)]
    },
                  masks={'a': [mask]})
    assert torch.isfinite(again.fused).all()
    torch.testing.assert_close(base.diagnostics['participation_rate'],
                               again.diagnostics['participation_rate'])


def test_input_errors_name_the_modality():
    model = build(('rgb', 'audio'))
    with pytest.raises(
            KeyError,
            match=r"unknown modalities \['depth'\].*\['audio', 'rgb'\]"):
        model({'depth': [torch.randn(1, 2)]})
    with pytest.raises(ValueError, match='got no modality'):
        model({})


def test_hot_path_has_no_host_syncs_or_value_branches():
    """forward code of the method must not call .item(), .tolist() or
    nonzero()."""
    pattern = re.compile(
        r'\.item\(\)|\.tolist\(\)|nonzero\(|\.cpu\(\)|\.numpy\(\)')
    for path in Path(clcr_pkg.__file__).parent.glob('*.py'):
        assert not pattern.search(path.read_text()), path.name


def test_core_imports_no_openmmlab():
    for path in Path(clcr_pkg.__file__).parent.glob('*.py'):
        assert not re.search(r'^\s*(from|import)\s+(mmengine|mmaction|mmcv)',
                             path.read_text(), re.M), path.name


def synthetic_cross_modal_task(n: int, seed: int = 0):
    """4 classes: bit a is visible only in video tokens, bit b only in audio
    tokens."""
    g = torch.Generator().manual_seed(seed)
    C = 16
    y = torch.randint(0, 4, (n, ), generator=g)
    proto_a, proto_b = torch.randn(
        2, C, generator=g) * 2, torch.randn(
            2, C, generator=g) * 2
    video = torch.randn(n, C, 4, 4, generator=g)
    where = torch.randint(0, 16, (n, ), generator=g)
    video.view(n, C, 16)[torch.arange(n), :, where] += proto_a[y // 2]
    audio = torch.randn(n, 12, C, generator=g)
    where = torch.randint(0, 12, (n, ), generator=g)
    audio[torch.arange(n), where] += proto_b[y % 2]
    return video, audio, y


def test_clcr_with_linear_head_fits_a_task_that_needs_both_modalities():
    video, audio, y = synthetic_cross_modal_task(256)
    torch.manual_seed(0)
    model = CLCR(
        {
            'video': dict(in_channels=[16, 16], grids=[(4, 4), (2, 2)]),
            'audio': dict(in_channels=[16, 16], grids=[(12, ), (4, )])
        },
        embed_dim=32,
        shared_dim=16,
        private_dim=8,
        num_heads=2,
        hidden_dim=32)
    head = nn.Linear(model.out_dim, 4)
    opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=3e-3)
    for _ in range(120):
        out = model({'video': [video, video], 'audio': [audio, audio]})
        loss = nn.functional.cross_entropy(head(out.fused), y) + sum(
            out.losses.values())
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (head(
            model({
                'video': [video, video],
                'audio': [audio, audio]
            }).fused).argmax(-1) == y).float().mean()
    assert acc > 0.95
