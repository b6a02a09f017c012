"""InterCAD: the inter-level co-aggregation domain."""
from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass
class InterCADOutput:
    """fused (N, out_dim) = z_sh (+) u_pr; omega (N, L) level weights;
    modality_weights (N, M) shared-path attention; eta (N, M) private gates."""

    fused: Tensor
    omega: Tensor
    modality_weights: Tensor
    eta: Tensor


def masked_softmax(logits: Tensor, available: Tensor, dim: int = -1) -> Tensor:
    """Softmax over available entries only; all-absent slices give zeros.

    Args:
        logits: scores, any shape.
        available: bool of the same shape (broadcastable).
    """
    logits = logits.masked_fill(~available, float('-inf'))
    any_available = available.any(dim, keepdim=True)
    logits = torch.where(any_available, logits, torch.zeros_like(logits))
    return logits.softmax(dim) * any_available.to(logits.dtype)


class InterCAD(nn.Module):
    """Aggregate levels and modalities into one compact representation.

    * Scale synchronisation: per-level learned anchors ``a_l``; the level
      context ``c_l`` (mean over available modalities of ``s_l^m``) is mapped
      by
      an MLP and scored against its anchor,
      ``omega = softmax_l(<MLP(c_l), a_l> / sqrt(d_sh))``
      per sample. ``level_fusion='sum'`` is the paper's
      ``s^m = sum_l omega_l s_l^m``
      (and ``p^m`` likewise); ``'concat'`` keeps the levels apart,
      ``s^m = [omega_1 s_1^m, ..., omega_L s_L^m]`` (width ``L * d_sh``).
    * Shared path: the global context ``g = mean_m s^m`` queries the ``s^m``
      (scaled dot-product attention over modalities) -> ``z_sh``; with
      ``shared_residual`` the output is ``g + z_sh``, so no modality's shared
      evidence is cut off while the attention is still untrained.
    * Private path: ``eta_m = sigmoid(w^T LN(W p^m))``;
    ``u_pr = sum_m eta_m p^m``
      (``private_fusion='sum'``) or ``[eta_1 p^1, ..., eta_M p^M]``
      (``'concat'``, zeros for an absent modality).
    * ``selection=False`` (the paper's "without InterCAD" ablation): uniform
      level weights, the plain mean over available modalities, no private
      gates.

    Args:
        shared_dim: ``d_sh``.
        private_dim: ``d_pr`` (0: no private path).
        num_levels: ``L``.
        hidden_dim: width of the anchor MLP and the private gate.
        num_modalities: M, needed for ``private_fusion='concat'``.
        private_fusion: ``'sum'`` or ``'concat'``.
        level_fusion: ``'sum'`` or ``'concat'``.
        shared_residual: add ``g`` to the attended shared code.
        selection: learned level weights, modality attention and gates.
    """

    def __init__(self,
                 shared_dim: int,
                 private_dim: int,
                 num_levels: int,
                 hidden_dim: int = 128,
                 num_modalities: int = 2,
                 private_fusion: str = 'sum',
                 level_fusion: str = 'sum',
                 shared_residual: bool = False,
                 selection: bool = True) -> None:
        super().__init__()
        for key, value in (('private_fusion', private_fusion), ('level_fusion',
                                                                level_fusion)):
            if value not in ('sum', 'concat'):
                raise ValueError(
                    f"{key} must be 'sum' or 'concat', got {value!r}")
        self.private_fusion, self.level_fusion = private_fusion, level_fusion
        self.shared_residual, self.selection = shared_residual, selection
        # levels side by side or summed
        width = num_levels if level_fusion == 'concat' else 1
        sh, pr = width * shared_dim, width * private_dim
        self.out_dim = sh + pr * (
            num_modalities if private_fusion == 'concat' else 1)
        self.shared_norm = nn.LayerNorm(shared_dim)
        self.private_norm = nn.LayerNorm(
            private_dim) if private_dim else nn.Identity()
        self.anchors = nn.Parameter(torch.zeros(num_levels, shared_dim))
        self.level_mlp = nn.Sequential(
            nn.Linear(shared_dim, hidden_dim), nn.GELU(),
            nn.Linear(hidden_dim, shared_dim))
        self.query = nn.Linear(sh, sh)
        self.key = nn.Linear(sh, sh)
        self.value = nn.Linear(sh, sh)
        self.gate = nn.Sequential(
            nn.Linear(pr, hidden_dim), nn.LayerNorm(hidden_dim),
            nn.Linear(hidden_dim, 1)) if private_dim else None
        self.init_weights()

    def init_weights(self) -> None:
        """Anchors near 0 (uniform ``omega`` at first); the value projection
        starts as the identity, so ``z_sh`` passes the summaries through
        undiminished until it learns otherwise."""
        nn.init.trunc_normal_(self.anchors, std=0.02)
        nn.init.eye_(self.value.weight)
        nn.init.zeros_(self.value.bias)

    def _fuse_levels(self, omega: Tensor, x: Tensor) -> Tensor:
        """(N, L) weights and (N, M, L, D) summaries -> (N, M, D) or (N, M, L *
        D)."""
        if self.level_fusion == 'sum':
            return torch.einsum('nl,nmld->nmd', omega, x)
        return (omega[:, None, :, None] * x).flatten(2)

    def forward(self, shared: Tensor, private: Tensor,
                available: Tensor) -> InterCADOutput:
        """Args:
            shared: (N, M, L, d_sh) token means of the exchanged shared tokens.
            private: (N, M, L, d_pr) token means of the private tokens.
            available: (N, M) bool, which modalities each sample has.
        """
        N, M, L, D = shared.shape
        s = self.shared_norm(shared)  # s_l^m
        p = self.private_norm(private)  # p_l^m
        avail = available.to(s.dtype)
        weight = avail[:, :, None, None]  # (N, M, 1, 1)
        if self.selection:
            context = (s * weight).sum(1) / weight.sum(1).clamp_min(
                1.0)  # (N, L, d_sh)
            omega = ((self.level_mlp(context) * self.anchors).sum(-1) /
                     D**0.5).softmax(-1)  # (N, L)
        else:
            omega = s.new_full((N, L), 1.0 / L)
        s_m, p_m = self._fuse_levels(omega, s), self._fuse_levels(
            omega, p)  # (N, M, width * d)

        w = avail.unsqueeze(-1)  # (N, M, 1)
        g = (s_m * w).sum(1) / w.sum(1).clamp_min(1.0)  # (N, width * d_sh)
        if self.selection:
            logits = torch.einsum('nd,nmd->nm', self.query(g),
                                  self.key(s_m)) / s_m.shape[-1]**0.5
            modality_weights = masked_softmax(logits, available)  # (N, M)
            z_sh = torch.einsum('nm,nmd->nd', modality_weights,
                                self.value(s_m))
            z_sh = g + z_sh if self.shared_residual else z_sh
        else:
            modality_weights = avail / avail.sum(
                1, keepdim=True).clamp_min(1.0)
            z_sh = g

        if self.gate is None:
            eta = avail.new_zeros(N, M)
        elif self.selection:
            eta = torch.sigmoid(self.gate(p_m)).squeeze(-1) * avail  # (N, M)
        else:
            eta = avail
        gated = eta.unsqueeze(-1) * p_m  # (N, M, width * d_pr)
        u_pr = gated.sum(1) if self.private_fusion == 'sum' else gated.flatten(
            1)
        return InterCADOutput(
            torch.cat([z_sh, u_pr], dim=-1), omega, modality_weights, eta)
