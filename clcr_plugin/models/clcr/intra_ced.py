"""IntraCED: the intra-level co-exchange domain of one semantic level."""
from dataclasses import dataclass
from typing import Dict, List, Mapping, Sequence, Tuple

import torch
from torch import Tensor, nn

from .budget import TokenBudget, level_gates, max_open_tokens
from .exchange import (ExchangeMessages, SharedExchange, exchange_messages,
                       stack_padded)
from .subspaces import SharedPrivateBases, level_bases


@dataclass
class IntraCEDOutput:
    """Per-modality results of one level (dicts keyed by modality name).

    shared: (N, T, d_sh) shared tokens after the exchange.
    shared_before: (N, T, d_sh) shared tokens before the exchange.
    private: (N, T, d_pr) private tokens (never exchanged).
    gates: (N, T) token gates ``alpha``.
    """

    shared: Dict[str, Tensor]
    shared_before: Dict[str, Tensor]
    private: Dict[str, Tensor]
    gates: Dict[str, Tensor]


class IntraCED(nn.Module):
    """Factorise tokens, gate them with a budget, exchange shared tokens only.

    Args:
        modalities: modality names.
        embed_dim: token width ``d``.
        shared_dim: shared subspace width ``d_sh``.
        private_dim: private subspace width ``d_pr``.
        num_heads: heads of the exchange attention.
        budget: keyword arguments of :class:`TokenBudget`.
        dropout: attention dropout.
        split: factorise into shared/private subspaces and gate with the
            budget; ``False`` is the paper's "without IntraCED" ablation:
            every valid token, whole, takes part in a dense exchange (width
            ``d``) and there is no private stream (width 0).
        orthogonal_map: how the bases are parametrised, see
            :class:`SharedPrivateBases`.
    """

    def __init__(self,
                 modalities: Sequence[str],
                 embed_dim: int,
                 shared_dim: int,
                 private_dim: int,
                 num_heads: int = 4,
                 budget: Mapping = None,
                 dropout: float = 0.0,
                 split: bool = True,
                 orthogonal_map: str = 'cayley') -> None:
        super().__init__()
        self.split = split
        self.bases = SharedPrivateBases(embed_dim, shared_dim, private_dim,
                                        modalities,
                                        orthogonal_map) if split else None
        self.budget = TokenBudget(**(budget or {})) if split else None
        self.exchange = SharedExchange(shared_dim if split else embed_dim,
                                       num_heads, dropout)

    def forward(self, tokens: Mapping[str, Tensor],
                masks: Mapping[str, Tensor]) -> IntraCEDOutput:
        """Args: tokens ``{m: (N, T_m, d)}``, masks ``{m: (N, T_m)}`` bool.

        This level alone through :func:`co_exchange` (what :class:`CLCR` runs
        for all levels at once).
        """
        names = list(tokens)
        lengths = [tokens[m].shape[1] for m in names]
        T = max(lengths)
        out = co_exchange([self],
                          stack_padded([tokens[m] for m in names], T)[None],
                          stack_padded([masks[m] for m in names], T)[None],
                          [lengths], names)

        def per_modality(x: Tensor) -> Dict[str, Tensor]:
            return {
                m: x[0, i, :, :t]
                for i, (m, t) in enumerate(zip(names, lengths))
            }

        return IntraCEDOutput(*(per_modality(x) for x in out))


@dataclass
class LevelTokens:
    """Stacked results of :func:`co_exchange`, (L, M, N, T, ...) each.

    shared_before: (L, M, N, T, d_sh) shared tokens before the exchange;
    private: (L, M, N, T, d_pr); gates: (L, M, N, T); messages: what the
    exchange adds to the shared tokens (:class:`ExchangeMessages`).
    """

    shared_before: Tensor
    private: Tensor
    gates: Tensor
    messages: ExchangeMessages

    @property
    def shared(self) -> Tensor:
        """(L, M, N, T, d_sh) shared tokens after the exchange."""
        return self.shared_before + self.messages.gated(
            self.shared_before.shape[3])

    def __iter__(self):
        return iter(
            (self.shared, self.shared_before, self.private, self.gates))


