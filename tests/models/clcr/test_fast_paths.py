"""The optimised paths of the exchange, budget and bases against their
straightforward references (outputs and gradients).

Tolerances: float32 throughout; 1e-5 absolute / relative on outputs and
gradients (the fast exchange adds ``log(alpha)`` through an extra key column
instead of an explicit bias, which changes rounding, not the maths).
"""
import math

import pytest
import torch

from clcr_plugin.models.clcr import IntraCED, SharedExchange, TokenBudget
from clcr_plugin.models.clcr.budget import level_gates
from clcr_plugin.models.clcr.exchange import (gated_cross_attention,
                                              other_modalities,
                                              select_open_tokens, stack_padded)
from clcr_plugin.models.clcr.intra_ced import co_exchange
from clcr_plugin.models.clcr.projection import capped_simplex_projection
from clcr_plugin.models.clcr.subspaces import level_bases

TOL = dict(atol=1e-5, rtol=1e-5)


def gates_with_zeros(n, t, seed, open_per_row=None):
    """(n, t) gates in (0.05, 0.95) with some exact zeros (or only
    ``open_per_row`` open ones per row)."""
    g = torch.Generator().manual_seed(seed)
    gates = torch.rand(n, t, generator=g) * 0.9 + 0.05
    if open_per_row is None:
        return gates * (torch.rand(n, t, generator=g) > 0.3)
    keep = torch.rand(n, t, generator=g).argsort(-1)[:, :open_per_row]
    return gates * torch.zeros(n, t).scatter(1, keep, 1.0)


def grads_of(ex, outputs, inputs):
    loss = sum((o * torch.linspace(-1, 1, o.shape[-1])).sum() for o in outputs)
    params = [ex.qkv.weight, ex.qkv.bias, ex.out.weight, ex.out.bias]
    return torch.autograd.grad(loss, list(inputs) + params)


@pytest.mark.parametrize('lengths', [(4, 4), (3, 5, 4)])
def test_fast_exchange_matches_reference_outputs_and_gradients(lengths):
    torch.manual_seed(0)
    ex = SharedExchange(16, num_heads=4)
    shared = [torch.randn(3, t, 16, requires_grad=True) for t in lengths]
    gates = [
        gates_with_zeros(3, t, i).requires_grad_()
        for i, t in enumerate(lengths)
    ]
    fast, ref = ex(shared, gates), ex.forward_reference(shared, gates)
    for got, want in zip(fast, ref):
        torch.testing.assert_close(got, want, **TOL)
    for got, want in zip(
            grads_of(ex, fast, shared + gates),
            grads_of(ex, ref, shared + gates)):
        torch.testing.assert_close(got, want, **TOL)


def test_gathering_the_open_tokens_is_exact_when_they_fit_the_bound():
    torch.manual_seed(1)
    ex = SharedExchange(8, num_heads=2)
    shared = [torch.randn(2, 10, 8, requires_grad=True) for _ in range(3)]
    gates = [
        gates_with_zeros(2, 10, i, open_per_row=4).requires_grad_()
        for i in range(3)
    ]
    fast = ex(shared, gates, keep=[4, 4, 4])
    ref = ex.forward_reference(shared, gates)
    for got, want in zip(fast, ref):
        assert got.shape == want.shape == (2, 10, 8)
        torch.testing.assert_close(got, want, **TOL)
    fast_grads = grads_of(ex, fast, shared + gates)
    ref_grads = grads_of(ex, ref, shared + gates)
    for i, (got, want) in enumerate(zip(fast_grads, ref_grads)):
        if 3 <= i < 6:
            # A skipped (closed) token's gate gets no gradient; the reference
            # gives it d(message)/d(gate). The projection's backward drops
            # gradients of zero gates, so only the open ones matter.
            open_ = gates[i - 3] > 0
            assert torch.equal(got[~open_], torch.zeros_like(got[~open_]))
            got, want = got[open_], want[open_]
        torch.testing.assert_close(got, want, **TOL)


def test_closed_modality_gives_zero_messages_and_finite_gradients():
    ex = SharedExchange(8, num_heads=2)
    shared = [torch.randn(2, 3, 8, requires_grad=True) for _ in range(2)]
    gates = [torch.rand(2, 3), torch.zeros(2, 3)]
    msgs = ex(shared, gates, keep=[2, 2])
    assert torch.equal(msgs[0], torch.zeros(2, 3, 8))
    sum(m.sum() for m in msgs).backward()
    assert all(torch.isfinite(x.grad).all() for x in shared)
    assert torch.equal(ex([shared[0]], [gates[0]])[0], torch.zeros(2, 3, 8))


