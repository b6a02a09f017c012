"""What :class:`CLCR` returns, and its diagnostics as named scalars."""
from dataclasses import dataclass, field
from typing import Dict, Mapping, Sequence, Tuple

from torch import Tensor

LOSS_TERMS = ('intra', 'pr', 'sp', 'mix')


@dataclass
class CLCROutput:
    """What :class:`CLCR` returns.

    fused: (N, out_dim) task representation ``z_sh (+) u_pr``.
    losses: the *weighted* regularisers
        ``loss_intra = lambda_intra * L_intra``,
        ``loss_pr``, ``loss_sp``, ``loss_mix`` (scalars), ready to be summed
        with the task loss.
    diagnostics: detached tensors: ``participation_rate`` (L,) realised mean
        gate sum / valid tokens, ``budget_rate`` (L,) learned ``r_l``,
        ``omega`` (N, L), ``modality_weights`` (N, M), ``eta`` (N, M), and
        the unweighted regularisers ``reg_intra``, ``reg_pr``, ``reg_sp``,
        ``reg_mix`` (scalars).
    summaries: per-level per-modality token means (not detached):
        ``shared`` (N, M, L, d_sh) after the exchange, ``shared_before``
        (N, M, L, d_sh) and ``private`` (N, M, L, d_pr); an absent or
        unavailable modality's slot is zero.
    modalities: names of the M configured modalities, the order of the (N, M)
        tensors (an absent modality has weight 0 and eta 0).
    """

    fused: Tensor
    losses: Dict[str, Tensor]
    diagnostics: Dict[str, Tensor]
    summaries: Dict[str, Tensor] = field(default_factory=dict)
    modalities: Tuple[str, ...] = field(default_factory=tuple)


def diagnostic_scalars(diagnostics: Mapping[str, Tensor],
                       modalities: Sequence[str]) -> Dict[str, Tensor]:
    """:attr:`CLCROutput.diagnostics` as named detached 0-d tensors (no host
    sync).

    ``clcr_rate_l{l}`` (realised participation rate of level l, 1-based),
    ``clcr_budget_l{l}`` (learned rate), ``clcr_omega_l{l}`` (mean level
    weight), ``clcr_weight_{m}`` (mean shared-path modality weight),
    ``clcr_eta_{m}`` (mean private gate), ``clcr_reg_{term}`` (unweighted
    regulariser ``L_intra``, ``L_pr``, ``L_sp``, ``L_mix``).
    """
    d = diagnostics
    scalars = {}
    for prefix, values in (('rate_l', d['participation_rate']),
                           ('budget_l', d['budget_rate']),
                           ('omega_l', d['omega'].mean(0))):
        scalars.update({
            f'clcr_{prefix}{i + 1}': v
            for i, v in enumerate(values.unbind())
        })
    for prefix, values in (('weight_', d['modality_weights'].mean(0)),
                           ('eta_', d['eta'].mean(0))):
        scalars.update({
            f'clcr_{prefix}{m}': v
            for m, v in zip(modalities, values.unbind())
        })
    scalars.update(
        {f'clcr_reg_{term}': d[f'reg_{term}']
         for term in LOSS_TERMS})
    return scalars
