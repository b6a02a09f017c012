"""CLCR: the whole method as one plain-PyTorch module."""
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from .hierarchy import SemanticHierarchyEncoder
from .inter_cad import InterCAD
from .intra_ced import IntraCED
from .losses import (intra_level_loss, level_mixing_loss, private_redundancy_loss,
                     shared_private_leakage_loss)

LOSS_GROUPS = {'intra': 'lambda_intra', 'pr': 'lambda_inter', 'sp': 'lambda_inter', 'mix': 'lambda_inter'}


@dataclass
class CLCROutput:
    """What :class:`CLCR` returns.

    fused: (N, out_dim) task representation ``z_sh (+) u_pr``.
    losses: unweighted regularisers ``intra``, ``pr``, ``sp``, ``mix`` (scalars).
    diagnostics: detached tensors: ``participation_rate`` (L,) realised mean
        gate sum / valid tokens, ``budget_rate`` (L,) learned ``r_l``,
        ``omega`` (N, L), ``modality_weights`` (N, M), ``eta`` (N, M).
    modalities: names of the M configured modalities, the order of the (N, M)
        tensors (an absent modality has weight 0 and eta 0).
    """

    fused: Tensor
    losses: Dict[str, Tensor]
    diagnostics: Dict[str, Tensor]
    modalities: Tuple[str, ...] = field(default_factory=tuple)


def masked_token_mean(tokens: Tensor, mask: Tensor) -> Tensor:
    """Mean of (N, T, D) tokens over valid positions of (N, T) -> (N, D); zeros if none."""
    w = mask.to(tokens.dtype).unsqueeze(-1)
    return (tokens * w).sum(1) / w.sum(1).clamp_min(1.0)


