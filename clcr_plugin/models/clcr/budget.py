"""Learnable token budget: which shared tokens take part in the exchange."""
import math
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .projection import capped_simplex_projection


class TokenBudget(nn.Module):
    """Gates ``alpha`` on the capped simplex with a learnable budget per level.

    Per token the shared evidence is ``e_t = ||h_sh,t||_2`` and the score is
    ``gamma * e_t`` with a learnable scale ``gamma > 0``. The paper writes
    ``gamma (e_t - tau)``; the projection is invariant to a constant shift of
    the scores, so ``tau`` cancels exactly and is not a parameter here.
    The budget is ``B = r * T_valid`` with the participation rate
    ``r = r_min + (r_max - r_min) * sigmoid(rho)`` kept in ``[r_min, r_max]``.

    At most ``k = max_tokens(T) = ceil(r_max * T)`` gates are non-zero: the
    projection runs over the ``k`` highest-scoring valid tokens (feasible, as
    ``B <= r_max * T_valid <= k``). It is the unrestricted projection whenever
    that one has at most ``k`` non-zero gates, and always for ``r_max = 1``.
    The static bound lets the exchange gather ``k`` tokens and skip the rest
    (see :class:`SharedExchange`).

    Args:
        init_rate: initial participation rate (paper's optimum: 0.68).
        min_rate: lower bound ``r_min`` of the rate.
        max_rate: upper bound ``r_max`` of the rate.
        score_scale: initial ``gamma``; larger values give harder gates.
        fixed_rate: if given, ``r`` is this constant and not learned (the
            paper's sweep over ``r``); ``1.0`` gives dense exchange (every
            valid token gated 1).
    """

    def __init__(self,
                 init_rate: float = 0.68,
                 min_rate: float = 0.1,
                 max_rate: float = 1.0,
                 score_scale: float = 1.0,
                 fixed_rate: Optional[float] = None) -> None:
        super().__init__()
        if fixed_rate is not None and not 0.0 < fixed_rate <= 1.0:
            raise ValueError(f'budget.fixed_rate={fixed_rate}: expected a '
                             'rate in (0, 1]')
        self.fixed_rate = fixed_rate
        if not 0.0 <= min_rate < init_rate < max_rate <= 1.0:
            raise ValueError(
                f'budget=dict(min_rate={min_rate}, init_rate={init_rate}, '
                f'max_rate={max_rate}): expected 0 <= min_rate < init_rate < '
                'max_rate <= 1')
        if score_scale <= 0:
            raise ValueError(f'budget.score_scale={score_scale}: expected a '
                             'positive scale')
        self.min_rate, self.max_rate = min_rate, max_rate
        unit = (init_rate - min_rate) / (max_rate - min_rate)
        self.rate_logit = nn.Parameter(
            torch.tensor(math.log(unit / (1.0 - unit))))
        # softplus^-1(score_scale)
        self.scale_param = nn.Parameter(
            torch.tensor(math.log(math.expm1(score_scale))))

    @property
    def rate(self) -> Tensor:
        """Participation rate ``r`` (scalar)."""
        return self.rate_of_logits(self.rate_logit)

    def rate_of_logits(self, logits: Tensor) -> Tensor:
        """``r`` for rate logits of any shape (this budget's bounds)."""
        if self.fixed_rate is not None:  # filled on the device, no copy
            return torch.full_like(logits, self.fixed_rate)
        return self.min_rate + (self.max_rate -
                                self.min_rate) * torch.sigmoid(logits)

    def max_tokens(self, num_tokens: int) -> int:
        """Static bound ``k`` on the non-zero gates among ``num_tokens``
        tokens: ``ceil(r * T)`` for the largest rate ``r`` (``fixed_rate`` or
        ``max_rate``)."""
        top = self.max_rate if self.fixed_rate is None else self.fixed_rate
        # the tolerance keeps e.g. 0.5 * 10 at 5, not 6 from rounding
        return min(num_tokens, math.ceil(top * num_tokens - 1e-6))

    def forward(self, shared: Tensor, mask: Tensor) -> Tensor:
        """Gates for shared tokens.

        Args:
            shared: (N, T, d_sh) shared-subspace tokens.
            mask: (N, T) bool, False for padding or an absent modality.

        Returns:
            (N, T) gates in [0, 1] summing to ``r * T_valid`` per sample.
        """
        return level_gates([self], shared[None, None], mask[None, None],
                           [[shared.shape[1]]])[0, 0]


def _open_bounds(budgets: Sequence[TokenBudget],
                 lengths: Sequence[Sequence[int]]) -> List[List[int]]:
    return [[b.max_tokens(t) for t in row] for b, row in zip(budgets, lengths)]


def max_open_tokens(budgets: Sequence[TokenBudget],
                    lengths: Sequence[Sequence[int]]) -> int:
    """The largest static bound ``k`` over levels and modalities (see
    :func:`level_gates`)."""
    return max(max(row) for row in _open_bounds(budgets, lengths))


def level_rates(budgets: Sequence[TokenBudget]) -> Tensor:
    """(L,) participation rates ``r_l`` of levels' budgets built alike."""
    return budgets[0].rate_of_logits(
        torch.stack([b.rate_logit for b in budgets]))


def level_gates(budgets: Sequence[TokenBudget], shared: Tensor, mask: Tensor,
                lengths: Sequence[Sequence[int]]) -> Tensor:
    """Gates of ``L`` levels and ``M`` modalities in one projection.

    Args:
        budgets: the levels' :class:`TokenBudget`, built alike (same bounds
            or fixed rate; each has its own rate and scale).
        shared: (L, M, N, T, d_sh) shared tokens, zero-padded to ``T``.
        mask: (L, M, N, T) bool, False for padding or an absent modality.
        lengths: ``lengths[l][m]``, the tokens of level ``l`` and modality
            ``m`` before padding (their static bound is
            ``budgets[l].max_tokens(lengths[l][m])``).

    Returns:
        (L, M, N, T) gates, each (level, modality, sample) row the gates of a
        separate :class:`TokenBudget` call.
    """
    head = budgets[0]
    if head.fixed_rate == 1.0:  # dense: the projection's only solution
        return mask.to(shared.dtype)
    L = len(budgets)
    scale = F.softplus(torch.stack([b.scale_param for b in budgets]))
    scores = scale.view(L, 1, 1, 1) * shared.norm(dim=-1)  # (L, M, N, T)
    budget = level_rates(budgets).view(L, 1, 1) * mask.sum(-1).to(
        shared.dtype)  # (L, M, N)
    bounds = _open_bounds(budgets, lengths)
    if any(k < t for row, ks in zip(lengths, bounds)
           for t, k in zip(row, ks)):  # only the k best valid tokens open
        flat = [k for ks in bounds for k in ks]
        per_row = len(set(flat)) > 1
        ranked = scores.masked_fill(~mask, float('-inf')).topk(
            max(flat), dim=-1, sorted=per_row).indices
        if per_row:  # rank < k of the row's level and modality
            limit = torch.stack([shared.new_full((), k) for k in flat])
            rank = torch.arange(ranked.shape[-1], device=shared.device)
            opened = torch.zeros_like(mask).scatter(
                -1, ranked, (rank < limit.view(L, -1, 1, 1)).expand_as(ranked))
        else:
            opened = torch.zeros_like(mask).scatter(-1, ranked, True)
        mask = mask & opened
    return capped_simplex_projection(scores, budget, mask)
