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
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor

EPS = 1e-5


def _standardise(x: Tensor, weight: Tensor) -> Tensor:
    """Weighted batch standardisation of (..., N, D) with (..., N, 1) sample
    weights."""
    total = weight.sum(-2, keepdim=True).clamp_min(1.0)
    mean = (x * weight).sum(-2, keepdim=True) / total
    centred = (x - mean) * weight
    var = (centred**2).sum(-2, keepdim=True) / total
    return centred / torch.sqrt(var + EPS)


def cross_correlation_penalty(x: Tensor,
                              y: Tensor,
                              weight: Optional[Tensor] = None) -> Tensor:
    """Mean squared batch cross-correlation of two streams.

    Args:
        x: (..., N, D1) stream; leading dimensions are independent pairs.
        y: (..., N, D2) stream.
        weight: optional (..., N) 0/1 sample weights (samples where both
            exist).

    Returns:
        (...) penalties >= 0 (a scalar for 2D streams); 0 when at most two
        weighted samples exist (then every sample correlation is +-1 by
        construction and carries no information).
    """
    if weight is None:
        weight = x.new_ones(x.shape[:-1])
    w = weight.to(x.dtype).unsqueeze(-1)  # (..., N, 1)
    n = w.sum((-2, -1))  # (...)
    corr = _standardise(x, w).mT @ _standardise(
        y, w) / n.clamp_min(1.0)[..., None, None]  # (..., D1, D2)
    chance = corr.shape[-2] * corr.shape[-1] / (n - 1.0).clamp_min(1.0)
    excess = ((corr**2).sum(
        (-2, -1)) - chance).clamp_min(0.0) / min(corr.shape[-2:])
    return torch.where(n > 2, excess, torch.zeros_like(excess))