def co_exchange(levels: Sequence[IntraCED],
                tokens: Tensor,
                mask: Tensor,
                lengths: Sequence[Sequence[int]],
                modalities: Sequence[str],
                reference: bool = False) -> LevelTokens:
    """IntraCED of ``L`` levels at once: one batched evaluation of the bases,
    one matmul for every projection, one capped-simplex projection for every
    budget and one attention call for every exchange; each level keeps its
    own parameters.

    Args:
        levels: the levels' :class:`IntraCED`, built alike (same widths and
            options).
        tokens: (L, M, N, T, d) tokens, zero-padded to ``T``.
        mask: (L, M, N, T) bool, False for padding or an absent modality.
        lengths: ``lengths[l][m]``, tokens of level ``l`` and modality ``m``
            before padding.
        modalities: the ``M`` modality names, in the order of dim 1.
        reference: run each level's exchange through
            :meth:`SharedExchange.forward_reference` (the explicit-bias
            attention, level by level; tests and the benchmark compare it
            with the batched path). Default False.

    Returns:
        :class:`LevelTokens`; padded positions have gate 0 and zero tokens.
    """
    L, M, N, T, d = tokens.shape
    head = levels[0]
    if head.split:
        u_sh, u_pr = level_bases([lv.bases for lv in levels], modalities)
        both = tokens.view(L, M, N * T, d) @ torch.cat(
            [u_sh.unsqueeze(1).expand(-1, M, -1, -1), u_pr],
            -1)  # (L, M, N * T, d_sh + d_pr)
        shared, private = both.view(L, M, N, T,
                                    -1).split([u_sh.shape[-1], u_pr.shape[-1]],
                                              -1)
        budgets = [lv.budget for lv in levels]
        gates = level_gates(budgets, shared, mask, lengths)
        # static bound on the non-zero gates of a row
        keep = max_open_tokens(budgets, lengths)
    else:
        shared, private = tokens, tokens[..., :0]
        gates, keep = mask.to(tokens.dtype), None
    if reference:  # each level's explicit-bias attention, one at a time
        messages = ExchangeMessages(
            torch.stack([
                stack_padded(
                    lv.exchange.forward_reference([
                        shared[i, j, :, :t] for j, t in enumerate(lengths[i])
                    ], [gates[i, j, :, :t]
                        for j, t in enumerate(lengths[i])]), T)
                for i, lv in enumerate(levels)
            ]), mask.to(shared.dtype), None)
    else:
        messages = exchange_messages([lv.exchange for lv in levels], shared,
                                     gates, keep)
    return LevelTokens(shared, private, gates, messages)


def masked_token_mean(tokens: Tensor, mask: Tensor) -> Tensor:
    """Mean of (N, T, D) tokens over valid positions of (N, T) -> (N, D); zeros
    if none."""
    w = mask.to(tokens.dtype).unsqueeze(1)  # (N, 1, T)
    # a matmul: no (N, T, D) product is materialised
    return (w @ tokens).squeeze(1) / w.sum(-1).clamp_min(1.0)


def stack_levels(encoded: Mapping[str, Sequence[Tuple[Tensor, Tensor]]],
                 modalities: Sequence[str]
                 ) -> Tuple[Tensor, Tensor, List[List[int]]]:
    """Every level's and modality's tokens in one zero-padded tensor.

    Args:
        encoded: ``{m: [(tokens (N, T_lm, d), mask (N, T_lm)) per level]}``.
        modalities: the ``M`` names, the order of dim 1.

    Returns:
        tokens (L, M, N, T, d), mask (L, M, N, T) (False for padding) and
        ``lengths[l][m] = T_lm``.
    """
    L, M = len(encoded[modalities[0]]), len(modalities)
    lengths = [[encoded[m][lv][0].shape[1] for m in modalities]
               for lv in range(L)]
    T = max(max(row) for row in lengths)
    tokens = stack_padded(
        [encoded[m][lv][0] for lv in range(L) for m in modalities], T)
    mask = stack_padded(
        [encoded[m][lv][1] for lv in range(L) for m in modalities], T)
    N = tokens.shape[1]
    return tokens.view(L, M, N, T, -1), mask.view(L, M, N, T), lengths


def level_summaries(
    levels: Sequence[IntraCED],
    tokens: Tensor,
    mask: Tensor,
    lengths: Sequence[Sequence[int]],
    modalities: Sequence[str],
    available: Tensor,
    reference: bool = False,
) -> Tuple[Dict[str, Tensor], Tensor]:
    """Every level's IntraCED (:func:`co_exchange`) and the per-level token
    means of its streams.

    Args:
        levels: the ``L`` levels' :class:`IntraCED`.
        tokens, mask, lengths: the levels stacked by :func:`stack_levels`.
        modalities: the ``M`` names given, the order of the outputs.
        available: (N, M) bool; False masks every token of that modality for
            that sample.
        reference: see :func:`co_exchange`.

    Returns:
        ``{'shared', 'shared_before': (N, M, L, d_sh), 'private': (N, M, L,
        d_pr)}`` masked token means (zero where no token is valid), and the
        realised participation rate (L,): gate sum over valid tokens.
    """
    L, M, N = tokens.shape[:3]
    mask = mask & available.T[None, :, :, None]
    out = co_exchange(levels, tokens, mask, lengths, modalities, reference)
    flat_mask = mask.flatten(0, 2)  # (L * M * N, T)

    def per_sample(x: Tensor) -> Tensor:  # (L * M * N, D) -> (N, M, L, D)
        return x.view(L, M, N, -1).permute(2, 1, 0, 3)

    def means(x: Tensor) -> Tensor:  # (L, M, N, T, D) -> (N, M, L, D)
        return per_sample(masked_token_mean(x.flatten(0, 2), flat_mask))

    rates = out.gates.sum((1, 2, 3)) / mask.sum(
        (1, 2, 3)).to(out.gates.dtype).clamp_min(1.0)
    # the exchange's messages enter the means as a gate-weighted sum: the
    # gated (L, M, N, T, d_sh) messages and shared tokens after the exchange
    # are never built
    counts = flat_mask.sum(-1, keepdim=True).clamp_min(1)  # (L * M * N, 1)
    shared_before = means(out.shared_before)
    return dict(
        shared=shared_before +
        per_sample(out.messages.token_sum().flatten(0, 2) / counts),
        shared_before=shared_before,
        private=means(out.private)), rates
