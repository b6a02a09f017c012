"""``UnimodalFusion``: one modality's pooled deepest feature."""
from typing import Dict, Mapping, Optional, Sequence, Tuple

from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

from ..baselines import global_pool
from ..clcr.hierarchy import feature_channels
from .shape_inference import LevelShapes, copy_config, fill_or_check, shapes_of


@MODELS.register_module()
class UnimodalFusion(BaseModule):
    """Use one modality only: its pooled deepest feature (same contract as
    :class:`CLCRFusion`; ``available`` is ignored).

    Args:
        modality (str): the modality to keep.
        in_channels (int): channels of its deepest feature; filled from the
            backbone when left out.
        init_cfg (dict, optional): mmengine init config. Default None.
    """

    # picks one of the recognizer's modalities by design (the recognizer's
    # build-time check does not ask it to fuse every backbone)
    fuses_all_modalities = False

    def __init__(self,
                 modality: str,
                 in_channels: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.modality = modality
        self.out_channels = in_channels
        self.modality_names = (modality, )

    @classmethod
    def complete_config(cls, cfg: Mapping, level_shapes: LevelShapes) -> dict:
        """Fill or check ``in_channels`` from the deepest level of the kept
        modality's backbone."""
        cfg = copy_config(cfg)
        if 'modality' not in cfg:
            raise KeyError('UnimodalFusion needs neck.modality, one of '
                           f'{sorted(level_shapes)}')
        deepest = shapes_of(level_shapes, cfg['modality'], 'neck.modality')[-1]
        cfg['in_channels'] = fill_or_check(
            cfg.get('in_channels'), feature_channels(deepest),
            'neck.in_channels')
        return cfg

    def forward(self,
                x: Mapping[str, Sequence[Tensor]],
                data_samples: Optional[list] = None,
                available: Optional[Mapping[str, Tensor]] = None
                ) -> Tuple[Tensor, Dict]:
        if self.modality not in x:
            raise KeyError(
                f'UnimodalFusion uses {self.modality!r}, but the inputs hold '
                f'{sorted(x)}')
        return global_pool(x[self.modality][-1]), {}
