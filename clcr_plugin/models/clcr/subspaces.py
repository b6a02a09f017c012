"""Shared/private factorisation with orthonormal bases on the Stiefel
manifold."""
from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import orthogonal


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
        orthogonal_map: ``'cayley'`` or ``'matrix_exp'``, how
            ``torch.nn.utils.parametrizations.orthogonal`` maps the
            parameters to the frames. Default 'matrix_exp'.

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
                 orthogonal_map: str = 'matrix_exp') -> None:
        super().__init__()
        if (shared_dim < 1 or private_dim < 1
                or shared_dim + private_dim > embed_dim):
            raise ValueError(
                'need shared_dim >= 1, private_dim >= 1 and shared_dim + '
                'private_dim <= embed_dim; '
                f'got shared_dim={shared_dim}, private_dim={private_dim}, '
                f'embed_dim={embed_dim}')
        self.shared_dim = shared_dim
        if orthogonal_map not in ('cayley', 'matrix_exp'):
            raise ValueError("orthogonal_map must be 'cayley' or "
                             f"'matrix_exp', got {orthogonal_map!r}")
        # Not torch's default for a tall matrix, 'householder': it multiplies
        # the columns by int(diagonal of the raw parameter); any weight decay
        # moves that diagonal off +-1 and the basis becomes exactly zero
        # after the first AdamW step. Cayley and matrix_exp map a skew matrix
        # A to the same manifold and agree to second order in A; Cayley
        # (one linear solve) is ~15x cheaper forward and backward, but every
        # accuracy table in the README was measured with matrix_exp, so that
        # stays the default until Cayley is measured the same way.
        self.frame = orthogonal(
            nn.Linear(embed_dim, embed_dim, bias=False),
            orthogonal_map=orthogonal_map)
        self.private = nn.ModuleDict({
            m:
            orthogonal(
                nn.Linear(private_dim, embed_dim - shared_dim, bias=False),
                orthogonal_map=orthogonal_map)
            for m in modalities
        })
        # (parameter state, bases) of the latest eval-mode evaluation
        self._eval_cache: Optional[Tuple[tuple, Tuple[Tensor,
                                                      Dict[str,
                                                           Tensor]]]] = None

    def shared_basis(self) -> Tensor:
        """``U_sh`` (d, d_sh)."""
        return self.frame.weight[:, :self.shared_dim]

    def bases(self,
              modalities: Sequence[str]) -> Tuple[Tensor, Dict[str, Tensor]]:
        """``U_sh`` (d, d_sh) and ``{m: U_pr^m (d, d_pr)}`` from one evaluation
        of the frame."""
        if self.training or torch.is_grad_enabled():
            return self._evaluate_bases(modalities)
        state = tuple(
            (p._version, p.data_ptr(), p.device) for p in self.parameters())
        if self._eval_cache is None or self._eval_cache[0] != state:
            self._eval_cache = (state,
                                self._evaluate_bases(list(self.private)))
        u_sh, u_pr = self._eval_cache[1]
        return u_sh, {m: u_pr[m] for m in modalities}

    def _evaluate_bases(self, modalities: Sequence[str]
                        ) -> Tuple[Tensor, Dict[str, Tensor]]:
        frame = self.frame.weight
        complement = frame[:, self.shared_dim:]
        return frame[:, :self.shared_dim], {
            m: complement @ self.private[m].weight
            for m in modalities
        }

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