def test_gated_cross_attention_equals_the_log_gate_bias_math():
    torch.manual_seed(2)
    q, k, v = (torch.randn(2, 3, s, 4, requires_grad=True) for s in (5, 7, 7))
    gates = gates_with_zeros(2, 7, 3).requires_grad_()
    fused = gated_cross_attention(q, k, v, gates)
    open_log = torch.where(gates > 0, gates, torch.ones_like(gates)).log()
    bias = torch.where(gates > 0, open_log, torch.full_like(gates, -math.inf))
    logits = q @ k.transpose(-1, -2) / 2.0 + bias[:, None, None]
    explicit = logits.softmax(-1) @ v
    torch.testing.assert_close(fused, explicit, **TOL)
    weights = torch.randn(fused.shape)
    got = torch.autograd.grad((fused * weights).sum(), (q, k, v, gates))
    want = torch.autograd.grad((explicit * weights).sum(), (q, k, v, gates))
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, **TOL)
    assert got[3][gates == 0].eq(0).all()  # a closed key gets no gradient
    assert got[3][gates > 0].abs().gt(0).all()


def test_other_modalities_and_token_selection():
    assert other_modalities(3, torch.device('cpu')).tolist() == [[1,
                                                                  2], [0, 2],
                                                                 [0, 1]]
    x = torch.arange(12.0).reshape(1, 6, 2)
    gates = torch.tensor([[0.0, 0.9, 0.0, 0.2, 0.0, 1.0]])
    kept, kept_gates, idx = select_open_tokens(x, gates, 3)
    assert sorted(idx[0].tolist()) == [1, 3, 5]
    torch.testing.assert_close(kept[0, :, 0], x[0, idx[0], 0])
    assert select_open_tokens(x, gates, 6)[2] is None


def test_budget_opens_at_most_its_static_bound_and_keeps_the_sum():
    budget = TokenBudget(init_rate=0.3, min_rate=0.1, max_rate=0.5)
    assert [budget.max_tokens(t) for t in (10, 7, 1)] == [5, 4, 1]
    assert TokenBudget(fixed_rate=0.25).max_tokens(8) == 2
    torch.manual_seed(3)
    shared = torch.randn(4, 10, 6) * torch.linspace(0.1, 1, 10)[:, None]
    mask = torch.ones(4, 10, dtype=torch.bool)
    mask[1, 7:] = False
    gates = budget(shared, mask)
    assert ((gates > 0).sum(-1) <= 5).all()
    assert not gates[1, 7:].any()
    torch.testing.assert_close(
        gates.sum(-1),
        budget.rate.detach() * mask.sum(-1).float(), **TOL)


def test_budget_bound_is_the_plain_projection_when_it_is_sparse_enough():
    budget = TokenBudget(init_rate=0.2, min_rate=0.1, max_rate=0.5)
    shared = torch.randn(3, 12, 6) * 10  # widely spread scores: few open
    mask = torch.ones(3, 12, dtype=torch.bool)
    scores = torch.nn.functional.softplus(
        budget.scale_param) * shared.norm(dim=-1)
    plain = capped_simplex_projection(scores, budget.rate * 12.0, mask)
    assert ((plain > 0).sum(-1) <= budget.max_tokens(12)).all()
    torch.testing.assert_close(budget(shared, mask), plain, **TOL)


