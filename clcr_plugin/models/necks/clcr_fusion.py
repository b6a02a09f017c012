"""``CLCRFusion``: the CLCR method as an mmaction2 neck."""
import textwrap
from typing import Dict, Mapping, Optional, Sequence, Tuple

from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

from ..clcr import CLCR, clcr_args_doc, clcr_arguments, diagnostic_scalars
from .shape_inference import (LevelShapes, copy_config, fill_or_check_channels,
                              fill_or_check_grid, shapes_of)

_DOC = """Cross-Level Co-Representation fusion neck.

    Contract (shared with the baseline necks)::

        forward(x: dict[str, Sequence[Tensor]], data_samples=None,
                available: dict[str, Tensor (N,) bool] = None)
            -> tuple[Tensor (N, out_channels), dict]

    ``x`` maps each modality to its per-level backbone features (see
    :class:`~clcr_plugin.models.clcr.CLCR` for the accepted shapes); a missing
    key is a missing modality and ``available`` marks a modality missing for
    single samples. The dict holds the *weighted* auxiliary losses
    ``loss_intra``, ``loss_pr``, ``loss_sp`` and ``loss_mix`` in training mode
    and is empty in eval mode. The diagnostics of the latest forward are
    available from :meth:`diagnostic_scalars` (``CLCRDiagnosticsHook`` logs
    them); the core module stays reachable as ``neck.clcr`` (its output,
    :class:`CLCROutput`, also carries the per-level summaries).

    Every argument but ``init_cfg`` goes to :class:`CLCR`; ``in_channels`` and
    ``grids`` of ``modalities`` (or ``modalities`` itself) may be left out:
    :class:`MultiModalRecognizer` fills them from its backbones (see
    :meth:`complete_config`).

    Args:
{args}
        init_cfg (dict, optional): mmengine init config. Default None.
"""


@MODELS.register_module()
class CLCRFusion(BaseModule):
    __doc__ = _DOC.format(args=textwrap.indent(clcr_args_doc(), ' ' * 4))

    def __init__(self,
                 modalities: Mapping[str, Mapping],
                 init_cfg: Optional[dict] = None,
                 **clcr_kwargs) -> None:
        allowed = clcr_arguments()
        unknown = sorted(set(clcr_kwargs) - set(allowed))
        if unknown:
            raise KeyError(
                f'CLCRFusion got unknown arguments {unknown}; allowed: '
                f"{['modalities', *allowed, 'init_cfg']}")
        super().__init__(init_cfg=init_cfg)
        self.clcr = CLCR(modalities, **clcr_kwargs)
        self.out_channels = self.clcr.out_dim
        self.modality_names = self.clcr.modality_names  # sorted
        # detached diagnostics of the latest forward
        self._diagnostics: Dict[str, Tensor] = {}

    @classmethod
    def complete_config(cls, cfg: Mapping, level_shapes: LevelShapes) -> dict:
        """Fill ``modalities`` (default: every backbone), each one's per-level
        ``in_channels`` and default ``grids``; check the ones given.

        Args:
            cfg (dict): the neck config.
            level_shapes (dict):
                ``{modality: [feature shape (1, ...) per level]}``.
        """
        cfg = copy_config(cfg)
        modalities = cfg.get('modalities') or {m: {} for m in level_shapes}
        completed = {}
        for m, spec in modalities.items():
            key = f'neck.modalities.{m}'
            shapes = shapes_of(level_shapes, m, 'neck.modalities')
            spec = dict(spec or {})
            spec['in_channels'] = fill_or_check_channels(
                spec.get('in_channels'), shapes, f'{key}.in_channels')
            grids = spec.get('grids')
            if grids is not None and len(grids) != len(shapes):
                raise ValueError(
                    f'{key}.grids lists {len(grids)} levels, but the backbone '
                    f'gives {len(shapes)}')
            spec['grids'] = [
                fill_or_check_grid(None if grids is None else grids[i], s,
                                   f'{key}.grids[{i}]')
                for i, s in enumerate(shapes)
            ]
            completed[m] = spec
        cfg['modalities'] = completed
        return cfg

    def diagnostic_scalars(self) -> Dict[str, Tensor]:
        """Named detached 0-d tensors of the latest forward ({} before the
        first); see
        :func:`~clcr_plugin.models.clcr.diagnostic_scalars`."""
        return diagnostic_scalars(
            self._diagnostics,
            self.clcr.modality_names) if self._diagnostics else {}

    def forward(
        self,
        x: Mapping[str, Sequence[Tensor]],
        data_samples: Optional[list] = None,
        available: Optional[Mapping[str, Tensor]] = None,
        masks: Optional[Mapping[str, Sequence[Optional[Tensor]]]] = None
    ) -> Tuple[Tensor, Dict[str, Tensor]]:
        """Fuse; ``masks`` are optional sequence padding masks (see
        :class:`CLCR`)."""
        out = self.clcr(x, masks, available)
        self._diagnostics = out.diagnostics
        return out.fused, (out.losses if self.training else {})
