"""Shared/private factorisation with orthonormal bases on the Stiefel
manifold."""
import warnings
from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import _OrthMaps, _Orthogonal, orthogonal

ORTHOGONAL_MAPS = ('cayley', 'matrix_exp')


def orthogonal_frames(raw: Tensor, base: Tensor,
                      orthogonal_map: str) -> Tensor:
    """Batched form of torch's trivialised ``orthogonal`` parametrisation
    (``use_trivialization=True``) of tall matrices.

    ``A = skew(tril(raw) padded to n x n)``; ``Q = base @ map(A)[:, :k]``
    with ``map`` the Cayley retraction ``(I - A/2)^-1 (I + A/2)`` (solved
    with ``torch.linalg.solve_ex``, no host check: ``I - A/2`` with ``A``
    skew is never singular) or ``matrix_exp``.

    Args:
        raw: (..., n, k) unconstrained parameters, ``n >= k``.
        base: (..., n, n) orthogonal base points.
        orthogonal_map: ``'cayley'`` or ``'matrix_exp'``.

    Returns:
        (..., n, k) matrices with orthonormal columns, dtype of ``raw``.
    """
    n, k = raw.shape[-2:]
    X = raw.tril()  # n x k - k (k - 1) / 2 parameters
    if n != k:  # embed the tall matrix into a square one
        X = torch.cat([X, X.new_zeros(*X.shape[:-1], n - k)], dim=-1)
    # LU has no half-precision kernels: solve a bf16/fp16 model's frame
    # in float32
    dtype = X.dtype
    if dtype not in (torch.float32, torch.float64):
        X = X.float()
    A = X - X.mT  # skew-symmetric
    if orthogonal_map == 'matrix_exp':
        Q = torch.matrix_exp(A)
    else:
        eye = torch.eye(n, dtype=A.dtype, device=A.device)
        Q, _ = torch.linalg.solve_ex(
            torch.add(eye, A, alpha=-0.5), torch.add(eye, A, alpha=0.5))
    return base @ Q[..., :k].to(dtype)


class SyncFreeCayley(_Orthogonal):
    """torch's ``orthogonal(..., orthogonal_map='cayley')`` parametrisation
    (same parameters, state dict and values), solved with
    ``torch.linalg.solve_ex`` instead of ``torch.linalg.solve`` (see
    :func:`orthogonal_frames`).

    ``solve`` reads the factorisation's status on the host to raise on a
    singular system, a device synchronisation on every training step.
    """

    def __init__(self, weight: Tensor) -> None:
        super().__init__(weight, _OrthMaps.cayley, use_trivialization=True)

    def forward(self, X: Tensor) -> Tensor:
        if X.size(-2) < X.size(-1):
            return orthogonal_frames(X.mT, self.base, 'cayley').mT
        return orthogonal_frames(X, self.base, 'cayley')


def orthogonal_linear(in_features: int, out_features: int,
                      orthogonal_map: str) -> nn.Linear:
    """A bias-free ``nn.Linear`` whose weight (out x in) has orthonormal
    columns or rows, parametrised by ``orthogonal_map`` (``'cayley'``:
    :class:`SyncFreeCayley`; ``'matrix_exp'``: torch's)."""
    linear = nn.Linear(in_features, out_features, bias=False)
    if orthogonal_map == 'matrix_exp':
        return orthogonal(linear, orthogonal_map='matrix_exp')
    parametrize.register_parametrization(
        linear, 'weight', SyncFreeCayley(linear.weight), unsafe=True)
    return linear


