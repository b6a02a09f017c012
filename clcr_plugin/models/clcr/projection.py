"""Euclidean projection onto the capped (truncated) simplex.

    alpha = argmin_a ||a - s||^2   s.t.  0 <= a_t <= 1,  sum_t a_t = B

The solution is ``alpha_t = clamp(s_t - nu, 0, 1)`` for the unique threshold
``nu`` at which the gates sum to ``B``. ``f(nu) = sum_t clamp(s_t - nu, 0, 1)``
is piecewise linear and non-increasing with breakpoints ``s_t`` and
``s_t - 1``,
so ``nu`` is found exactly: evaluate ``f`` at all ``2T`` breakpoints with
sorted
prefix sums (``O(T log T)``), find the bracketing pair, and interpolate
linearly
inside it. Everything is vectorised over the leading dimensions; no value of a
tensor steers Python control flow.

Gradients (closed form on the active set, as for sparsemax): with
``F = {t : 0 < alpha_t < 1}`` and ``k = |F|``,

    d alpha_t / d s_u = [t in F] ([t = u] - [u in F] / k)
    d alpha_t / d B   = [t in F] / k
"""
from typing import Optional, Tuple

import torch
from torch import Tensor


def _threshold(scores: Tensor, budget: Tensor) -> Tensor:
    """Exact threshold ``nu`` with ``sum_t clamp(s_t - nu, 0, 1) = B``.

    Args:
        scores: (R, T) scores.
        budget: (R,) budgets in [0, T].

    Returns:
        (R,) thresholds.
    """
    R, T = scores.shape
    sorted_s, _ = scores.sort(dim=-1)  # ascending (R, T)
    prefix = torch.cat([scores.new_zeros(R, 1),
                        sorted_s.cumsum(-1)], dim=-1)  # (R, T+1)
    candidates, _ = torch.cat([scores, scores - 1.0],
                              dim=-1).sort(dim=-1)  # (R, 2T)

    # f(nu) = #{s >= nu + 1} + sum_{nu < s < nu + 1} (s - nu)
    below = torch.searchsorted(sorted_s, candidates, right=True)  # #{s <= nu}
    not_capped = torch.searchsorted(
        sorted_s, candidates + 1.0, right=False)  # #{s < nu+1}
    partial = prefix.gather(-1, not_capped) - prefix.gather(-1, below)
    f = (T - not_capped) + partial - (
        not_capped - below) * candidates  # (R, 2T), non-increasing

    # Last breakpoint with f >= B (f at the first one is T >= B), and the next
    # one.
    b = budget.unsqueeze(-1)
    hi_idx = ((f >= b).sum(-1, keepdim=True) - 1).clamp(0, 2 * T - 2)
    lo_idx = hi_idx + 1
    nu_a, nu_b = candidates.gather(-1, hi_idx), candidates.gather(-1, lo_idx)
    f_a, f_b = f.gather(-1, hi_idx), f.gather(-1, lo_idx)
    slope = (f_a - f_b).clamp_min(torch.finfo(scores.dtype).tiny)
    step = ((f_a - b) / slope).clamp(0.0, 1.0)
    nu = nu_a + step * (nu_b - nu_a)  # (R, 1)

    # Refine on the active set in coordinates centred at nu: prefix sums of
    # large scores lose digits, the free scores lie within 1 of nu.
    centred = scores - nu
    free = (centred > 0) & (centred < 1)
    k = free.sum(-1, keepdim=True)
    capped = (centred >= 1).sum(-1, keepdim=True)
    excess = (centred * free).sum(-1, keepdim=True) - (b - capped)
    nu = nu + torch.where(k > 0, excess / k.clamp_min(1),
                          torch.zeros_like(excess))
    return nu.squeeze(-1)


class _CappedSimplexProjection(torch.autograd.Function):
    """Autograd wrapper: exact forward, active-set closed-form backward."""

    @staticmethod
    def forward(ctx, scores: Tensor, budget: Tensor) -> Tensor:
        nu = _threshold(scores, budget)
        alpha = (scores - nu.unsqueeze(-1)).clamp(0.0, 1.0)
        ctx.save_for_backward(alpha)
        return alpha

    @staticmethod
    def backward(ctx, grad_alpha: Tensor) -> Tuple[Tensor, Tensor]:
        (alpha, ) = ctx.saved_tensors
        free = ((alpha > 0) & (alpha < 1)).to(grad_alpha.dtype)
        k = free.sum(-1, keepdim=True)
        mean_free = (grad_alpha * free).sum(
            -1, keepdim=True) / k.clamp_min(1.0)
        grad_scores = free * (grad_alpha - mean_free)
        grad_budget = mean_free.squeeze(-1) * (k.squeeze(-1) > 0).to(
            grad_alpha.dtype)
        return grad_scores, grad_budget


def capped_simplex_projection(scores: Tensor,
                              budget: Tensor,
                              mask: Optional[Tensor] = None) -> Tensor:
    """Project scores onto ``{0 <= alpha <= 1, sum(alpha) = budget}``.

    Args:
        scores: (..., T) real scores.
        budget: (...) budgets; clamped to ``[0, number of valid tokens]``.
        mask: optional (..., T) bool, False marks padding. Masked entries get
            ``alpha = 0``, do not count towards ``T`` and receive no gradient.

    Returns:
        (..., T) gates ``alpha`` with the dtype of ``scores``.
    """
    if scores.dim() < 1:
        raise ValueError('scores must have a token dimension, got shape '
                         f'{tuple(scores.shape)}')
    lead, T = scores.shape[:-1], scores.shape[-1]
    budget = torch.as_tensor(budget, dtype=scores.dtype, device=scores.device)
    budget = budget.expand(lead) if budget.dim() == 0 else budget
    if budget.shape != lead:
        raise ValueError(
            f'budget shape {tuple(budget.shape)} does not match scores '
            f'{tuple(scores.shape)} without the token dimension')
    # float64 inside: the tensors are small ((..., T) gates) and the budget
    # constraint then holds to ~1e-7 even for scores of magnitude 1e3.
    compute_dtype = torch.float64
    s = scores.reshape(-1, T).to(compute_dtype)
    b = budget.reshape(-1).to(compute_dtype)
    if mask is None:
        b = b.clamp(0.0, float(T))
        return _CappedSimplexProjection.apply(s, b).reshape(scores.shape).to(
            scores.dtype)

    if mask.shape != scores.shape:
        raise ValueError(
            f'mask shape {tuple(mask.shape)} does not match scores '
            f'{tuple(scores.shape)}')
    m = mask.reshape(-1, T)
    valid = m.to(compute_dtype)
    b = torch.minimum(b.clamp_min(0.0), valid.sum(-1))
    # Padding sits two below the smallest valid score: it never enters the
    # free set, so the projection over valid tokens is unchanged.
    # (a row without a valid token, or a non-finite minimum, sits at -2)
    floor = s.detach().masked_fill(~m, float('inf')).amin(
        -1, keepdim=True).nan_to_num(0.0, 0.0, 0.0) - 2.0
    filled = torch.where(m, s, floor)
    alpha = _CappedSimplexProjection.apply(filled, b) * valid
    return alpha.reshape(scores.shape).to(scores.dtype)