def test_clcr_with_a_sparse_budget_matches_the_reference_exchange():
    """The whole of CLCR (three levels of other token counts, a sparse
    budget, one modality unavailable for a sample) with the batched fast
    exchange and with each level's explicit-bias reference exchange: same
    fused code, losses and gradients."""
    from clcr_plugin.models.clcr import CLCR
    torch.manual_seed(4)
    model = CLCR(
        {
            'a': dict(in_channels=[5, 6, 7], grids=[(9, ), (6, ), (4, )]),
            'b': dict(in_channels=[5, 6, 7], grids=[(6, ), (6, ), (3, )])
        },
        embed_dim=24,
        shared_dim=8,
        private_dim=6,
        num_heads=2,
        hidden_dim=16,
        reg_memory=8,
        budget=dict(init_rate=0.3, max_rate=0.5))
    g = torch.Generator().manual_seed(5)
    feats = {
        m: [torch.randn(4, 12, c, generator=g) for c in (5, 6, 7)]
        for m in 'ab'
    }
    available = {'b': torch.tensor([True, False, True, True])}
    params = [p for p in model.parameters() if p.requires_grad]

    def run(reference):
        model.reference_exchange = reference
        model.load_state_dict(state)  # the same regulariser memory
        out = model(feats, available=available)
        loss = (out.fused * torch.linspace(
            -1, 1, out.fused.shape[-1])).sum() + sum(out.losses.values())
        return out, torch.autograd.grad(loss, params)

    state = {k: v.clone() for k, v in model.state_dict().items()}
    fast, fast_grads = run(False)
    ref, ref_grads = run(True)
    assert (fast.diagnostics['participation_rate'] < 0.5 + 1e-5).all()
    torch.testing.assert_close(fast.fused, ref.fused, **TOL)
    for key in fast.losses:
        torch.testing.assert_close(fast.losses[key], ref.losses[key], **TOL)
    for got, want in zip(fast_grads, ref_grads):
        torch.testing.assert_close(got, want, **TOL)


def test_eval_bases_are_cached_until_a_parameter_changes():
    levels = [
        IntraCED(['a', 'b'], 24, 8, 6, num_heads=2).eval().bases
        for _ in range(2)
    ]
    with torch.no_grad():
        first = level_bases(levels, ['a', 'b'])
        again = level_bases(levels, ['a', 'b'])
        assert again[0] is first[0] and again[1] is first[1]
        subset = level_bases(levels, ['b'])
        torch.testing.assert_close(subset[1][:, 0], first[1][:, 1])
        with torch.enable_grad():
            fresh = level_bases(levels, ['a', 'b'])
        torch.testing.assert_close(first[0], fresh[0])
        torch.testing.assert_close(first[1], fresh[1])
        # a change of the second level's parameters is seen
        levels[1].frame.parametrizations.weight.original.add_(0.1)
        changed = level_bases(levels, ['a', 'b'])
        assert changed[0] is not first[0]
        torch.testing.assert_close(changed[0][0], first[0][0])
        assert not torch.allclose(changed[0][1], first[0][1])
    with_grad = level_bases(levels, ['a'])  # gradients on: not cached
    assert with_grad[0].requires_grad and with_grad[0] is not changed[0]


@pytest.mark.parametrize('orthogonal_map', ['cayley', 'matrix_exp'])
def test_batched_level_bases_equal_the_parametrised_weights(orthogonal_map):
    from clcr_plugin.models.clcr import SharedPrivateBases
    torch.manual_seed(7)
    levels = [
        SharedPrivateBases(16, 6, 4, ['a', 'b'], orthogonal_map)
        for _ in range(3)
    ]
    with torch.no_grad():  # move away from the initial frames
        for p in (p for b in levels for p in b.parameters()):
            p.add_(0.3 * torch.randn_like(p))
    u_sh, u_pr = level_bases(levels, ['b', 'a'])
    params = [p for b in levels for p in b.parameters()]
    weights = torch.linspace(-1, 1, 16)[:, None]
    got = torch.autograd.grad(
        (u_sh * weights).sum() + (u_pr * weights).pow(2).sum(), params)
    # torch's parametrisation (its own matrix_exp; SyncFreeCayley's solve)
    want_loss = 0
    for i, b in enumerate(levels):
        frame = b.frame.weight
        torch.testing.assert_close(u_sh[i], frame[:, :6], **TOL)
        for j, m in enumerate(['b', 'a']):
            u = frame[:, 6:] @ b.private[m].weight
            torch.testing.assert_close(u_pr[i, j], u, **TOL)
            want_loss = want_loss + (u * weights).pow(2).sum()
        want_loss = want_loss + (frame[:, :6] * weights).sum()
    for g, w in zip(got, torch.autograd.grad(want_loss, params)):
        torch.testing.assert_close(g, w, **TOL)


def sparse_levels(num_levels=3):
    torch.manual_seed(8)
    return [
        IntraCED(['a', 'b', 'c'],
                 24,
                 8,
                 6,
                 num_heads=2,
                 budget=dict(init_rate=0.3, max_rate=0.5))
        for _ in range(num_levels)
    ]