class CLCR(nn.Module):
    """Cross-Level Co-Representation over any number of modalities and levels.

    Args:
        modalities: ``{name: dict(in_channels=[C_1..C_L], grids=[g_1..g_L])}``;
            each grid is ``(t,)`` for sequences, ``(h, w)`` for 2D maps or
            ``(t, h, w)`` for 3D maps (see :class:`TokenAdapter`).
        embed_dim: token width ``d``. Default 256.
        shared_dim: shared subspace width ``d_sh``. Default 128.
        private_dim: private subspace width ``d_pr``. Default 64.
        num_heads: heads of the shared exchange. Default 4.
        budget: :class:`TokenBudget` arguments (``init_rate`` 0.68,
            ``min_rate`` 0.1, ``max_rate`` 1.0, ``score_scale`` 1.0).
        hidden_dim: width of InterCAD's anchor MLP and private gate. Default 128.
        private_fusion: ``'sum'`` (width ``d_sh + d_pr``) or ``'concat'``
            (width ``d_sh + M * d_pr``) of the gated private summaries. Default 'sum'.
        dropout: attention dropout of the exchange. Default 0.
        lambda_intra: weight of ``L_intra``. Default 0.1.
        lambda_inter: weight of ``L_pr``, ``L_sp`` and ``L_mix``. Default 0.1.
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
                 lambda_inter: float = 0.1) -> None:
        super().__init__()
        self.modality_names = tuple(modalities)
        self.encoder = SemanticHierarchyEncoder(modalities, embed_dim)
        self.num_levels = self.encoder.num_levels
        self.levels = nn.ModuleList(
            IntraCED(self.modality_names, embed_dim, shared_dim, private_dim, num_heads, budget, dropout)
            for _ in range(self.num_levels))
        self.aggregator = InterCAD(shared_dim, private_dim, self.num_levels, hidden_dim,
                                   len(self.modality_names), private_fusion)
        self.out_dim = self.aggregator.out_dim
        self.loss_weights = {'lambda_intra': float(lambda_intra), 'lambda_inter': float(lambda_inter)}

    def weighted_losses(self, losses: Mapping[str, Tensor]) -> Dict[str, Tensor]:
        """``{'loss_intra': lambda_intra * L_intra, 'loss_pr': lambda_inter * L_pr, ...}``."""
        return {f'loss_{k}': self.loss_weights[LOSS_GROUPS[k]] * v for k, v in losses.items()}

    def _check_inputs(self, feats: Mapping[str, Sequence[Tensor]]) -> None:
        unknown = set(feats) - set(self.modality_names)
        if unknown:
            raise KeyError(f'unknown modalities {sorted(unknown)}; CLCR is configured for '
                           f'{list(self.modality_names)}')
        if not feats:
            raise ValueError(f'CLCR got no modality; configured: {list(self.modality_names)}')

    def forward(self,
                feats: Mapping[str, Sequence[Tensor]],
                masks: Optional[Mapping[str, Sequence[Optional[Tensor]]]] = None,
                available: Optional[Mapping[str, Tensor]] = None) -> CLCROutput:
        """Fuse per-level features of the modalities that are present.

        Args:
            feats: ``{modality: [level-1 .. level-L features]}``, any subset of
                the configured modalities (a missing key is a missing modality).
            masks: optional ``{modality: [(N, T) padding mask or None per level]}``
                for sequence inputs (True = valid step).
            available: optional ``{modality: (N,) bool}``; False drops that
                modality for that sample (per-sample missing modality).

        Returns:
            :class:`CLCROutput`.
        """
        self._check_inputs(feats)
        names = [m for m in self.modality_names if m in feats]  # configured order
        encoded = self.encoder({m: feats[m] for m in names}, masks)
        N = encoded[names[0]][0][0].shape[0]
        device = encoded[names[0]][0][0].device
        present = torch.stack([
            (available or {}).get(m, torch.ones(N, dtype=torch.bool, device=device)).to(device, torch.bool)
            for m in names], dim=1)  # (N, M)

        shared, shared_before, private, rates = [], [], [], []
        for level, intra in enumerate(self.levels):
            masks_l = {m: encoded[m][level][1] & present[:, i:i + 1] for i, m in enumerate(names)}
            out = intra({m: encoded[m][level][0] for m in names}, masks_l)
            def summaries(tokens: Dict[str, Tensor]) -> Tensor:  # (N, M, D) token means per modality
                return torch.stack([masked_token_mean(tokens[m], masks_l[m]) for m in names], 1)

            shared.append(summaries(out.shared))
            shared_before.append(summaries(out.shared_before))
            private.append(summaries(out.private))
            gate_sum = sum(out.gates[m].sum(-1) for m in names)  # (N,)
            valid = sum(masks_l[m].sum(-1) for m in names).to(gate_sum.dtype)
            rates.append(gate_sum.sum() / valid.sum().clamp_min(1.0))
        shared_t = torch.stack(shared, 2)  # (N, M, L, d_sh)
        shared_before_t = torch.stack(shared_before, 2)
        private_t = torch.stack(private, 2)  # (N, M, L, d_pr)

        # InterCAD sees every configured modality (absent ones zero and masked),
        # so its output layout does not depend on which modalities are present.
        if len(names) == len(self.modality_names):
            agg = self.aggregator(shared_t, private_t, present)
        else:
            slots = torch.tensor([self.modality_names.index(m) for m in names], device=device)
            M = len(self.modality_names)
            agg = self.aggregator(
                shared_t.new_zeros(N, M, *shared_t.shape[2:]).index_copy(1, slots, shared_t),
                private_t.new_zeros(N, M, *private_t.shape[2:]).index_copy(1, slots, private_t),
                present.new_zeros(N, M).index_copy(1, slots, present))
        losses = {
            'intra': intra_level_loss(shared_before_t, private_t, present),
            'pr': private_redundancy_loss(private_t, present),
            'sp': shared_private_leakage_loss(shared_t, private_t, present),
            'mix': level_mixing_loss(agg.omega),
        }
        diagnostics = {
            'participation_rate': torch.stack(rates).detach(),
            'budget_rate': torch.stack([intra.budget.rate for intra in self.levels]).detach(),
            'omega': agg.omega.detach(),
            'modality_weights': agg.modality_weights.detach(),
            'eta': agg.eta.detach(),
        }
        return CLCROutput(agg.fused, losses, diagnostics, self.modality_names)
