import pytest
import torch

from clcr_plugin.models.clcr import IntraCED, SharedExchange
from clcr_plugin.models.clcr.exchange import (exchange_bias,
                                              gated_attention_reference)


def loop_reference(ex: SharedExchange, shared, gates):
    """Per-modality loop: queries of m against gated keys of all other
    modalities."""
    D = shared[0].shape[-1]
    h = ex.num_heads
    out = []
    for m, (x, g) in enumerate(zip(shared, gates)):
        others = [i for i in range(len(shared)) if i != m]
        xo = torch.cat([shared[i] for i in others], 1)
        go = torch.cat([gates[i] for i in others], 1)
        wq, wk, wv = ex.qkv.weight.split(D)
        bq, bk, bv = ex.qkv.bias.split(D)
        N, T, _ = x.shape
        q = (x @ wq.T + bq).reshape(N, T, h, D // h).transpose(1, 2)
        k = (xo @ wk.T + bk).reshape(N, -1, h, D // h).transpose(1, 2)
        v = (xo @ wv.T + bv).reshape(N, -1, h, D // h).transpose(1, 2)
        logits = q @ k.transpose(
            -1, -2) / (D // h)**0.5 + torch.log(go)[:, None, None, :]
        att = (logits.softmax(-1) @ v).transpose(1, 2).reshape(N, T, D)
        out.append(ex.out(att) * g.unsqueeze(-1))
    return out


def test_fused_exchange_matches_per_modality_loop_for_three_modalities():
    torch.manual_seed(0)
    ex = SharedExchange(16, num_heads=4)
    shared = [torch.randn(2, t, 16) for t in (3, 5, 4)]
    gates = [torch.rand(2, t) * 0.9 + 0.05 for t in (3, 5, 4)]
    for got, want in zip(ex(shared, gates), loop_reference(ex, shared, gates)):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_bias_blocks_own_modality_and_closed_keys():
    gates = torch.tensor([[0.5, 0.0, 1.0, 0.3]])
    ids = torch.tensor([0, 0, 1, 1])
    bias, has_keys = exchange_bias(gates, ids)
    b = bias[0, 0]
    assert torch.isinf(b[0, 0]) and torch.isinf(b[0, 1])  # own modality
    assert torch.isinf(b[2, 1])  # closed key
    torch.testing.assert_close(b[2, 0], torch.log(torch.tensor(0.5)))
    assert has_keys.all()


def test_fused_path_equals_explicit_attention_math():
    torch.manual_seed(1)
    q, k, v = (torch.randn(2, 2, 6, 4) for _ in range(3))
    bias, _ = exchange_bias(torch.rand(2, 6), torch.tensor([0, 0, 0, 1, 1, 1]))
    fused = torch.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=bias)
    torch.testing.assert_close(
        fused, gated_attention_reference(q, k, v, bias), atol=1e-5, rtol=1e-5)


def test_queries_without_admissible_keys_receive_zero_message_and_finite_grads(
):
    ex = SharedExchange(8, num_heads=2)
    shared = [
        torch.randn(2, 3, 8, requires_grad=True),
        torch.randn(2, 4, 8, requires_grad=True)
    ]
    gates = [torch.rand(2, 3), torch.zeros(2, 4)]  # modality 1 closed entirely
    msgs = ex(shared, gates)
    assert torch.equal(msgs[0], torch.zeros_like(msgs[0]))
    sum(m.sum() for m in msgs).backward()
    assert all(torch.isfinite(x.grad).all() for x in shared)


def make_intra(score_scale: float = 1.0):
    torch.manual_seed(0)
    return IntraCED(['a', 'b'],
                    embed_dim=24,
                    shared_dim=8,
                    private_dim=6,
                    num_heads=2,
                    budget=dict(init_rate=0.5, score_scale=score_scale))


def test_no_private_leakage_perturbing_non_shared_directions_of_a():
    intra = make_intra()
    tokens = {'a': torch.randn(3, 6, 24), 'b': torch.randn(3, 5, 24)}
    masks = {
        m: torch.ones(3, t.shape[1], dtype=torch.bool)
        for m, t in tokens.items()
    }
    base = intra(tokens, masks)
    u_sh, u_pr = intra.bases.bases(['a'])
    # private direction of a, plus a direction orthogonal to the shared space
    noise = torch.randn(3, 6, 24)
    off_shared = noise - noise @ u_sh @ u_sh.T
    along_private = 5 * torch.randn(3, 6, 6) @ u_pr['a'].T
    perturbed = intra(
        {
            'a': tokens['a'] + along_private + 3 * off_shared,
            'b': tokens['b']
        }, masks)
    torch.testing.assert_close(
        perturbed.shared['b'], base.shared['b'], atol=1e-5, rtol=0)
    assert not torch.allclose(perturbed.private['a'],
                              base.private['a'])  # a did change


def test_no_leakage_from_tokens_whose_gate_is_zero():
    intra = make_intra(score_scale=20.0)  # hard gates: many exact zeros
    torch.manual_seed(2)
    tokens = {'a': torch.randn(2, 10, 24), 'b': torch.randn(2, 5, 24)}
    masks = {
        m: torch.ones(2, t.shape[1], dtype=torch.bool)
        for m, t in tokens.items()
    }
    base = intra(tokens, masks)
    closed = base.gates['a'] == 0
    assert closed.sum() >= 4
    # shrink closed tokens towards zero and rotate them: their gate stays 0
    changed = torch.where(
        closed.unsqueeze(-1), tokens['a'].flip(-1) * 0.3, tokens['a'])
    perturbed = intra({'a': changed, 'b': tokens['b']}, masks)
    assert torch.equal(perturbed.gates['a'] == 0, closed)
    torch.testing.assert_close(
        perturbed.shared['b'], base.shared['b'], atol=1e-6, rtol=0)


def test_exchange_heads_must_divide_the_shared_width():
    with pytest.raises(ValueError, match='num_heads=3'):
        SharedExchange(16, num_heads=3)
