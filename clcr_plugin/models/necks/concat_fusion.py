"""``ConcatFusion``: late concatenation of the pooled deepest features."""
from typing import Dict, Mapping, Optional, Sequence, Tuple

from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

from ..baselines import ConcatPool
from ..clcr.hierarchy import feature_channels
from .shape_inference import LevelShapes, copy_config, fill_or_check, shapes_of


@MODELS.register_module()
class ConcatFusion(BaseModule):
    """Late concatenation of the pooled deepest features (same contract as
    :class:`CLCRFusion`).

    Args:
        in_channels (dict): ``{modality: channels of its deepest feature}``;
            :class:`MultiModalRecognizer` fills it from its backbones (every
            modality) when left out.
        init_cfg (dict, optional): mmengine init config. Default None.
    """

    def __init__(self,
                 in_channels: Mapping[str, int],
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fusion = ConcatPool(in_channels)
        self.out_channels = self.fusion.out_dim
        self.modality_names = tuple(self.fusion.in_channels)  # sorted

    @classmethod
    def complete_config(cls, cfg: Mapping, level_shapes: LevelShapes) -> dict:
        """Fill or check ``in_channels`` from the deepest level of each
        backbone."""
        cfg = copy_config(cfg)
        given = cfg.get('in_channels') or {m: None for m in level_shapes}
        cfg['in_channels'] = {
            m:
            fill_or_check(
                c,
                feature_channels(
                    shapes_of(level_shapes, m, 'neck.in_channels')[-1]),
                f'neck.in_channels.{m}')
            for m, c in given.items()
        }
        return cfg

    def forward(self,
                x: Mapping[str, Sequence[Tensor]],
                data_samples: Optional[list] = None,
                available: Optional[Mapping[str, Tensor]] = None
                ) -> Tuple[Tensor, Dict]:
        """``(N, sum C_m)``; an absent or unavailable modality gives zeros in
        its slot."""
        return self.fusion(x, available), {}
