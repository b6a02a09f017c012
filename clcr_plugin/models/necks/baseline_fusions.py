"""Baseline necks with the same contract as :class:`CLCRFusion`."""
from typing import Dict, Mapping, Optional, Sequence, Tuple

from mmengine.model import BaseModule
from torch import Tensor

from mmaction.registry import MODELS

from ..fusion_baselines import ConcatPool, DenseCrossModalAttention, global_pool


@MODELS.register_module()
class ConcatFusion(BaseModule):
    """Late concatenation of the pooled deepest features.

    Args:
        in_channels: ``{modality: channels of its deepest feature}``.
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: Mapping[str, int], init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fusion = ConcatPool(in_channels)
        self.out_channels = self.fusion.out_dim

    def forward(self, x: Mapping[str, Sequence[Tensor]], data_samples=None) -> Tuple[Tensor, Dict]:
        return self.fusion(x), {}


@MODELS.register_module()
class DenseCrossAttnFusion(BaseModule):
    """MulT-style dense cross-modal attention on all tokens of the deepest level.

    Args:
        in_channels: ``{modality: channels of its deepest feature}``.
        grids: ``{modality: token grid}`` (see ``TokenAdapter``).
        embed_dim: token width. Default 256.
        num_heads: attention heads. Default 4.
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: Mapping[str, int], grids: Mapping[str, Sequence[int]], embed_dim: int = 256,
                 num_heads: int = 4, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fusion = DenseCrossModalAttention(in_channels, grids, embed_dim, num_heads)
        self.out_channels = self.fusion.out_dim

    def forward(self, x: Mapping[str, Sequence[Tensor]], data_samples=None) -> Tuple[Tensor, Dict]:
        return self.fusion(x), {}


@MODELS.register_module()
class UnimodalFusion(BaseModule):
    """Use one modality only: its pooled deepest feature.

    Args:
        modality: the modality to keep.
        in_channels: channels of its deepest feature.
        init_cfg: mmengine init config.
    """

    def __init__(self, modality: str, in_channels: int, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.modality = modality
        self.out_channels = in_channels

    def forward(self, x: Mapping[str, Sequence[Tensor]], data_samples=None) -> Tuple[Tensor, Dict]:
        if self.modality not in x:
            raise KeyError(f'UnimodalFusion uses {self.modality!r}, but the inputs hold {sorted(x)}')
        return global_pool(x[self.modality][-1]), {}
