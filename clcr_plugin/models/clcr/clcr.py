"""CLCR: the whole method as one plain-PyTorch module."""
import inspect
from typing import Dict, List, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

from .budget import level_rates
from .fused_norm import FusedFeatureNorm
from .hierarchy import SemanticHierarchyEncoder
from .inter_cad import InterCAD
from .intra_ced import IntraCED, level_summaries, stack_levels
from .losses import level_mixing_loss, separation_losses
from .modality_order import canonical_order
from .outputs import CLCROutput
from .summary_memory import SummaryMemory


class CLCR(nn.Module):
    """Cross-Level Co-Representation over any number of modalities and levels.

    Args:
        modalities (dict):
            ``{name: dict(in_channels=[C_1..C_L], grids=[g_1..g_L])}``;
            the modalities are kept in sorted name order
            (:func:`canonical_order`), whatever the order of the dict; each
            grid is ``(t,)`` for sequences, ``(h, w)`` for 2D maps or
            ``(t, h, w)`` for 3D maps (see :class:`TokenAdapter`).
        embed_dim (int): token width ``d``. Default 256.
        shared_dim (int): shared subspace width ``d_sh``. Default 128.
        private_dim (int): private subspace width ``d_pr``. Default 64.
        num_heads (int): heads of the shared exchange. Default 4.
        budget (dict, optional): :class:`TokenBudget` arguments (``init_rate``
            0.68, ``min_rate`` 0.1, ``max_rate`` 1.0, ``score_scale`` 1.0).
            Default None (those defaults).
        hidden_dim (int): width of InterCAD's anchor MLP and private gate.
            Default 128.
        private_fusion (str): ``'sum'`` (width ``d_sh + d_pr``) or ``'concat'``
            (width ``d_sh + M * d_pr``) of the gated private summaries.
            Default 'sum'.
        dropout (float): attention dropout of the exchange. Default 0.0.
        lambda_intra (float): weight of ``L_intra``. Default 0.1.
        lambda_pr (float): weight of ``L_pr``. Default 0.1.
        lambda_sp (float): weight of ``L_sp``. Default 0.1.
        lambda_mix (float): weight of ``L_mix``. Default 0.1.
        reg_memory (int): samples of recent batches (detached) added to the
            regularisers' correlation statistics, see :class:`SummaryMemory`;
            0 uses the current batch only. Default 256.
        reg_warmup (int): training steps over which the regulariser weights
            ramp linearly from 0 to their value. Default 0.
        level_fusion (str): ``'concat'`` keeps the omega-weighted levels side
            by side, ``'sum'`` adds them (see :class:`InterCAD`).
            Default 'concat'.
        shared_residual (bool): add the global shared context to the
            attended shared code (see :class:`InterCAD`). Default True.
        hierarchy (bool): use every level; False keeps the deepest level
            only (ablation "without hierarchy"). Default True.
        intra_ced (bool): shared/private split, budget and shared-only
            exchange; False exchanges whole tokens densely with no private
            stream (ablation "without IntraCED"). Default True.
        inter_cad (bool): learned level weights, modality selection and
            private gates; False averages levels and modalities uniformly
            (ablation "without InterCAD"). Default True.
        full_mix (bool): put every level's tokens of a modality into one
            sequence, i.e. a single semantic space (ablation "full mix").
            Default False.
        orthogonal_map (str): ``'cayley'`` or ``'matrix_exp'`` (same
            manifold; matrix_exp is about 15x dearer on CPU and synchronises
            with the host on CUDA; equal accuracy measured), the
            parametrisation of the Stiefel bases. Default 'cayley'.
        output_norm (bool): standardise each feature of the fused code over
            the batch, with a learned scale and shift, before it leaves CLCR
            (see :class:`FusedFeatureNorm`). Default False.
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
                 lambda_pr: float = 0.1,
                 lambda_sp: float = 0.1,
                 lambda_mix: float = 0.1,
                 reg_memory: int = 256,
                 reg_warmup: int = 0,
                 level_fusion: str = 'concat',
                 shared_residual: bool = True,
                 hierarchy: bool = True,
                 intra_ced: bool = True,
                 inter_cad: bool = True,
                 full_mix: bool = False,
                 orthogonal_map: str = 'cayley',
                 output_norm: bool = False) -> None:
        super().__init__()
        # sorted names, whatever the order of the dict (see modality_order)
        self.modality_names = canonical_order(modalities)
        modalities = {m: modalities[m] for m in self.modality_names}
        self.hierarchy, self.full_mix = hierarchy, full_mix
        if not hierarchy:  # the deepest level only
            modalities = {
                m: {
                    k: list(v)[-1:]
                    for k, v in spec.items()
                }
                for m, spec in modalities.items()
            }
        self.encoder = SemanticHierarchyEncoder(modalities, embed_dim)
        self.num_levels = 1 if full_mix else self.encoder.num_levels
        if not intra_ced:
            shared_dim, private_dim = embed_dim, 0
        self.levels = nn.ModuleList(
            IntraCED(
                self.modality_names,
                embed_dim,
                shared_dim,
                private_dim,
                num_heads,
                budget,
                dropout,
                split=intra_ced,
                orthogonal_map=orthogonal_map) for _ in range(self.num_levels))
        self.aggregator = InterCAD(
            shared_dim,
            private_dim,
            self.num_levels,
            hidden_dim,
            len(self.modality_names),
            private_fusion,
            level_fusion,
            shared_residual,
            selection=inter_cad)
        if reg_warmup < 0:
            raise ValueError(
                f'reg_warmup must be >= 0 steps, got {reg_warmup}')
        M, L = len(self.modality_names), self.num_levels
        self.memory = SummaryMemory(
            reg_memory if private_dim else 0,
            dict(
                shared_before=(M, L, shared_dim),
                shared=(M, L, shared_dim),
                private=(M, L, private_dim),
                available=(M, )))
        self.reg_warmup = reg_warmup
        # True: every level's exchange as SharedExchange.forward_reference
        # (one explicit-bias attention per level), for tests and benchmarks
        self.reference_exchange = False
        self.register_buffer('train_steps', torch.zeros((), dtype=torch.long))
        self.out_dim = self.aggregator.out_dim
        self.output_norm = FusedFeatureNorm(
            self.out_dim) if output_norm else nn.Identity()
        self.loss_weights = dict(
            intra=float(lambda_intra),
            pr=float(lambda_pr),
            sp=float(lambda_sp),
            mix=float(lambda_mix))
        negative = {
            f'lambda_{k}': v
            for k, v in self.loss_weights.items() if v < 0
        }
        if negative:
            raise ValueError(', '.join(f'{k}={v}'
                                       for k, v in negative.items()) +
                             ': expected loss weights >= 0')

    def _check_inputs(self, feats: Mapping[str, Sequence[Tensor]]) -> None:
        unknown = set(feats) - set(self.modality_names)
        if unknown:
            raise KeyError(
                f'unknown modalities {sorted(unknown)}; CLCR is configured '
                'for '
                f'{list(self.modality_names)}')
        if not feats:
            raise ValueError('CLCR got no modality; configured: '
                             f'{list(self.modality_names)}')

    def _to_all_slots(self, x: Tensor, names: List[str]) -> Tensor:
        """(N, M_given, ...) in ``names`` order -> (N, M, ...) in configured
        order, zeros for absent ones."""
        if len(names) == len(self.modality_names):
            return x
        zeros = x.new_zeros(x.shape[0], *x.shape[2:])  # no index copy to GPU
        return torch.stack([
            x[:, names.index(m)] if m in names else zeros
            for m in self.modality_names
        ], 1)

    def forward(self,
                feats: Mapping[str, Sequence[Tensor]],
                masks: Optional[Mapping[str,
                                        Sequence[Optional[Tensor]]]] = None,
                available: Optional[Mapping[str,
                                            Tensor]] = None) -> CLCROutput:
        """Fuse per-level features of the modalities given.

        Args:
            feats: ``{modality: [level-1 .. level-L features]}``, any subset of
                the configured modalities (a missing key is a missing
                modality).
            masks: optional
                ``{modality: [(N, T) padding mask or None per level]}``
                for sequence inputs (True = valid step).
            available: optional ``{modality: (N,) bool}``; False drops that
                modality for that sample (per-sample missing modality).

        Returns:
            :class:`CLCROutput`.
        """
        self._check_inputs(feats)
        names = [m for m in self.modality_names
                 if m in feats]  # configured order
        if not self.hierarchy:
            feats = {m: list(feats[m])[-1:] for m in names}
            masks = {
                m: list(v)[-1:]
                for m, v in masks.items()
            } if masks else None
        encoded = self.encoder({m: feats[m] for m in names}, masks)
        if self.full_mix:  # one level holding every level's tokens
            encoded = {
                m: [(torch.cat([t for t, _ in lv],
                               1), torch.cat([k for _, k in lv], 1))]
                for m, lv in encoded.items()
            }
        tokens, token_mask, lengths = stack_levels(encoded, names)
        # the stacked copy is all that is used from here: free the
        # per-level tokens now rather than at return (peak memory)
        del encoded
        N, device = tokens.shape[2], tokens.device
        avail = torch.stack([(available or {}).get(
            m, torch.ones(N, dtype=torch.bool, device=device)).to(
                device, torch.bool) for m in names],
                            dim=1)  # (N, M_given)

        streams, rates = level_summaries(self.levels, tokens, token_mask,
                                         lengths, names, avail,
                                         self.reference_exchange)

        # InterCAD sees every configured modality (absent ones zero and
        # masked),
        # so its output layout does not depend on which modalities are given.
        summaries_all = {
            k: self._to_all_slots(v, names)
            for k, v in streams.items()
        }
        agg = self.aggregator(summaries_all['shared'],
                              summaries_all['private'],
                              self._to_all_slots(avail, names))
        raw = self._regularisers(
            dict(summaries_all, available=self._to_all_slots(avail, names)),
            agg.omega, names)
        ramp = 1.0
        if self.training:
            self.train_steps += 1
            if self.reg_warmup:
                ramp = (self.train_steps.float() /
                        self.reg_warmup).clamp(max=1.0)
        losses = {
            f'loss_{k}': ramp * self.loss_weights[k] * v
            for k, v in raw.items()
        }
        diagnostics = {
            'participation_rate': rates.detach(),
            'budget_rate': self._budget_rates().detach(),
            'omega': agg.omega.detach(),
            'modality_weights': agg.modality_weights.detach(),
            'eta': agg.eta.detach(),
            **{
                f'reg_{k}': v.detach()
                for k, v in raw.items()
            },
        }
        return CLCROutput(
            self.output_norm(agg.fused), losses, diagnostics, summaries_all,
            self.modality_names)

    def _budget_rates(self) -> Tensor:
        """(L,) the levels' participation rates ``r_l`` (1 without a
        budget)."""
        if self.levels[0].budget is None:
            return self.aggregator.anchors.new_ones(self.num_levels)
        return level_rates([lv.budget for lv in self.levels])

    def _regularisers(self, streams: Dict[str, Tensor], omega: Tensor,
                      names: List[str]) -> Dict[str, Tensor]:
        """Unweighted ``L_intra``, ``L_pr``, ``L_sp``, ``L_mix``.

        Args:
            streams: ``shared_before``, ``shared`` (N, M, L, d_sh),
                ``private`` (N, M, L, d_pr) and ``available`` (N, M) over
                every configured modality slot.
            omega: (N, L) level weights.
            names: the modalities given in this batch.

        The correlation terms use the given modalities only, the current
        batch plus the memory of recent batches (training only); all are 0
        without a private stream.
        """
        if streams['private'].shape[-1] == 0:
            zero = omega.new_zeros(())
            return dict(
                intra=zero, pr=zero, sp=zero, mix=level_mixing_loss(omega))
        s = self.memory.extend_batch(streams)
        if len(names) < len(self.modality_names):
            s = {
                k:
                torch.stack(
                    [v[:, self.modality_names.index(m)] for m in names], 1)
                for k, v in s.items()
            }  # the given modalities, sliced on the device
        return dict(
            separation_losses(s['shared_before'], s['shared'], s['private'],
                              s['available']),
            mix=level_mixing_loss(omega))


def clcr_arguments() -> Dict[str, inspect.Parameter]:
    """The keyword arguments of :class:`CLCR` (besides ``modalities``), with
    their defaults."""
    params = dict(inspect.signature(CLCR.__init__).parameters)
    params.pop('self')
    params.pop('modalities')
    return params


def clcr_args_doc() -> str:
    """The ``Args:`` entries of :class:`CLCR`'s docstring, as written there
    (one source for wrappers)."""
    doc = inspect.cleandoc(CLCR.__doc__)
    return doc[doc.index('Args:') + len('Args:'):].strip('\n')