def test_all_levels_at_once_equal_each_level_alone():
    """co_exchange of three levels (other token counts per level and
    modality, padding, a sparse budget, one modality absent for a sample)
    against each level's IntraCED on its own: outputs and gradients."""
    levels = sparse_levels()
    for lv, rate in zip(levels, (0.2, 0.35, 0.45)):  # distinct parameters
        with torch.no_grad():
            lv.budget.rate_logit.fill_(math.log(rate / (0.5 - rate)))
    names, N = ['a', 'b', 'c'], 3
    lengths = [[9, 6, 4], [5, 5, 5], [2, 7, 3]]
    g = torch.Generator().manual_seed(9)
    tokens = [[
        torch.randn(N, t, 24, generator=g).requires_grad_() for t in row
    ] for row in lengths]
    masks = [[torch.rand(N, t, generator=g) > 0.2 for t in row]
             for row in lengths]
    masks[0][1][1] = False  # modality b absent for sample 1 on level 1
    params = [p for lv in levels for p in lv.parameters()]
    leaves = [t for row in tokens for t in row] + params
    T = 9

    def loss_of(shared, private):
        return (shared * torch.linspace(-1, 1, 8)).sum() + private.pow(2).sum()

    out = co_exchange(
        levels,
        stack_padded([t for row in tokens for t in row],
                     T).view(3, 3, N, T, 24),
        stack_padded([k for row in masks for k in row], T).view(3, 3, N, T),
        lengths, names)
    got = torch.autograd.grad(loss_of(out.shared, out.private), leaves)
    want_loss = 0
    for i, lv in enumerate(levels):
        alone = lv(dict(zip(names, tokens[i])), dict(zip(names, masks[i])))
        for j, m in enumerate(names):
            t = lengths[i][j]
            for field in ('shared', 'shared_before', 'private', 'gates'):
                torch.testing.assert_close(
                    getattr(out, field)[i, j, :, :t],
                    getattr(alone, field)[m], **TOL)
            assert (out.gates[i, j, :, t:] == 0).all()
            want_loss = want_loss + loss_of(alone.shared[m], alone.private[m])
    assert (out.gates[0, 1, 1] == 0).all()
    for g_got, g_want in zip(got, torch.autograd.grad(want_loss, leaves)):
        torch.testing.assert_close(g_got, g_want, **TOL)


def loop_losses(shared, private, available):
    """The regularisers written as loops over pairs (the paper's sums)."""
    from itertools import combinations, permutations

    from clcr_plugin.models.clcr import cross_correlation_penalty as pen
    N, M, L, _ = shared.shape
    a = available.float()
    intra = [
        pen(private[:, m, lv], shared[:, m, lv], a[:, m]) for lv in range(L)
        for m in range(M)
    ] + [
        pen(private[:, m, lv], private[:, n, lv], a[:, m] * a[:, n])
        for lv in range(L) for m, n in combinations(range(M), 2)
    ]
    pr = [
        pen(private[:, m, j], private[:, m, k], a[:, m]) for m in range(M)
        for j, k in combinations(range(L), 2)
    ]
    sp = [
        pen(shared[:, m, j], private[:, m, k], a[:, m]) for m in range(M)
        for j, k in permutations(range(L), 2)
    ]
    return [torch.stack(t).mean() for t in (intra, pr, sp)]


@pytest.mark.parametrize('M,L', [(2, 3), (3, 2), (3, 4)])
def test_batched_regularisers_match_the_pairwise_loops(M, L):
    from clcr_plugin.models.clcr import (intra_level_loss,
                                         private_redundancy_loss,
                                         shared_private_leakage_loss)
    g = torch.Generator().manual_seed(M * 10 + L)
    shared = torch.randn(12, M, L, 6, generator=g, requires_grad=True)
    mixed = shared[..., :4].detach() + 0.5 * torch.randn(
        12, M, L, 4, generator=g)
    private = mixed.requires_grad_()
    available = torch.rand(12, M, generator=g) > 0.2
    batched = [
        intra_level_loss(shared, private, available),
        private_redundancy_loss(private, available),
        shared_private_leakage_loss(shared, private, available)
    ]
    for got, want in zip(batched, loop_losses(shared, private, available)):
        torch.testing.assert_close(got, want, **TOL)
        assert want > 0
        grad = dict(allow_unused=True, materialize_grads=True)
        for dg, dw in zip(
                torch.autograd.grad(
                    got, [shared, private], retain_graph=True, **grad),
                torch.autograd.grad(want, [shared, private], **grad)):
            torch.testing.assert_close(dg, dw, **TOL)


