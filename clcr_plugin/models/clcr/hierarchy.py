"""Semantic-hierarchy encoder: backbone stage outputs -> level tokens of width
d.

For modality ``m`` and level ``l`` a :class:`TokenAdapter` pools the stage's
feature map to a fixed token grid ``Z`` and computes ``H = LN(Z W + P)``.
"""
import math
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .modality_order import canonical_order

_KIND_BY_GRID = {
    1: 'sequence (N, T, C)',
    2: '2D map (N, C, H, W)',
    3: '3D map (N, C, T, H, W)'
}
_GRID_RANK_BY_DIM = {3: 1, 4: 2, 5: 3}
# Default token grid caps per input kind: (t,) for sequences, (h, w) for 2D
# maps (often F x T spectrograms: time is the wider axis), (t, h, w) for 3D
# maps.
DEFAULT_GRID_CAPS = {1: (8, ), 2: (2, 4), 3: (4, 2, 2)}


def feature_grid_rank(shape: Sequence[int]) -> int:
    """Grid length for a feature of this shape: 1 for (N, T, C), 2 for (N, C,
    H, W), 3 for (N, C, T, H, W)."""
    if len(shape) not in _GRID_RANK_BY_DIM:
        raise ValueError(
            'expected a (N, T, C), (N, C, H, W) or (N, C, T, H, W) feature, '
            f'got shape {tuple(shape)}')
    return _GRID_RANK_BY_DIM[len(shape)]


def feature_channels(shape: Sequence[int]) -> int:
    """Channels ``C`` of a (N, T, C) sequence, (N, C, H, W) 2D map or (N, C, T,
    H, W) 3D map."""
    return int(shape[-1] if feature_grid_rank(shape) == 1 else shape[1])


def default_grid(shape: Sequence[int]) -> Tuple[int, ...]:
    """Default token grid for a feature of this shape, the feature's extent
    capped by :data:`DEFAULT_GRID_CAPS`.

    Sequences (N, T, C) -> ``(min(T, 8),)``; 2D maps (N, C, H, W) ->
    ``(min(H, 2), min(W, 4))``; 3D maps (N, C, T, H, W) ->
    ``(min(T, 4), min(H, 2), min(W, 2))``.
    """
    rank = feature_grid_rank(shape)
    extent = shape[1:2] if rank == 1 else shape[2:]
    return tuple(
        min(int(e), cap) for e, cap in zip(extent, DEFAULT_GRID_CAPS[rank]))


