"""MulT-style dense cross-modal attention on the deepest level."""
from typing import Dict, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

from ..clcr.hierarchy import TokenAdapter
from ..clcr.modality_order import canonical_order


class DenseCrossModalAttention(nn.Module):
    """Every token of a modality attends to *all* tokens of the other
    modalities (no subspaces, no budget), one layer; then mean pooling.

    Args:
        in_channels (dict): ``{modality: channels of its deepest feature}``;
            the output slots follow sorted modality names.
        grids (dict): ``{modality: token grid}`` as in :class:`TokenAdapter`.
        embed_dim (int): token width. Default 256.
        num_heads (int): attention heads. Default 4.
    """

    def __init__(self,
                 in_channels: Mapping[str, int],
                 grids: Mapping[str, Sequence[int]],
                 embed_dim: int = 256,
                 num_heads: int = 4) -> None:
        super().__init__()
        if set(in_channels) != set(grids):
            raise ValueError(
                f'in_channels {sorted(in_channels)} and grids {sorted(grids)} '
                'name different modalities')
        self.names = canonical_order(in_channels)  # sorted, as every module
        self.adapters = nn.ModuleDict({
            m:
            TokenAdapter(in_channels[m], embed_dim, grids[m], f'{m} tokens')
            for m in self.names
        })
        self.attn = nn.MultiheadAttention(
            embed_dim, num_heads, batch_first=True)
        self.norm = nn.LayerNorm(embed_dim)
        self.ffn = nn.Sequential(
            nn.Linear(embed_dim, 4 * embed_dim), nn.GELU(),
            nn.Linear(4 * embed_dim, embed_dim))
        self.out_dim = embed_dim * len(self.names)

    def forward(self,
                feats: Mapping[str, Sequence[Tensor]],
                available: Optional[Mapping[str, Tensor]] = None) -> Tensor:
        """Fuse ``{m: [..., deepest]}`` -> (N, M * d).

        A missing modality gives zeros in its slot.
        ``available={m: (N,) bool}``
        removes a modality's tokens from the keys of that sample and zeroes its
        slot, which gives the same output as the key being absent.
        """
        given = [m for m in self.names if m in feats]
        tokens: Dict[str, Tensor] = {
            m: self.adapters[m](feats[m][-1])[0]
            for m in given
        }  # (N, T_m, d)
        ref = tokens[given[0]]
        N, _, d = ref.shape
        ones = torch.ones(N, dtype=torch.bool, device=ref.device)
        avail = {
            m: (available or {}).get(m, ones).to(ref.device, torch.bool)
            for m in given
        }
        pooled = []
        for m in self.names:
            if m not in tokens:
                pooled.append(ref.new_zeros(N, d))
                continue
            x = tokens[m]
            others = [o for o in given if o != m]
            if others:
                context = torch.cat([tokens[o] for o in others],
                                    dim=1)  # (N, S, d)
                key_valid = torch.cat([
                    avail[o].unsqueeze(1).expand(-1, tokens[o].shape[1])
                    for o in others
                ], 1)
                has_keys = key_valid.any(1)  # (N,)
                # A sample with no available key attends to all keys (no NaN)
                # and its message is dropped.
                ignore = ~key_valid & has_keys.unsqueeze(1)
                message = self.attn(
                    x,
                    context,
                    context,
                    key_padding_mask=ignore,
                    need_weights=False)[0]
                x = x + message * has_keys.to(x.dtype)[:, None, None]
            x = x + self.ffn(self.norm(x))
            pooled.append(x.mean(1) * avail[m].to(x.dtype).unsqueeze(-1))
        return torch.cat(pooled, dim=-1)