@pytest.mark.parametrize('orthogonal_map', ['cayley', 'matrix_exp'])
def test_both_orthogonal_maps_give_orthonormal_mutually_orthogonal_bases(
        orthogonal_map):
    from clcr_plugin.models.clcr import SharedPrivateBases
    torch.manual_seed(5)
    bases = SharedPrivateBases(16, 6, 4, ['a', 'b'], orthogonal_map)
    with torch.no_grad():  # move away from the initial frame
        for p in bases.parameters():
            p.add_(0.3 * torch.randn_like(p))
    u_sh, u_pr = bases.bases(['a', 'b'])
    eye = torch.eye(6)
    torch.testing.assert_close(u_sh.T @ u_sh, eye, atol=1e-5, rtol=0)
    for u in u_pr.values():
        torch.testing.assert_close(u.T @ u, torch.eye(4), atol=1e-5, rtol=0)
        torch.testing.assert_close(
            u_sh.T @ u, torch.zeros(6, 4), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="orthogonal_map must be 'cayley'"):
        SharedPrivateBases(16, 6, 4, ['a'], 'householder')


def test_one_budget_projection_for_all_levels_equals_separate_calls():
    """Levels with other rates, modalities with other token counts (so
    other static bounds): one call of level_gates equals every budget
    called on its own rows."""
    budgets = [lv.budget for lv in sparse_levels(2)]
    with torch.no_grad():
        budgets[1].rate_logit.add_(1.0)
        budgets[1].scale_param.add_(0.5)
    lengths = [[7, 4, 7], [3, 7, 6]]
    g = torch.Generator().manual_seed(6)
    shared = [[torch.randn(3, t, 8, generator=g) for t in row]
              for row in lengths]
    masks = [[torch.rand(3, t, generator=g) > 0.2 for t in row]
             for row in lengths]
    batched = level_gates(
        budgets,
        stack_padded([x for row in shared for x in row],
                     7).view(2, 3, 3, 7, 8),
        stack_padded([k for row in masks for k in row], 7).view(2, 3, 3, 7),
        lengths)
    for i, b in enumerate(budgets):
        for j, t in enumerate(lengths[i]):
            alone = b(shared[i][j], masks[i][j])
            assert (alone > 0).sum(-1).max() <= b.max_tokens(t)
            torch.testing.assert_close(batched[i, j, :, :t], alone, **TOL)
            assert (batched[i, j, :, t:] == 0).all()


@pytest.mark.parametrize('M, L', [(2, 3), (3, 2), (2, 1)])
def test_separation_losses_from_one_product_equal_the_separate_terms(M, L):
    from clcr_plugin.models.clcr import (intra_level_loss,
                                         private_redundancy_loss,
                                         shared_private_leakage_loss)
    from clcr_plugin.models.clcr.losses import separation_losses
    g = torch.Generator().manual_seed(10)
    N = 12
    before = torch.randn(N, M, L, 5, generator=g).requires_grad_()
    shared = (before.detach() +
              0.5 * torch.randn(N, M, L, 5, generator=g)).requires_grad_()
    private = (torch.randn(N, M, L, 3, generator=g) +
               before.detach()[..., :3]).requires_grad_()  # correlated
    available = torch.rand(N, M, generator=g) > 0.2
    got = separation_losses(before, shared, private, available)
    want = dict(
        intra=intra_level_loss(before, private, available),
        pr=private_redundancy_loss(private, available),
        sp=shared_private_leakage_loss(shared, private, available))
    assert want['intra'] > 0 and (L < 2 or want['sp'] > 0)
    for key in ('intra', 'pr', 'sp'):
        torch.testing.assert_close(got[key], want[key], **TOL)
        if want[key].requires_grad:
            for dg, dw in zip(
                    torch.autograd.grad(
                        got[key], [before, shared, private],
                        retain_graph=True,
                        allow_unused=True),
                    torch.autograd.grad(
                        want[key], [before, shared, private],
                        retain_graph=True,
                        allow_unused=True)):
                if dw is None:
                    assert dg is None or (dg == 0).all()
                else:
                    torch.testing.assert_close(dg, dw, **TOL)
