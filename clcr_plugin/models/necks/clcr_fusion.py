"""``CLCRFusion``: the CLCR method as an mmaction2 neck."""
from typing import Dict, Mapping, Optional, Sequence, Tuple

import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModule
from torch import Tensor

from mmaction.registry import MODELS

from ..clcr import CLCR, CLCROutput
from ..clcr.modality_dropout import modality_dropout_mask


@MODELS.register_module()
class CLCRFusion(BaseModule):
    """Cross-Level Co-Representation fusion neck.

    Contract (shared with the baseline necks)::

        forward(x: dict[str, Sequence[Tensor]], data_samples=None)
            -> tuple[Tensor (N, out_channels), dict]

    ``x`` maps each modality to its per-level backbone features (see
    :class:`~clcr_plugin.models.clcr.CLCR` for the accepted shapes). The dict
    holds the *weighted* auxiliary losses ``loss_intra``, ``loss_pr``,
    ``loss_sp`` and ``loss_mix`` in training mode and is empty in eval mode.
    In training mode the diagnostics are written to mmengine's
    :class:`MessageHub` as ``train/clcr_rate_l{l}`` (realised participation
    rate of level l, 1-based), ``train/clcr_budget_l{l}`` (learned rate),
    ``train/clcr_omega_l{l}`` (mean level weight), ``train/clcr_weight_{m}``
    (mean shared-path modality weight) and ``train/clcr_eta_{m}`` (mean
    private gate), so ``LoggerHook`` prints them and visualiser backends
    record them. The latest diagnostics are also kept in ``last_output``.

    Args:
        modalities: ``{name: dict(in_channels=[...], grids=[...])}``, one entry
            per level; see :class:`CLCR`.
        embed_dim, shared_dim, private_dim, num_heads, budget, hidden_dim,
        private_fusion, dropout, lambda_intra, lambda_inter: see :class:`CLCR`.
        modality_dropout: in training, drop each modality of each sample with
            this probability (never all of a sample's modalities), through
            CLCR's availability mask. It makes every backbone learn the
            evidence it shares with the others instead of leaning on one
            modality. Default 0 (off).
        log_diagnostics: write diagnostics to the MessageHub. Default True.
        init_cfg: mmengine init config. Default None.
    """

    def __init__(self,
                 modalities: Mapping[str, Mapping],
                 embed_dim: int = 256,
                 shared_dim: int = 128,
                 private_dim: int = 64,
                 num_heads: int = 4,
                 budget: Optional[Mapping] = None,
                 hidden_dim: int = 128,
                 private_fusion: str = 'sum',
                 dropout: float = 0.0,
                 lambda_intra: float = 0.1,
                 lambda_inter: float = 0.1,
                 modality_dropout: float = 0.0,
                 log_diagnostics: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.clcr = CLCR(modalities, embed_dim=embed_dim, shared_dim=shared_dim, private_dim=private_dim,
                         num_heads=num_heads, budget=budget, hidden_dim=hidden_dim, private_fusion=private_fusion,
                         dropout=dropout, lambda_intra=lambda_intra, lambda_inter=lambda_inter)
        self.out_channels = self.clcr.out_dim
        if not 0.0 <= modality_dropout < 1.0:
            raise ValueError(f'modality_dropout must be in [0, 1), got {modality_dropout}')
        self.modality_dropout = modality_dropout
        self.log_diagnostics = log_diagnostics
        self.last_output: Optional[CLCROutput] = None

    def forward(self,
                x: Mapping[str, Sequence[Tensor]],
                data_samples: Optional[list] = None,
                masks: Optional[Mapping[str, Sequence[Optional[Tensor]]]] = None,
                available: Optional[Mapping[str, Tensor]] = None) -> Tuple[Tensor, Dict[str, Tensor]]:
        if self.training and self.modality_dropout > 0 and len(x) > 1:
            first = next(iter(x.values()))[0]
            available = modality_dropout_mask(list(x), first.shape[0], self.modality_dropout, first.device, available)
        out = self.clcr(x, masks, available)
        self.last_output = CLCROutput(out.fused.detach(), {k: v.detach() for k, v in out.losses.items()},
                                      out.diagnostics, out.modalities)
        if not self.training:
            return out.fused, {}
        if self.log_diagnostics:
            log_diagnostics(out)
        return out.fused, self.clcr.weighted_losses(out.losses)


def diagnostic_scalars(out: CLCROutput) -> Dict[str, float]:
    """Flatten CLCR diagnostics to named scalars (one host sync in all)."""
    d = out.diagnostics
    names = [f'clcr_rate_l{i + 1}' for i in range(d['participation_rate'].numel())]
    names += [f'clcr_budget_l{i + 1}' for i in range(d['budget_rate'].numel())]
    names += [f'clcr_omega_l{i + 1}' for i in range(d['omega'].shape[1])]
    names += [f'clcr_weight_{m}' for m in out.modalities] + [f'clcr_eta_{m}' for m in out.modalities]
    values = torch.cat([d['participation_rate'], d['budget_rate'], d['omega'].mean(0),
                        d['modality_weights'].mean(0), d['eta'].mean(0)]).float().tolist()
    return dict(zip(names, values))


def log_diagnostics(out: CLCROutput, prefix: str = 'train/') -> None:
    """Write :func:`diagnostic_scalars` to the current MessageHub."""
    hub = MessageHub.get_current_instance()
    for name, value in diagnostic_scalars(out).items():
        hub.update_scalar(prefix + name, value)