class SharedPrivateBases(nn.Module):
    """One shared basis per level and one private basis per modality.

    A learned orthogonal frame ``Q`` (d x d) gives the shared basis
    ``U_sh = Q[:, :d_sh]`` and its orthogonal complement ``C = Q[:, d_sh:]``.
    Each modality's private basis is ``U_pr^m = C R^m`` with ``R^m`` a learned
    (d - d_sh) x d_pr Stiefel matrix, so ``U_pr^m`` is orthonormal and exactly
    orthogonal to ``U_sh`` (up to rounding) throughout training.

    Args:
        embed_dim: token width ``d``.
        shared_dim: ``d_sh``.
        private_dim: ``d_pr``; ``d_sh + d_pr <= d``.
        modalities: modality names.
        orthogonal_map: ``'cayley'`` (:class:`SyncFreeCayley`) or
            ``'matrix_exp'`` (torch's), how the parameters are mapped to the
            frames. Default 'cayley'. A checkpoint records it; loading one
            trained with the other map is an error (the same parameters give
            other bases).

    The bases are functions of the parameters (a linear solve or a matrix
    exponential), recomputed every
    training forward; in eval mode without gradients they are computed once
    and kept until a parameter changes (an optimiser step, a loaded state
    dict, a move to another device).
    """

    def __init__(self,
                 embed_dim: int,
                 shared_dim: int,
                 private_dim: int,
                 modalities: Sequence[str],
                 orthogonal_map: str = 'cayley') -> None:
        super().__init__()
        if (shared_dim < 1 or private_dim < 1
                or shared_dim + private_dim > embed_dim):
            raise ValueError(
                'need shared_dim >= 1, private_dim >= 1 and shared_dim + '
                'private_dim <= embed_dim; '
                f'got shared_dim={shared_dim}, private_dim={private_dim}, '
                f'embed_dim={embed_dim}')
        self.shared_dim = shared_dim
        self.orthogonal_map = orthogonal_map
        if orthogonal_map not in ORTHOGONAL_MAPS:
            raise ValueError("orthogonal_map must be 'cayley' or "
                             f"'matrix_exp', got {orthogonal_map!r}")
        # recorded in checkpoints: the same parameters give other bases
        # under the other map
        self.register_buffer(
            'orthogonal_map_id',
            torch.tensor(ORTHOGONAL_MAPS.index(orthogonal_map)))
        # Not torch's default for a tall matrix, 'householder': it multiplies
        # the columns by int(diagonal of the raw parameter); any weight decay
        # moves that diagonal off +-1 and the basis becomes exactly zero
        # after the first AdamW step. Cayley and matrix_exp map a skew matrix
        # A to the same manifold and agree to second order in A. Cayley (one
        # linear solve) is ~15x cheaper on CPU and, solved without the status
        # check, never waits for the GPU; matrix_exp synchronises on CUDA.
        # Accuracy measured equal on the synthetic set (docs/choices.md).
        self.frame = orthogonal_linear(embed_dim, embed_dim, orthogonal_map)
        self.private = nn.ModuleDict({
            m:
            orthogonal_linear(private_dim, embed_dim - shared_dim,
                              orthogonal_map)
            for m in modalities
        })
        # (parameter state, bases) of the latest eval-mode evaluation
        self._eval_cache: Optional[Tuple[tuple, Tuple[Tensor, Tensor]]] = None

    def _load_from_state_dict(self, state_dict, prefix, *args,
                              **kwargs) -> None:
        key = prefix + 'orthogonal_map_id'
        if key in state_dict:
            saved = ORTHOGONAL_MAPS[int(state_dict[key])]
            if saved != self.orthogonal_map:
                raise ValueError(
                    f'{key}: the checkpoint\'s Stiefel bases use '
                    f'orthogonal_map={saved!r}, this model '
                    f'{self.orthogonal_map!r}: the same parameters give other '
                    f'bases; build the model with orthogonal_map={saved!r} '
                    '(a CLCRFusion argument)')
        elif self.orthogonal_map != 'matrix_exp':
            warnings.warn(
                f'{key}: the checkpoint does not record its orthogonal_map; '
                "checkpoints saved before it was recorded used 'matrix_exp' "
                f'(the default then), this model {self.orthogonal_map!r}: '
                "build it with orthogonal_map='matrix_exp' to get the "
                'trained bases')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def shared_basis(self) -> Tensor:
        """``U_sh`` (d, d_sh)."""
        return self.frame.weight[:, :self.shared_dim]

    def bases(self,
              modalities: Sequence[str]) -> Tuple[Tensor, Dict[str, Tensor]]:
        """``U_sh`` (d, d_sh) and ``{m: U_pr^m (d, d_pr)}`` (see
        :func:`level_bases`)."""
        u_sh, u_pr = level_bases([self], modalities)
        return u_sh[0], {m: u_pr[0, i] for i, m in enumerate(modalities)}

    def forward(self, tokens: Dict[str, Tensor]
                ) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
        """Project ``{m: (N, T, d)}`` to shared ``{m: (N, T, d_sh)}`` and
        private ``{m: (N, T, d_pr)}`` (one matmul per modality with ``[U_sh,
        U_pr^m]``)."""
        u_sh, u_pr = self.bases(list(tokens))
        shared, private = {}, {}
        for m, h in tokens.items():
            both = h @ torch.cat([u_sh, u_pr[m]], 1)  # (N, T, d_sh + d_pr)
            shared[m], private[m] = both.split(
                [self.shared_dim, both.shape[-1] - self.shared_dim], -1)
        return shared, private


