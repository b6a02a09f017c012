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
      context ``c_l`` (mean over available modalities of ``s_l^m``) is mapped by
      an MLP and scored against its anchor, ``omega = softmax_l(<MLP(c_l), a_l> / sqrt(d_sh))``
      per sample; ``s^m = sum_l omega_l s_l^m``, ``p^m = sum_l omega_l p_l^m``.
    * Shared path: the global context ``g = mean_m s^m`` queries the ``s^m``
      (scaled dot-product attention over modalities) -> ``z_sh``.
    * Private path: ``eta_m = sigmoid(w^T LN(W p^m))``; ``u_pr = sum_m eta_m p^m``
      (``private_fusion='sum'``) or ``[eta_1 p^1, ..., eta_M p^M]``
      (``'concat'``, zeros for an absent modality).

    Args:
        shared_dim: ``d_sh``.
        private_dim: ``d_pr``.
        num_levels: ``L``.
        hidden_dim: width of the anchor MLP and the private gate.
        num_modalities: M, needed for ``private_fusion='concat'``.
        private_fusion: ``'sum'`` or ``'concat'``.
    """

    def __init__(self, shared_dim: int, private_dim: int, num_levels: int, hidden_dim: int = 128,
                 num_modalities: int = 2, private_fusion: str = 'sum') -> None:
        super().__init__()
        if private_fusion not in ('sum', 'concat'):
            raise ValueError(f"private_fusion must be 'sum' or 'concat', got {private_fusion!r}")
        self.private_fusion = private_fusion
        self.out_dim = shared_dim + private_dim * (num_modalities if private_fusion == 'concat' else 1)
        self.shared_norm = nn.LayerNorm(shared_dim)
        self.private_norm = nn.LayerNorm(private_dim)
        self.anchors = nn.Parameter(torch.zeros(num_levels, shared_dim))
        self.level_mlp = nn.Sequential(
            nn.Linear(shared_dim, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, shared_dim))
        self.query = nn.Linear(shared_dim, shared_dim)
        self.key = nn.Linear(shared_dim, shared_dim)
        self.value = nn.Linear(shared_dim, shared_dim)
        self.gate_proj = nn.Linear(private_dim, hidden_dim)
        self.gate_norm = nn.LayerNorm(hidden_dim)
        self.gate_score = nn.Linear(hidden_dim, 1)
        self.init_weights()

    def init_weights(self) -> None:
        nn.init.trunc_normal_(self.anchors, std=0.02)

    def forward(self, shared: Tensor, private: Tensor, available: Tensor) -> InterCADOutput:
        """Args:
            shared: (N, M, L, d_sh) token means of the exchanged shared tokens.
            private: (N, M, L, d_pr) token means of the private tokens.
            available: (N, M) bool, which modalities each sample has.
        """
        s = self.shared_norm(shared)  # s_l^m
        p = self.private_norm(private)  # p_l^m
        weight = available.to(s.dtype).unsqueeze(-1).unsqueeze(-1)  # (N, M, 1, 1)
        context = (s * weight).sum(1) / weight.sum(1).clamp_min(1.0)  # (N, L, d_sh)
        D = s.shape[-1]
        level_logits = (self.level_mlp(context) * self.anchors).sum(-1) / D ** 0.5  # (N, L)
        omega = level_logits.softmax(-1)

        s_m = torch.einsum('nl,nmld->nmd', omega, s)  # (N, M, d_sh)
        p_m = torch.einsum('nl,nmld->nmd', omega, p)  # (N, M, d_pr)

        w = available.to(s.dtype).unsqueeze(-1)  # (N, M, 1)
        g = (s_m * w).sum(1) / w.sum(1).clamp_min(1.0)  # (N, d_sh)
        logits = torch.einsum('nd,nmd->nm', self.query(g), self.key(s_m)) / D ** 0.5
        modality_weights = masked_softmax(logits, available)  # (N, M)
        z_sh = torch.einsum('nm,nmd->nd', modality_weights, self.value(s_m))

        eta = torch.sigmoid(self.gate_score(self.gate_norm(self.gate_proj(p_m)))).squeeze(-1)  # (N, M)
        eta = eta * available.to(eta.dtype)
        gated = eta.unsqueeze(-1) * p_m  # (N, M, d_pr)
        u_pr = gated.sum(1) if self.private_fusion == 'sum' else gated.flatten(1)
        return InterCADOutput(torch.cat([z_sh, u_pr], dim=-1), omega, modality_weights, eta)
