"""CLCR regularisers: shared/private separation and cross-level interference.

All correlation terms use :func:`cross_correlation_penalty`: both streams are
standardised over the batch (per feature, "whitened" as in the paper) and the
penalty is the squared Frobenius norm of their cross-correlation matrix per
feature of the narrower stream, minus what chance alone gives for independent
streams from N samples (E[r^2] = 1 / (N - 1) per entry), floored at 0. So it is
about 0 for independent streams at any batch size (only correlation beyond
sampling noise is penalised and gets a gradient) and about 1 when each feature
of the narrower stream is a copy of a distinct feature of the other.
"""
from itertools import combinations, permutations
from typing import Optional

import torch
from torch import Tensor

EPS = 1e-5


def _standardise(x: Tensor, weight: Tensor) -> Tensor:
    """Weighted batch standardisation of (N, D) with (N, 1) sample weights."""
    total = weight.sum().clamp_min(1.0)
    mean = (x * weight).sum(0, keepdim=True) / total
    centred = (x - mean) * weight
    var = (centred**2).sum(0, keepdim=True) / total
    return centred / torch.sqrt(var + EPS)


def cross_correlation_penalty(x: Tensor,
                              y: Tensor,
                              weight: Optional[Tensor] = None) -> Tensor:
    """Mean squared batch cross-correlation of two streams.

    Args:
        x: (N, D1) stream.
        y: (N, D2) stream.
        weight: optional (N,) 0/1 sample weights (samples where both exist).

    Returns:
        scalar >= 0; 0 when at most two weighted samples exist (then every
        sample correlation is +-1 by construction and carries no information).
    """
    if weight is None:
        weight = x.new_ones(x.shape[0])
    w = weight.to(x.dtype).unsqueeze(-1)
    n = w.sum()
    corr = _standardise(x, w).T @ _standardise(y, w) / n.clamp_min(
        1.0)  # (D1, D2)
    chance = corr.numel() / (n - 1.0).clamp_min(1.0)
    excess = ((corr**2).sum() - chance).clamp_min(0.0) / min(corr.shape)
    return torch.where(n > 2, excess, torch.zeros_like(excess))


def intra_level_loss(shared: Tensor, private: Tensor,
                     available: Tensor) -> Tensor:
    """``L_intra``: private vs private across modalities, private vs shared
    within one.

    Args:
        shared: (N, M, L, d_sh) per-level shared summaries (before the
            exchange).
        private: (N, M, L, d_pr) per-level private summaries.
        available: (N, M) bool.

    Returns:
        scalar, the mean over levels and pairs.
    """
    N, M, L, _ = shared.shape
    avail = available.to(shared.dtype)
    terms = []
    for level in range(L):
        for m in range(M):
            terms.append(
                cross_correlation_penalty(private[:, m, level],
                                          shared[:, m, level], avail[:, m]))
        for m, n in combinations(range(M), 2):
            terms.append(
                cross_correlation_penalty(private[:, m, level], private[:, n,
                                                                        level],
                                          avail[:, m] * avail[:, n]))
    return torch.stack(terms).mean()


def private_redundancy_loss(private: Tensor, available: Tensor) -> Tensor:
    """``L_pr``: correlation of one modality's private summaries across levels
    l != k.

    Args: private (N, M, L, d_pr), available (N, M) bool. Zero when L == 1.
    """
    N, M, L, _ = private.shape
    avail = available.to(private.dtype)
    terms = [
        cross_correlation_penalty(private[:, m, j], private[:, m, k],
                                  avail[:, m]) for m in range(M)
        for j, k in combinations(range(L), 2)
    ]
    return torch.stack(terms).mean() if terms else private.new_zeros(())


def shared_private_leakage_loss(shared: Tensor, private: Tensor,
                                available: Tensor) -> Tensor:
    """``L_sp``: correlation of shared summaries of level l with private of
    level k != l.

    Args: shared (N, M, L, d_sh), private (N, M, L, d_pr), available (N, M).
        Zero when L == 1.
    """
    N, M, L, _ = shared.shape
    avail = available.to(shared.dtype)
    terms = [
        cross_correlation_penalty(shared[:, m, j], private[:, m, k],
                                  avail[:, m]) for m in range(M)
        for j, k in permutations(range(L), 2)
    ]
    return torch.stack(terms).mean() if terms else shared.new_zeros(())


def level_mixing_loss(omega: Tensor) -> Tensor:
    """``L_mix``: joint activation ``omega_l * omega_k`` of non-adjacent levels
    (|l - k| > 1).

    Args: omega (N, L) level weights. Zero when L <= 2.
    """
    L = omega.shape[-1]
    far = torch.ones(
        L, L, device=omega.device).triu(diagonal=2)  # pairs l < k - 1
    return torch.einsum('nl,nk,lk->n', omega, omega,
                        far.to(omega.dtype)).mean()
