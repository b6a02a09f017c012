"""Late fusion: pool each modality's deepest feature and concatenate."""
from typing import Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

from ..clcr.modality_order import canonical_order


def global_pool(x: Tensor) -> Tensor:
    """Average a 2D map (N, C, H, W), 3D map (N, C, T, H, W) or sequence (N, T,
    C) to (N, C)."""
    if x.dim() == 3:
        return x.mean(1)
    if x.dim() in (4, 5):
        return x.flatten(2).mean(-1)
    raise ValueError(
        'expected a (N, T, C), (N, C, H, W) or (N, C, T, H, W) feature, got '
        f'{tuple(x.shape)}')


class ConcatPool(nn.Module):
    """Late fusion: pool each modality's deepest feature and concatenate.

    Args:
        in_channels (dict): ``{modality: channels of its deepest feature}``;
            the output concatenates them in sorted name order (whatever the
            order of the dict), width ``sum(C_m)``.
    """

    def __init__(self, in_channels: Mapping[str, int]) -> None:
        super().__init__()
        self.in_channels = {
            m: in_channels[m]
            for m in canonical_order(in_channels)
        }
        self.out_dim = sum(self.in_channels.values())

    def forward(self,
                feats: Mapping[str, Sequence[Tensor]],
                available: Optional[Mapping[str, Tensor]] = None) -> Tensor:
        """Fuse ``{m: [..., deepest (N, C_m, ...)]}`` -> (N, sum C_m).

        A missing modality, or one marked False in ``available={m: (N,) bool}``
        for a sample, gives zeros in its slot.
        """
        ref = next(iter(feats.values()))[-1]
        pooled = []
        for m, c in self.in_channels.items():
            if m not in feats:
                pooled.append(ref.new_zeros(ref.shape[0], c))
                continue
            x = global_pool(feats[m][-1])  # (N, C_m)
            if available is not None and m in available:
                x = x * available[m].to(x.device, x.dtype).unsqueeze(-1)
            pooled.append(x)
        return torch.cat(pooled, dim=-1)