class TokenAdapter(nn.Module):
    """One level of one modality: pool to a token grid, project, add positions,
    LN.

    The input kind follows from ``len(grid)``: ``(t,)`` takes a sequence
    ``(N, T, C)`` with an optional padding mask ``(N, T)``, ``(h, w)`` a 2D map
    ``(N, C, H, W)`` and ``(t, h, w)`` a 3D map ``(N, C, T, H, W)``. Maps are
    average-pooled adaptively; sequences are mask-aware average-pooled into
    ``t`` bins (a bin with no valid step becomes a masked token).

    Args:
        in_channels: channels ``C`` of the backbone stage.
        embed_dim: token width ``d``.
        grid: token grid, 1 to 3 ints.
        name: what error messages call this adapter, e.g. ``"rgb level 2"``.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dim: int,
                 grid: Sequence[int],
                 name: str = 'TokenAdapter') -> None:
        super().__init__()
        grid = tuple(int(g) for g in grid)
        if len(grid) not in _KIND_BY_GRID or min(grid) < 1:
            raise ValueError(
                'grid must be 1 to 3 positive ints (t,), (h, w) or (t, h, '
                f'w); got {grid}')
        if in_channels < 1:
            raise ValueError(
                f'in_channels must be positive, got {in_channels}')
        self.grid = grid
        self.in_channels = in_channels
        self.name = name
        self.num_tokens = math.prod(grid)
        self.proj = nn.Linear(in_channels, embed_dim)
        self.pos_embed = nn.Parameter(
            torch.zeros(1, self.num_tokens, embed_dim))
        self.norm = nn.LayerNorm(embed_dim)
        self.init_weights()

    def init_weights(self) -> None:
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.xavier_uniform_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def pool(self,
             x: Tensor,
             mask: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Pool a feature map to ``(N, num_tokens, C)`` tokens and a
        ``(N, num_tokens)`` mask."""
        expected_dim = len(self.grid) + 2 if len(self.grid) > 1 else 3
        if x.dim() != expected_dim:
            raise ValueError(f'{self.name} with grid {self.grid} expects a '
                             f'{_KIND_BY_GRID[len(self.grid)]}, '
                             f'got a tensor of shape {tuple(x.shape)}')
        channels = x.shape[-1] if len(self.grid) == 1 else x.shape[1]
        if channels != self.in_channels:
            raise ValueError(
                f'{self.name} is configured with '
                f'in_channels={self.in_channels}, '
                f'got {channels} channels (input shape {tuple(x.shape)})')
        if len(self.grid) > 1:
            if mask is not None:
                raise ValueError(
                    'padding masks are only supported for sequence inputs (N, '
                    'T, C)')
            if tuple(x.shape[2:]) != tuple(self.grid):
                pool = F.adaptive_avg_pool2d if len(
                    self.grid) == 2 else F.adaptive_avg_pool3d
                x = pool(x, self.grid)
            tokens = x.flatten(2).transpose(1, 2)  # (N, n, C)
            return tokens, torch.ones(
                tokens.shape[:2], dtype=torch.bool, device=x.device)

        N, T, C = x.shape
        if mask is not None and mask.shape != (N, T):
            raise ValueError(f'sequence mask must have shape {(N, T)}, got '
                             f'{tuple(mask.shape)}')
        if T == self.grid[0]:
            # Pooling to the same length is the identity (and CUDA's adaptive
            # pooling backward fails on very long sequences).
            if mask is None:
                return x, torch.ones(N, T, dtype=torch.bool, device=x.device)
            mask = mask.to(torch.bool)
            return x.masked_fill(~mask.unsqueeze(-1), 0), mask
        if mask is None:
            mask = torch.ones(N, T, dtype=torch.bool, device=x.device)
        valid = mask.to(x.dtype).unsqueeze(1)  # (N, 1, T)
        summed = F.adaptive_avg_pool1d(
            x.transpose(1, 2) * valid, self.grid[0])  # (N, C, t)
        counts = F.adaptive_avg_pool1d(valid, self.grid[0])  # (N, 1, t)
        tokens = (summed / counts.clamp_min(1e-6)).transpose(1, 2)  # (N, t, C)
        return tokens, counts.squeeze(1) > 0

    def forward(self,
                x: Tensor,
                mask: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Returns tokens ``(N, num_tokens, d)`` and their validity mask
        ``(N, num_tokens)``."""
        tokens, token_mask = self.pool(x, mask)
        return self.norm(self.proj(tokens) + self.pos_embed), token_mask


class SemanticHierarchyEncoder(nn.Module):
    """Token adapters for every (modality, level).

    Args:
        modalities: ``{name: dict(in_channels=[C_1..C_L], grids=[g_1..g_L])}``;
            every modality must have the same number of levels ``L``; kept
            in sorted name order.
        embed_dim: token width ``d``.
    """

    def __init__(self, modalities: Mapping[str, Mapping],
                 embed_dim: int) -> None:
        super().__init__()
        if not modalities:
            raise ValueError(
                'CLCR needs at least one modality in `modalities`')
        levels = {}
        self.adapters = nn.ModuleDict()
        for name in canonical_order(modalities):
            spec = modalities[name]
            missing = {'in_channels', 'grids'} - set(spec)
            if missing:
                raise KeyError(
                    f'modalities[{name!r}] lacks {sorted(missing)}; expected '
                    'dict(in_channels=[...], '
                    'grids=[...]) with one entry per level '
                    '(MultiModalRecognizer fills them from its '
                    'backbones)')
            in_channels, grids = list(spec['in_channels']), list(spec['grids'])
            if len(in_channels) != len(grids):
                raise ValueError(
                    f'modalities[{name!r}]: {len(in_channels)} in_channels '
                    f'but {len(grids)} grids')
            levels[name] = len(in_channels)
            self.adapters[name] = nn.ModuleList(
                TokenAdapter(c, embed_dim, g, f'{name} level {i + 1}')
                for i, (c, g) in enumerate(zip(in_channels, grids)))
        if len(set(levels.values())) != 1:
            raise ValueError(
                f'every modality needs the same number of levels, got {levels}'
            )
        self.num_levels = next(iter(levels.values()))
        if self.num_levels < 1:
            raise ValueError('each modality needs at least one level')

    def forward(
        self,
        feats: Mapping[str, Sequence[Tensor]],
        masks: Optional[Mapping[str, Sequence[Optional[Tensor]]]] = None,
    ) -> Dict[str, List[Tuple[Tensor, Tensor]]]:
        """Map ``{m: [feature per level]}`` to
        ``{m: [(tokens (N, T_l, d), mask (N, T_l))]}``."""
        out = {}
        for name, level_feats in feats.items():
            adapters = self.adapters[name]
            if len(level_feats) != len(adapters):
                raise ValueError(
                    f'modality {name!r} got {len(level_feats)} level '
                    'features, '
                    f'configured for {len(adapters)}')
            level_masks = (masks or {}).get(name) or [None] * len(adapters)
            out[name] = [
                adapter(x, m)
                for adapter, x, m in zip(adapters, level_feats, level_masks)
            ]
        return out