def _pairs(count: int, ordered: bool,
           device: torch.device) -> Tuple[Tensor, Tensor]:
    """Index pairs ``(i, j)`` of ``range(count)``, i < j (``ordered=False``,
    as ``itertools.combinations``) or i != j (``ordered=True``, as
    ``permutations``), built on the device (no host-to-device copy)."""
    if not ordered:
        first, second = torch.triu_indices(count, count, 1, device=device)
        return first, second
    first = torch.arange(count, device=device).repeat_interleave(count - 1)
    step = torch.arange(1, count, device=device).repeat(count)
    return first, (first + step) % count


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
        scalar, the mean over levels and pairs (all pairs in two batched
        calls).
    """
    N, M, L, _ = shared.shape
    avail = available.to(shared.dtype).T  # (M, N)
    p = private.permute(1, 2, 0, 3)  # (M, L, N, d_pr)
    s = shared.permute(1, 2, 0, 3)  # (M, L, N, d_sh)
    within = cross_correlation_penalty(p, s, avail[:,
                                                   None].expand(M, L,
                                                                N))  # (M, L)
    a, b = _pairs(M, False, shared.device)
    across = cross_correlation_penalty(p[a], p[b],
                                       (avail[a] *
                                        avail[b])[:, None].expand(-1, L, N))
    return torch.cat([within.flatten(), across.flatten()]).mean()


def private_redundancy_loss(private: Tensor, available: Tensor) -> Tensor:
    """``L_pr``: correlation of one modality's private summaries across levels
    l != k.

    Args: private (N, M, L, d_pr), available (N, M) bool. Zero when L == 1.
    """
    N, M, L, _ = private.shape
    if L < 2:
        return private.new_zeros(())
    avail = available.to(private.dtype).T  # (M, N)
    p = private.permute(1, 2, 0, 3)  # (M, L, N, d_pr)
    j, k = _pairs(L, False, private.device)
    return cross_correlation_penalty(p[:, j], p[:, k],
                                     avail[:, None].expand(M, j.shape[0],
                                                           N)).mean()


def shared_private_leakage_loss(shared: Tensor, private: Tensor,
                                available: Tensor) -> Tensor:
    """``L_sp``: correlation of shared summaries of level l with private of
    level k != l.

    Args: shared (N, M, L, d_sh), private (N, M, L, d_pr), available (N, M).
        Zero when L == 1.
    """
    N, M, L, _ = shared.shape
    if L < 2:
        return shared.new_zeros(())
    avail = available.to(shared.dtype).T  # (M, N)
    j, k = _pairs(L, True, shared.device)
    return cross_correlation_penalty(
        shared.permute(1, 2, 0, 3)[:, j],
        private.permute(1, 2, 0, 3)[:, k],
        avail[:, None].expand(M, j.shape[0], N)).mean()


def _excess(sum_sq: Tensor, d1: int, d2: int, n: Tensor) -> Tensor:
    """:func:`cross_correlation_penalty` from the summed squared correlations
    of (d1 x d2) blocks estimated on ``n`` weighted samples (broadcast)."""
    chance = d1 * d2 / (n - 1.0).clamp_min(1.0)
    excess = (sum_sq - chance).clamp_min(0.0) / min(d1, d2)
    return torch.where(n > 2, excess, torch.zeros_like(excess))


def separation_losses(shared_before: Tensor, shared: Tensor, private: Tensor,
                      available: Tensor) -> Dict[str, Tensor]:
    """``L_intra``, ``L_pr`` and ``L_sp`` from one correlation matrix per
    modality.

    Equal to :func:`intra_level_loss` ``(shared_before, private, available)``,
    :func:`private_redundancy_loss` ``(private, available)`` and
    :func:`shared_private_leakage_loss` ``(shared, private, available)``:
    the within-modality terms all weight samples by that modality's
    availability, so the three streams are standardised once and every
    block they need (private of level l against shared-before, shared and
    private of level k) is read from the single product ``P^T Z``; only the
    private-vs-private terms across modalities, weighted by both
    modalities' availability, are computed on their own.

    Args:
        shared_before: (N, M, L, d_sh) shared summaries before the exchange.
        shared: (N, M, L, d_sh) after it.
        private: (N, M, L, d_pr).
        available: (N, M) bool.

    Returns:
        ``{'intra', 'pr', 'sp'}`` scalars.
    """
    N, M, L, d_sh = shared.shape
    d_pr = private.shape[-1]
    avail = available.to(shared.dtype).T  # (M, N)
    n = avail.sum(-1)[:, None]  # (M, 1)
    z = _standardise(
        torch.cat([shared_before, shared, private], -1).permute(1, 2, 0, 3),
        avail[:, None, :, None])  # (M, L, N, W), each feature standardised
    z = z.transpose(1, 2)  # (M, N, L, W)
    p = z[..., 2 * d_sh:].reshape(M, N, L * d_pr)
    corr = p.mT @ z.reshape(M, N, -1) / n.clamp_min(1.0)[..., None]
    sq = corr.pow(2).view(M, L, d_pr, L, -1).sum(2)  # (M, L_p, L_z, W)
    # block sums: private of level l vs each stream of level k
    vs_before, vs_shared, vs_private = (
        part.sum(-1) for part in sq.split([d_sh, d_sh, d_pr], -1))
    within = _excess(vs_before.diagonal(dim1=1, dim2=2), d_pr, d_sh, n)
    p_levels = private.permute(1, 2, 0, 3)  # (M, L, N, d_pr)
    a, b = _pairs(M, False, shared.device)
    across = cross_correlation_penalty(p_levels[a], p_levels[b],
                                       (avail[a] * avail[b])[:, None].expand(
                                           -1, L, N))  # (pairs, L)
    losses = dict(intra=torch.cat([within.flatten(), across.flatten()]).mean())
    if L < 2:
        zero = shared.new_zeros(())
        return dict(losses, pr=zero, sp=zero)
    j, k = _pairs(L, False, shared.device)
    losses['pr'] = _excess(vs_private[:, j, k], d_pr, d_pr, n).mean()
    j, k = _pairs(L, True, shared.device)  # shared of j vs private of k
    losses['sp'] = _excess(vs_shared[:, k, j], d_sh, d_pr, n).mean()
    return losses


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
