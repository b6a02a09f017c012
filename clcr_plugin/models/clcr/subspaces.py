"""Shared/private factorisation with orthonormal bases on the Stiefel
manifold."""
from typing import Dict, Sequence, Tuple

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
    """

    def __init__(self, embed_dim: int, shared_dim: int, private_dim: int,
                 modalities: Sequence[str]) -> None:
        super().__init__()
        if (shared_dim < 1 or private_dim < 1
                or shared_dim + private_dim > embed_dim):
            raise ValueError(
                'need shared_dim >= 1, private_dim >= 1 and shared_dim + '
                'private_dim <= embed_dim; '
                f'got shared_dim={shared_dim}, private_dim={private_dim}, '
                f'embed_dim={embed_dim}')
        self.shared_dim = shared_dim
        # matrix_exp for both frames: torch's default for a tall matrix,
        # 'householder', multiplies the columns by int(diagonal of the raw
        # parameter); any weight decay moves that diagonal off +-1 and the
        # basis becomes exactly zero after the first AdamW step.
        self.frame = orthogonal(
            nn.Linear(embed_dim, embed_dim, bias=False),
            orthogonal_map='matrix_exp')
        self.private = nn.ModuleDict({
            m:
            orthogonal(
                nn.Linear(private_dim, embed_dim - shared_dim, bias=False),
                orthogonal_map='matrix_exp')
            for m in modalities
        })

    def shared_basis(self) -> Tensor:
        """``U_sh`` (d, d_sh)."""
        return self.frame.weight[:, :self.shared_dim]

    def bases(self,
              modalities: Sequence[str]) -> Tuple[Tensor, Dict[str, Tensor]]:
        """``U_sh`` (d, d_sh) and ``{m: U_pr^m (d, d_pr)}`` from one evaluation
        of the frame."""
        frame = self.frame.weight
        complement = frame[:, self.shared_dim:]
        return frame[:, :self.shared_dim], {
            m: complement @ self.private[m].weight
            for m in modalities
        }

    def forward(self, tokens: Dict[str, Tensor]
                ) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
        """Project ``{m: (N, T, d)}`` to shared ``{m: (N, T, d_sh)}`` and
        private ``{m: (N, T, d_pr)}``."""
        u_sh, u_pr = self.bases(list(tokens))
        shared = {m: h @ u_sh for m, h in tokens.items()}
        private = {m: h @ u_pr[m] for m, h in tokens.items()}
        return shared, private
