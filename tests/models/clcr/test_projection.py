import pytest
import torch

from clcr_plugin.models.clcr import capped_simplex_projection


def bisection_reference(scores: torch.Tensor,
                        budget: torch.Tensor,
                        iters: int = 200) -> torch.Tensor:
    """Independent float64 reference: bisection on the threshold nu."""
    s, b = scores.double(), budget.double()
    lo = s.min(-1).values - 1.0
    hi = s.max(-1).values
    for _ in range(iters):
        mid = (lo + hi) / 2
        total = (s - mid.unsqueeze(-1)).clamp(0, 1).sum(-1)
        too_many = total > b
        lo = torch.where(too_many, mid, lo)
        hi = torch.where(too_many, hi, mid)
    return (s - ((lo + hi) / 2).unsqueeze(-1)).clamp(0, 1)


def random_cases(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    T = 17
    gaussian = torch.randn(64, T, generator=g, dtype=torch.float64)
    ties = torch.randint(
        0, 3, (64, T), generator=g).double()  # many exact ties
    extreme = torch.randn(64, T, generator=g, dtype=torch.float64) * 1e3
    mixed = gaussian.clone()
    mixed[:, :3] = torch.tensor([1e4, -1e4, 50.0], dtype=torch.float64)
    for scores in (gaussian, ties, extreme, mixed):
        yield scores, torch.rand(64, generator=g, dtype=torch.float64) * T


@pytest.mark.parametrize('case', range(4))
def test_projection_satisfies_constraints_and_matches_bisection(case):
    scores, budget = list(random_cases())[case]
    alpha = capped_simplex_projection(scores, budget)
    assert alpha.min() >= 0 and alpha.max() <= 1
    torch.testing.assert_close(alpha.sum(-1), budget, atol=1e-5, rtol=0)
    torch.testing.assert_close(
        alpha, bisection_reference(scores, budget), atol=1e-6, rtol=0)


def test_projection_float32_budget_sum():
    scores = torch.randn(128, 40) * 100
    budget = torch.rand(128) * 40
    alpha = capped_simplex_projection(scores, budget)
    assert alpha.dtype == torch.float32
    torch.testing.assert_close(alpha.sum(-1), budget, atol=1e-5, rtol=0)


def test_full_budget_gives_all_ones_and_zero_budget_all_zeros():
    scores = torch.randn(5, 9)
    assert torch.equal(
        capped_simplex_projection(scores, torch.full((5, ), 9.0)),
        torch.ones(5, 9))
    assert torch.equal(
        capped_simplex_projection(scores, torch.zeros(5)), torch.zeros(5, 9))


def test_budget_outside_range_is_clamped():
    scores = torch.randn(3, 4)
    torch.testing.assert_close(
        capped_simplex_projection(scores, torch.full((3, ), 7.0)),
        torch.ones(3, 4))
    torch.testing.assert_close(
        capped_simplex_projection(scores, torch.full((3, ), -1.0)),
        torch.zeros(3, 4))


def test_projection_is_invariant_to_a_constant_shift():
    """Why TokenBudget has no threshold tau: it cancels exactly."""
    scores = torch.randn(10, 12, dtype=torch.float64)
    budget = torch.rand(10, dtype=torch.float64) * 12
    torch.testing.assert_close(
        capped_simplex_projection(scores - 3.7, budget),
        capped_simplex_projection(scores, budget))


def test_projection_is_euclidean_nearest_feasible_point():
    scores = torch.randn(1, 6, dtype=torch.float64)
    budget = torch.tensor([2.5], dtype=torch.float64)
    alpha = capped_simplex_projection(scores, budget)
    g = torch.Generator().manual_seed(1)
    for _ in range(200):  # random feasible points are never closer
        other = alpha + 0.1 * torch.randn(
            1, 6, generator=g, dtype=torch.float64)
        other = other - (other.sum() - 2.5) / 6
        if other.min() < 0 or other.max() > 1:
            continue
        assert (other - scores).norm() >= (alpha - scores).norm() - 1e-12


def test_gradcheck_wrt_scores_and_budget():
    g = torch.Generator().manual_seed(3)
    scores = torch.randn(
        4, 7, generator=g, dtype=torch.float64, requires_grad=True)
    budget = (torch.rand(4, generator=g, dtype=torch.float64) * 6 +
              0.5).requires_grad_()
    assert torch.autograd.gradcheck(capped_simplex_projection,
                                    (scores, budget))


def test_gradcheck_with_padding_mask():
    g = torch.Generator().manual_seed(4)
    scores = torch.randn(
        3, 8, generator=g, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0, 0], [1] * 8,
                         [0, 1, 0, 1, 1, 1, 0, 1]],
                        dtype=torch.bool)
    budget = torch.tensor([2.2, 5.1, 3.3],
                          dtype=torch.float64,
                          requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda s, b: capped_simplex_projection(s, b, mask), (scores, budget))


def test_budget_gradient_moves_gate_mass():
    scores = torch.randn(2, 10, dtype=torch.float64)
    budget = torch.tensor([4.5, 6.5], dtype=torch.float64, requires_grad=True)
    capped_simplex_projection(scores, budget).sum().backward()
    torch.testing.assert_close(budget.grad, torch.ones(
        2, dtype=torch.float64))  # d sum(alpha) / dB = 1


def test_mask_zeroes_padding_and_equals_projection_of_valid_tokens():
    g = torch.Generator().manual_seed(5)
    scores = torch.randn(6, 10, generator=g) * 5
    mask = torch.rand(6, 10, generator=g) > 0.4
    mask[:, 0] = True
    budget = mask.sum(-1) * 0.68
    alpha = capped_simplex_projection(scores, budget, mask)
    assert (alpha[~mask] == 0).all()
    for i in range(6):
        expected = capped_simplex_projection(scores[i, mask[i]], budget[i])
        torch.testing.assert_close(
            alpha[i, mask[i]], expected, atol=1e-6, rtol=0)


def test_full_budget_with_mask_and_all_masked_rows():
    scores = torch.randn(2, 5)
    mask = torch.tensor([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0]], dtype=torch.bool)
    alpha = capped_simplex_projection(scores, torch.tensor([3.0, 2.0]), mask)
    assert torch.equal(alpha, mask.float())
    assert torch.isfinite(alpha).all()


def test_vectorised_over_leading_dimensions():
    scores = torch.randn(2, 3, 4, 9)
    budget = torch.rand(2, 3, 4) * 9
    alpha = capped_simplex_projection(scores, budget)
    torch.testing.assert_close(
        alpha[1, 2, 3],
        capped_simplex_projection(scores[1, 2, 3:4], budget[1, 2, 3:4])[0])


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r'budget shape \(3,\)'):
        capped_simplex_projection(torch.randn(2, 5), torch.ones(3))
    with pytest.raises(ValueError, match='mask shape'):
        capped_simplex_projection(
            torch.randn(2, 5), torch.ones(2),
            torch.ones(2, 4, dtype=torch.bool))