def _raw_and_base(linears: Sequence[nn.Linear]) -> Tuple[Tensor, Tensor]:
    """Stacked raw parameters (B, n, k) and base points (B, n, n) of
    orthogonally parametrised linears (weights n x k, n >= k)."""
    params = [lin.parametrizations.weight for lin in linears]
    return (torch.stack([p.original for p in params]),
            torch.stack([p[0].base for p in params]))


def _evaluate_level_bases(levels: Sequence[SharedPrivateBases],
                          modalities: Sequence[str]) -> Tuple[Tensor, Tensor]:
    orthogonal_map, d_sh = levels[0].orthogonal_map, levels[0].shared_dim
    frames = orthogonal_frames(*_raw_and_base([b.frame for b in levels]),
                               orthogonal_map)  # (L, d, d)
    rotations = orthogonal_frames(*_raw_and_base(
        [b.private[m] for b in levels for m in modalities]),
                                  orthogonal_map)  # (L * M, d - d_sh, d_pr)
    rotations = rotations.view(
        len(levels), len(modalities), *rotations.shape[1:])
    return frames[..., :d_sh], frames[:, None, :, d_sh:] @ rotations


def level_bases(levels: Sequence[SharedPrivateBases],
                modalities: Sequence[str]) -> Tuple[Tensor, Tensor]:
    """The bases of ``L`` levels from two batched evaluations (all frames,
    then all private rotations).

    Args:
        levels: the levels' :class:`SharedPrivateBases`, built alike (same
            widths, modalities and map).
        modalities: which private bases, in this order.

    Returns:
        ``U_sh`` (L, d, d_sh) and ``U_pr`` (L, M, d, d_pr).

    Recomputed on every call with gradients, in training mode or while
    ``torch.compile`` traces; in eager eval mode without gradients computed
    once and kept (on the first level) until a parameter of any level
    changes (an optimiser step, a loaded state dict, a move to another
    device).
    """
    head = levels[0]
    # a compiled graph evaluates them in place (the cache's Python-side
    # bookkeeping would break the graph)
    if (head.training or torch.is_grad_enabled()
            or torch.compiler.is_compiling()):
        return _evaluate_level_bases(levels, modalities)
    state = tuple((id(b), p._version, p.data_ptr(), p.device) for b in levels
                  for p in b.parameters())
    names = list(head.private)
    if head._eval_cache is None or head._eval_cache[0] != state:
        head._eval_cache = (state, _evaluate_level_bases(levels, names))
    u_sh, u_pr = head._eval_cache[1]
    if list(modalities) != names:
        u_pr = torch.stack([u_pr[:, names.index(m)] for m in modalities], 1)
    return u_sh, u_pr
