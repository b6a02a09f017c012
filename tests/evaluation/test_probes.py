"""Ridge linear probes: decodable factors score ~1, XOR-hidden ones ~chance;
the math matches a direct solve."""
import pytest
import torch

from clcr_plugin.evaluation.probes import (linear_probe, ridge_weights,
                                           standardise)


def xor_example(n: int, seed: int):
    """Features (n, 6): dim 0 shows ``a`` linearly; ``b = s1 xor s2`` lives
    only in the signs of dims 1, 2."""
    g = torch.Generator().manual_seed(seed)
    a, s1, s2 = (torch.randint(0, 2, (n, ), generator=g) for _ in range(3))
    b = s1 ^ s2
    x = torch.randn(n, 6, generator=g)
    x[:, 0] = 3.0 * (2 * a - 1) + 0.3 * x[:, 0]
    x[:, 1] = (2 * s1 - 1) * (1 + x[:, 1].abs())
    x[:, 2] = (2 * s2 - 1) * (1 + x[:, 2].abs())
    return 100.0 * x + 7.0, a, b  # scale and offset: the probe standardises


def test_a_linearly_encoded_factor_decodes_and_an_xor_factor_stays_at_chance():
    fit_x, fit_a, fit_b = xor_example(600, 0)
    eval_x, eval_a, eval_b = xor_example(400, 1)
    assert linear_probe(fit_x, fit_a, eval_x, eval_a).accuracy > 0.99
    assert abs(linear_probe(fit_x, fit_b, eval_x, eval_b).accuracy -
               0.5) < 0.08

    def with_product(x):
        return torch.cat([x, ((x[:, 1] - 7) * (x[:, 2] - 7))[:, None]], 1)

    # the XOR factor is decodable from a representation that includes the
    # product feature

    assert linear_probe(
        with_product(fit_x), fit_b, with_product(eval_x),
        eval_b).accuracy > 0.95


def test_multiclass_targets_and_the_chosen_lambda():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(300) % 5
    centres = torch.randn(5, 8, generator=g) * 4
    x = centres[labels] + torch.randn(300, 8, generator=g)
    result = linear_probe(
        x[:200], labels[:200], x[200:], labels[200:], lambdas=[0.1, 1.0, 1e9])
    assert result.accuracy > 0.95 and result.lam in (
        0.1, 1.0) and result.val_accuracy > 0.9
    # a huge lambda shrinks the weights to ~0: an imbalanced fit set's majority
    # class wins
    fit = torch.cat([torch.arange(200), torch.arange(200)[labels[:200] == 3]])
    constant = linear_probe(
        x[fit], labels[fit], x[200:], labels[200:], lambdas=[1e12])
    assert constant.lam == 1e12 and constant.accuracy == pytest.approx(
        (labels[200:] == 3).double().mean().item())


def test_ridge_weights_equal_the_normal_equations():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(
        30, 50, generator=g, dtype=torch.float64)  # more features than samples
    y = torch.randn(30, 3, generator=g, dtype=torch.float64)
    w = ridge_weights(x, y, [0.5, 20.0])
    for k, lam in enumerate((0.5, 20.0)):
        direct = torch.linalg.solve(
            x.T @ x + lam * torch.eye(50, dtype=torch.float64), x.T @ y)
        torch.testing.assert_close(w[k], direct)
    a, b = standardise(x, x[:5] * 2)
    torch.testing.assert_close(a.mean(0), torch.zeros(50, dtype=torch.float64))
    torch.testing.assert_close(
        a.std(0, unbiased=False), torch.ones(50, dtype=torch.float64))


def test_constant_features_and_bad_inputs():
    x = torch.zeros(20, 3)
    y = torch.arange(20) % 2
    assert 0.0 <= linear_probe(x, y, x,
                               y).accuracy <= 1.0  # no division by a zero std
    with pytest.raises(
            ValueError,
            match=(r'features must be \(N, D\) and \(M, D\), '
                   r'got \(20, 3\) and \(20, 2\)')):
        linear_probe(x, y, torch.zeros(20, 2), y)
    with pytest.raises(
            ValueError, match='20 / 20 feature rows but 19 / 20 targets'):
        linear_probe(x, y[:19], x, y)
    with pytest.raises(ValueError, match='too small for a held-out part'):
        linear_probe(x[:2], y[:2], x, y, val_fraction=0.1)
    with pytest.raises(
            ValueError, match=r'val_fraction must be in \(0, 1\), got 1.5'):
        linear_probe(x, y, x, y, val_fraction=1.5)
