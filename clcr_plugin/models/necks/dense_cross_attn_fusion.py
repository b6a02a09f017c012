"""``DenseCrossAttnFusion``: MulT-style dense cross-modal attention on the
deepest level."""
from typing import Dict, Mapping, Optional, Sequence, Tuple

from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

from ..baselines import DenseCrossModalAttention
from ..clcr.hierarchy import feature_channels
from .shape_inference import (LevelShapes, copy_config, fill_or_check,
                              fill_or_check_grid, shapes_of)


@MODELS.register_module()
class DenseCrossAttnFusion(BaseModule):
    """MulT-style dense cross-modal attention on all tokens of the deepest
    level (same contract as :class:`CLCRFusion`).

    Args:
        in_channels (dict): ``{modality: channels of its deepest feature}``;
            filled from the backbones (every modality) when left out.
        grids (dict): ``{modality: token grid}`` (see ``TokenAdapter``);
            missing modalities get the default grid of their deepest feature.
        embed_dim (int): token width. Default 256.
        num_heads (int): attention heads. Default 4.
        init_cfg (dict, optional): mmengine init config. Default None.
    """

    def __init__(self,
                 in_channels: Mapping[str, int],
                 grids: Mapping[str, Sequence[int]],
                 embed_dim: int = 256,
                 num_heads: int = 4,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fusion = DenseCrossModalAttention(in_channels, grids, embed_dim,
                                               num_heads)
        self.out_channels = self.fusion.out_dim
        self.modality_names = self.fusion.names  # sorted

    @classmethod
    def complete_config(cls, cfg: Mapping, level_shapes: LevelShapes) -> dict:
        """Fill or check ``in_channels`` and ``grids`` from the deepest level
        of each backbone."""
        cfg = copy_config(cfg)
        given = cfg.get('in_channels') or {m: None for m in level_shapes}
        grids = dict(cfg.get('grids') or {})
        unknown = sorted(set(grids) - set(given))
        if unknown:
            raise KeyError(f'neck.grids names {unknown}, which are not in '
                           f'neck.in_channels {sorted(given)}')
        deepest = {
            m: shapes_of(level_shapes, m, 'neck.in_channels')[-1]
            for m in given
        }
        cfg['in_channels'] = {
            m:
            fill_or_check(c, feature_channels(deepest[m]),
                          f'neck.in_channels.{m}')
            for m, c in given.items()
        }
        cfg['grids'] = {
            m: fill_or_check_grid(grids.get(m), deepest[m], f'neck.grids.{m}')
            for m in given
        }
        return cfg

    def forward(self,
                x: Mapping[str, Sequence[Tensor]],
                data_samples: Optional[list] = None,
                available: Optional[Mapping[str, Tensor]] = None
                ) -> Tuple[Tensor, Dict]:
        """``(N, M * embed_dim)``; an unavailable modality is masked out of the
        keys and its slot zeroed, like an absent key."""
        return self.fusion(x, available), {}
