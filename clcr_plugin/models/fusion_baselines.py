"""Baseline fusions in plain PyTorch, for comparisons with CLCR.

Both take the deepest level of each modality, like most late-fusion work.
"""
from typing import Dict, Mapping, Sequence

import torch
from torch import Tensor, nn

from .clcr.hierarchy import TokenAdapter


def global_pool(x: Tensor) -> Tensor:
    """Average a 2D map (N, C, H, W), 3D map (N, C, T, H, W) or sequence (N, T, C) to (N, C)."""
    if x.dim() == 3:
        return x.mean(1)
    if x.dim() in (4, 5):
        return x.flatten(2).mean(-1)
    raise ValueError(f'expected a (N, T, C), (N, C, H, W) or (N, C, T, H, W) feature, got {tuple(x.shape)}')


class ConcatPool(nn.Module):
    """Late fusion: pool each modality's deepest feature and concatenate.

    Args:
        in_channels: ``{modality: channels of its deepest feature}``; the
            output concatenates them in this order, width ``sum(C_m)``.
    """

    def __init__(self, in_channels: Mapping[str, int]) -> None:
        super().__init__()
        self.in_channels = dict(in_channels)
        self.out_dim = sum(self.in_channels.values())

    def forward(self, feats: Mapping[str, Sequence[Tensor]]) -> Tensor:
        """``{m: [..., deepest (N, C_m, ...)]}`` -> (N, sum C_m); a missing modality gives zeros."""
        ref = next(iter(feats.values()))[-1]
        pooled = [global_pool(feats[m][-1]) if m in feats else ref.new_zeros(ref.shape[0], c)
                  for m, c in self.in_channels.items()]
        return torch.cat(pooled, dim=-1)


class DenseCrossModalAttention(nn.Module):
    """MulT-style dense fusion: every token of a modality attends to *all*
    tokens of the other modalities (no subspaces, no budget), one layer.

    Args:
        in_channels: ``{modality: channels of its deepest feature}``.
        grids: ``{modality: token grid}`` as in :class:`TokenAdapter`.
        embed_dim: token width. Default 256.
        num_heads: attention heads. Default 4.
    """

    def __init__(self, in_channels: Mapping[str, int], grids: Mapping[str, Sequence[int]],
                 embed_dim: int = 256, num_heads: int = 4) -> None:
        super().__init__()
        if set(in_channels) != set(grids):
            raise ValueError(f'in_channels {sorted(in_channels)} and grids {sorted(grids)} name different modalities')
        self.names = tuple(in_channels)
        self.adapters = nn.ModuleDict({m: TokenAdapter(c, embed_dim, grids[m]) for m, c in in_channels.items()})
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)
        self.norm = nn.LayerNorm(embed_dim)
        self.ffn = nn.Sequential(nn.Linear(embed_dim, 4 * embed_dim), nn.GELU(), nn.Linear(4 * embed_dim, embed_dim))
        self.out_dim = embed_dim * len(self.names)

    def forward(self, feats: Mapping[str, Sequence[Tensor]]) -> Tensor:
        """``{m: [..., deepest]}`` -> (N, M * d); a missing modality gives zeros."""
        present = [m for m in self.names if m in feats]
        tokens: Dict[str, Tensor] = {m: self.adapters[m](feats[m][-1])[0] for m in present}  # (N, T_m, d)
        ref = tokens[present[0]]
        pooled = []
        for m in self.names:
            if m not in tokens:
                pooled.append(ref.new_zeros(ref.shape[0], ref.shape[-1]))
                continue
            others = [tokens[o] for o in present if o != m]
            x = tokens[m]
            if others:
                context = torch.cat(others, dim=1)
                x = x + self.attn(x, context, context, need_weights=False)[0]
            x = x + self.ffn(self.norm(x))
            pooled.append(x.mean(1))
        return torch.cat(pooled, dim=-1)
