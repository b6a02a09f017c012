"""Closed-form ridge linear probes: how linearly decodable a target is from a
representation.

Plain PyTorch (no OpenMMLab imports), used by
``tools/analysis/probe_levels.py``.
"""
from dataclasses import dataclass
from typing import Sequence, Tuple

import torch
from torch import Tensor

DEFAULT_LAMBDAS = tuple(10.0**k for k in range(-3, 5))


@dataclass
class ProbeResult:
    """accuracy: on the evaluation set; val_accuracy: of the chosen ``lam`` on
    the held-out part of the fit set."""

    accuracy: float
    lam: float
    val_accuracy: float


def standardise(fit: Tensor, *others: Tensor) -> Tuple[Tensor, ...]:
    """Centre and scale every (N, D) array with the mean and std of ``fit``
    (constant features: std 1)."""
    mean, std = fit.mean(0), fit.std(0, unbiased=False)
    std = torch.where(std > 1e-12, std, torch.ones_like(std))
    return tuple((x - mean) / std for x in (fit, *others))


def ridge_weights(x: Tensor, y: Tensor, lambdas: Sequence[float]) -> Tensor:
    """Ridge solutions ``(K, D, C)`` of ``min ||x w - y||^2 + lam ||w||^2`` for
    each of K lambdas.

    ``x`` (N, D) centred features, ``y`` (N, C) centred targets. One thin SVD
    ``x = U S V^T`` serves every lambda: ``w = V diag(s / (s^2 + lam)) U^T y``.
    """
    u, s, vh = torch.linalg.svd(x, full_matrices=False)  # (N, R), (R,), (R, D)
    uty = u.T @ y  # (R, C)
    lam = torch.as_tensor(lambdas, dtype=x.dtype)[:, None]  # (K, 1)
    shrink = s / (s**2 + lam)  # (K, R)
    return torch.einsum('rd,kr,rc->kdc', vh, shrink, uty)


def one_hot(labels: Tensor, num_classes: int) -> Tensor:
    return torch.nn.functional.one_hot(labels, num_classes).to(torch.float64)


def _predict(x: Tensor, w: Tensor, y_mean: Tensor) -> Tensor:
    """Class indices (K, N) from features (N, D), weights (K, D, C) and the fit
    set's mean target (C,)."""
    return (torch.einsum('nd,kdc->knc', x, w) + y_mean).argmax(-1)


def linear_probe(fit_x: Tensor,
                 fit_y: Tensor,
                 eval_x: Tensor,
                 eval_y: Tensor,
                 lambdas: Sequence[float] = DEFAULT_LAMBDAS,
                 val_fraction: float = 0.25,
                 seed: int = 0) -> ProbeResult:
    """Fit a one-vs-all ridge classifier on ``fit`` and report its accuracy on
    ``eval``.

    Features are standardised with the fit set's statistics. ``lam`` is the
    lambda with the best accuracy on a random held-out ``val_fraction`` of the
    fit set (ties: the larger lambda); the probe is then refitted on the whole
    fit set.

    Args:
        fit_x: (N, D) features to fit on.
        fit_y: (N,) integer targets.
        eval_x: (M, D) features to evaluate on.
        eval_y: (M,) integer targets.
        lambdas: ridge strengths to choose from. Default ``1e-3 .. 1e4``.
        val_fraction: held-out share of the fit set for choosing lambda.
            Default 0.25.
        seed: seed of the held-out split. Default 0.

    Returns:
        :class:`ProbeResult`.
    """
    if fit_x.dim() != 2 or eval_x.dim(
    ) != 2 or fit_x.shape[1] != eval_x.shape[1]:
        raise ValueError(
            f'features must be (N, D) and (M, D), got {tuple(fit_x.shape)} '
            f'and {tuple(eval_x.shape)}')
    if len(fit_x) != len(fit_y) or len(eval_x) != len(eval_y):
        raise ValueError(
            f'{len(fit_x)} / {len(eval_x)} feature rows but {len(fit_y)} / '
            f'{len(eval_y)} targets')
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f'val_fraction must be in (0, 1), got {val_fraction}')
    num_val = int(round(val_fraction * len(fit_x)))
    if not 1 <= num_val < len(fit_x):
        raise ValueError(
            f'the fit set ({len(fit_x)} samples) is too small for a held-out '
            f'part of {val_fraction}')
    fit_x, eval_x = fit_x.to(torch.float64), eval_x.to(torch.float64)
    fit_y, eval_y = fit_y.long(), eval_y.long()
    num_classes = int(max(fit_y.max(), eval_y.max())) + 1
    lambdas = sorted(float(v) for v in lambdas)

    order = torch.randperm(
        len(fit_x), generator=torch.Generator().manual_seed(seed))
    val, train = order[:num_val], order[num_val:]
    tx, vx = standardise(fit_x[train], fit_x[val])
    ty = one_hot(fit_y[train], num_classes)
    w = ridge_weights(tx, ty - ty.mean(0), lambdas)
    val_acc = (_predict(vx, w,
                        ty.mean(0)) == fit_y[val]).double().mean(1)  # (K,)
    best = int(len(lambdas) - 1 -
               torch.argmax(val_acc.flip(0)))  # ties: the larger lambda

    fx, ex = standardise(fit_x, eval_x)
    fy = one_hot(fit_y, num_classes)
    w = ridge_weights(fx, fy - fy.mean(0), [lambdas[best]])
    accuracy = float((_predict(ex, w,
                               fy.mean(0))[0] == eval_y).double().mean())
    return ProbeResult(
        accuracy=accuracy,
        lam=lambdas[best],
        val_accuracy=float(val_acc[best]))
