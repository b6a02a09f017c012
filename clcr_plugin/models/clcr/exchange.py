"""Shared-only cross-modal exchange under token gates."""
from typing import List, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def exchange_bias(gates: Tensor,
                  modality_ids: Tensor) -> Tuple[Tensor, Tensor]:
    """Additive attention bias for gated cross-modal attention.

    Keys carry ``log(alpha)`` (``-inf`` for a zero gate, so such tokens drop
    out of keys and values) and a query never attends to its own modality.

    Args:
        gates: (N, S) key gates of all modalities' tokens, concatenated.
        modality_ids: (S,) modality index of each token.

    Returns:
        bias (N, 1, S, S) with no all ``-inf`` row (such rows are zeroed), and
        has_keys (N, S) bool, False where a query has no admissible key.
    """
    other = modality_ids.unsqueeze(1) != modality_ids.unsqueeze(
        0)  # (S_q, S_k)
    open_keys = gates > 0  # (N, S_k)
    admissible = other.unsqueeze(0) & open_keys.unsqueeze(1)  # (N, S_q, S_k)
    log_gates = torch.log(gates.clamp_min(torch.finfo(gates.dtype).tiny))
    bias = torch.where(admissible, log_gates.unsqueeze(1),
                       torch.full_like(log_gates, float('-inf')).unsqueeze(1))
    has_keys = admissible.any(-1)  # (N, S_q)
    bias = torch.where(has_keys.unsqueeze(-1), bias, torch.zeros_like(bias))
    return bias.unsqueeze(1), has_keys


def gated_attention_reference(q: Tensor, k: Tensor, v: Tensor,
                              bias: Tensor) -> Tensor:
    """Explicit ``softmax(q k^T / sqrt(d) + bias) v``; same maths as the fused
    path.

    Shapes: q, k, v (N, heads, S, d_h); bias (N, 1, S, S).
    """
    logits = q @ k.transpose(-2, -1) / q.shape[-1]**0.5 + bias
    return logits.softmax(-1) @ v


class SharedExchange(nn.Module):
    """Each modality queries the *other* modalities' gated shared tokens.

    All modalities' tokens of one level run through one fused attention call;
    a block mask removes same-modality keys, so 2, 3 or more modalities share
    the code path. The message of token ``t`` is ``alpha_t * Attn(...)``.

    Args:
        shared_dim: width ``d_sh`` of the shared subspace.
        num_heads: attention heads; must divide ``shared_dim``.
        dropout: attention dropout (training only).
    """

    def __init__(self,
                 shared_dim: int,
                 num_heads: int = 4,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if shared_dim % num_heads:
            raise ValueError(f'shared_dim={shared_dim} must be divisible by '
                             f'num_heads={num_heads}')
        self.num_heads = num_heads
        self.dropout = dropout
        self.qkv = nn.Linear(shared_dim, 3 * shared_dim)
        self.out = nn.Linear(shared_dim, shared_dim)

    def forward(self, shared: List[Tensor],
                gates: List[Tensor]) -> List[Tensor]:
        """Messages for every modality.

        Args:
            shared: per modality (N, T_m, d_sh).
            gates: per modality (N, T_m) gates in [0, 1].

        Returns:
            per modality (N, T_m, d_sh) gated messages (zero without admissible
            keys).
        """
        lengths = [x.shape[1] for x in shared]
        x = torch.cat(shared, dim=1)  # (N, S, d_sh)
        g = torch.cat(gates, dim=1)  # (N, S)
        N, S, D = x.shape
        ids = torch.cat([
            torch.full((n, ), i, device=x.device)
            for i, n in enumerate(lengths)
        ])  # (S,)
        bias, has_keys = exchange_bias(g, ids)
        q, k, v = self.qkv(x).reshape(N, S, 3, self.num_heads, D //
                                      self.num_heads).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=bias.to(q.dtype),
            dropout_p=self.dropout if self.training else 0.0)
        attended = self.out(attended.transpose(1, 2).reshape(N, S, D))
        messages = attended * (g * has_keys.to(g.dtype)).unsqueeze(-1)
        return list(messages.split(lengths, dim=1))
