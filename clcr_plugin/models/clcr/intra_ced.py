"""IntraCED: the intra-level co-exchange domain of one semantic level."""
from dataclasses import dataclass
from typing import Dict, Mapping, Sequence

import torch
from torch import Tensor, nn

from .budget import TokenBudget
from .exchange import SharedExchange
from .subspaces import SharedPrivateBases


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

    def _gates(self, shared: Dict[str, Tensor],
               masks: Mapping[str, Tensor]) -> Dict[str, Tensor]:
        """Budget gates per modality (N, T_m); one projection over all
        modalities when they have the same number of tokens (each row keeps
        its own budget, so the gates are those of separate calls)."""
        names = list(shared)
        if len({shared[m].shape[1] for m in names}) > 1:
            return {m: self.budget(shared[m], masks[m]) for m in names}
        stacked = self.budget(
            torch.cat([shared[m] for m in names]),
            torch.cat([masks[m] for m in names]))  # (M * N, T)
        return dict(zip(names, stacked.chunk(len(names))))

    def forward(self, tokens: Mapping[str, Tensor],
                masks: Mapping[str, Tensor]) -> IntraCEDOutput:
        """Args: tokens ``{m: (N, T_m, d)}``, masks ``{m: (N, T_m)}`` bool."""
        names = list(tokens)
        if self.split:
            shared, private = self.bases(dict(tokens))
            gates = self._gates(shared, masks)
            # static bound on each modality's non-zero gates
            keep = [self.budget.max_tokens(shared[m].shape[1]) for m in names]
        else:
            shared, private = dict(tokens), {
                m: tokens[m][..., :0]
                for m in names
            }
            gates = {m: masks[m].to(tokens[m].dtype) for m in names}
            keep = None
        messages = self.exchange([shared[m] for m in names],
                                 [gates[m] for m in names], keep)
        exchanged = {m: shared[m] + msg for m, msg in zip(names, messages)}
        return IntraCEDOutput(
            shared=exchanged,
            shared_before=shared,
            private=private,
            gates=gates)
