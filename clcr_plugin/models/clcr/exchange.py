"""Shared-only cross-modal exchange under token gates."""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def exchange_bias(gates: Tensor,
                  modality_ids: Tensor) -> Tuple[Tensor, Tensor]:
    """Additive attention bias for gated cross-modal attention.

    Keys carry ``log(alpha)`` (``-inf`` for a zero gate, so such tokens drop
    out of keys and values) and a query never attends to its own modality.

    Args:
        gates: (N, S) key gates of all modalities' tokens, concatenated.
        modality_ids: (S,) modality index of each token.

    Returns:
        bias (N, 1, S, S) with no all ``-inf`` row (such rows are zeroed), and
        has_keys (N, S) bool, False where a query has no admissible key.
    """
    other = modality_ids.unsqueeze(1) != modality_ids.unsqueeze(
        0)  # (S_q, S_k)
    open_keys = gates > 0  # (N, S_k)
    admissible = other.unsqueeze(0) & open_keys.unsqueeze(1)  # (N, S_q, S_k)
    log_gates = torch.log(gates.clamp_min(torch.finfo(gates.dtype).tiny))
    bias = torch.where(admissible, log_gates.unsqueeze(1),
                       torch.full_like(log_gates, float('-inf')).unsqueeze(1))
    has_keys = admissible.any(-1)  # (N, S_q)
    bias = torch.where(has_keys.unsqueeze(-1), bias, torch.zeros_like(bias))
    return bias.unsqueeze(1), has_keys


def gated_attention_reference(q: Tensor, k: Tensor, v: Tensor,
                              bias: Tensor) -> Tensor:
    """Explicit ``softmax(q k^T / sqrt(d) + bias) v``; same maths as the fused
    path.

    Shapes: q, k, v (N, heads, S, d_h); bias (N, 1, S, S).
    """
    logits = q @ k.transpose(-2, -1) / q.shape[-1]**0.5 + bias
    return logits.softmax(-1) @ v


# The logit of a closed key (gate 0): far below any open key's (``log`` of the
# smallest float gate is above -104), finite so that a row of closed keys
# stays a number (its message is zeroed by the caller).
_CLOSED_KEY_LOGIT = -1e4


def gated_cross_attention(q: Tensor,
                          k: Tensor,
                          v: Tensor,
                          key_gates: Tensor,
                          dropout_p: float = 0.0) -> Tensor:
    """``softmax(q k^T / sqrt(d_h) + log(alpha_k)) v`` on the fused kernel, no
    mask.

    The per-key bias ``log(alpha_k)`` rides in one extra key column, met by a
    query column of ``sqrt(d_h)``: ``[q, sqrt(d_h)] . [k, log alpha] /
    sqrt(d_h) = q . k / sqrt(d_h) + log alpha``. One call of
    ``scaled_dot_product_attention`` then gives the gated attention (the same
    as weighting the keys' values by ``alpha`` and renormalising), with no
    ``(S_q x S_k)`` bias built or differentiated and no division; the gates'
    gradient flows through the key column. A closed key (``alpha = 0``) gets
    the logit ``-1e4``, which adds exactly nothing, and no gradient.
    Queries, keys and values are zero-padded to one width (the fused kernels
    want equal head widths), on CUDA to a multiple of 8 (their alignment; the
    CPU kernel takes any width); zero columns change no product and the scale
    stays ``1 / sqrt(d_h)``.

    Args:
        q: (B, heads, S_q, d_h) queries.
        k: (B, heads, S_k, d_h) keys.
        v: (B, heads, S_k, d_h) values.
        key_gates: (B, S_k) gates in [0, 1].
        dropout_p: attention dropout on the gated probabilities (as with the
            explicit bias).

    Returns:
        (B, heads, S_q, d_h); for a query whose keys are all closed, the mean
        of their values (not meaningful: the caller zeroes such messages).
    """
    d_h = v.shape[-1]
    pad = -(d_h + 1) % 8 if q.device.type == 'cuda' else 0
    log_gates = torch.where(
        key_gates > 0,
        key_gates.clamp_min(torch.finfo(key_gates.dtype).tiny).log(),
        torch.full_like(key_gates, _CLOSED_KEY_LOGIT)).to(k.dtype)
    q = torch.cat([
        q,
        q.new_full((*q.shape[:-1], 1), d_h**0.5),
        q.new_zeros(*q.shape[:-1], pad)
    ], -1)
    k = torch.cat([
        k, log_gates[:, None, :, None].expand(*k.shape[:-1], 1),
        k.new_zeros(*k.shape[:-1], pad)
    ], -1)
    out = F.scaled_dot_product_attention(
        q, k, F.pad(v, (0, 1 + pad)), dropout_p=dropout_p, scale=d_h**-0.5)
    return out[..., :d_h]


def other_modalities(num_modalities: int, device: torch.device) -> Tensor:
    """(M, M - 1) indices of the other modalities of each modality, built on
    the device (no host-to-device copy)."""
    j = torch.arange(num_modalities - 1, device=device)
    m = torch.arange(num_modalities, device=device)
    return j[None, :] + (j[None, :] >= m[:, None]).long()


def select_open_tokens(x: Tensor, gates: Tensor,
                       keep: int) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
    """The ``keep`` tokens with the largest gates (static count).

    Exact whenever at most ``keep`` gates are non-zero (what
    :class:`TokenBudget` guarantees for ``keep = max_tokens(T)``): every
    dropped token has gate 0 and would get no message and add nothing as a
    key.

    Args:
        x: (..., T, D) tokens.
        gates: (..., T) gates.
        keep: tokens kept, ``<= T``.

    Returns:
        tokens (..., keep, D), their gates (..., keep), and their indices
        (..., keep) into T (None when ``keep >= T``: nothing is gathered).
    """
    if keep >= x.shape[-2]:
        return x, gates, None
    idx = gates.topk(keep, dim=-1, sorted=False).indices  # (..., keep)
    return (x.gather(-2,
                     idx.unsqueeze(-1).expand(*idx.shape, x.shape[-1])),
            gates.gather(-1, idx), idx)


def _stacked_linear(layers: Sequence[nn.Linear], x: Tensor) -> Tensor:
    """``L`` linear layers at once: (L, R, in) -> (L, R, out)."""
    weight = torch.stack([layer.weight for layer in layers])  # (L, out, in)
    bias = torch.stack([layer.bias for layer in layers])  # (L, out)
    return torch.baddbmm(bias.unsqueeze(1), x, weight.mT)


def _attend_other_modalities(exchanges: Sequence['SharedExchange'], x: Tensor,
                             gates: Tensor, dropout_p: float) -> Tensor:
    """Each modality's queries over the other modalities' gated keys, every
    level with its own ``qkv``: (L, M, N, K, D) tokens and (L, M, N, K) gates
    -> (L, M * N * K, D) attended values. Its own function so that the
    ``qkv`` projection and the attention's intermediates are released on
    return, before the output projection (three levels' at once would
    otherwise stay alive together)."""
    L, M, N, K, D = x.shape
    h = exchanges[0].num_heads
    q, k, v = _stacked_linear(
        [e.qkv for e in exchanges],
        x.reshape(L, M * N * K,
                  D)).view(L, M, N, K, 3, h,
                           D // h).permute(4, 0, 1, 2, 5, 3,
                                           6)  # each (L, M, N, h, K, d_h)
    others = other_modalities(M, x.device).flatten()  # (M * (M - 1),)

    def keys_of_others(t: Tensor) -> Tensor:
        # (L, M, N, h, K, e) -> (L * M * N, h, (M - 1) * K, e)
        t = t.index_select(1, others).view(L, M, M - 1, N, h, K, -1)
        return t.permute(0, 1, 3, 4, 2, 5, 6).reshape(L * M * N, h,
                                                      (M - 1) * K, -1)

    key_gates = gates.index_select(1, others).view(L, M, M - 1, N, K).permute(
        0, 1, 3, 2, 4).reshape(L * M * N, (M - 1) * K)
    attended = gated_cross_attention(
        q.reshape(L * M * N, h, K, D // h),
        keys_of_others(k),
        keys_of_others(v),
        key_gates,
        dropout_p=dropout_p)  # (L * M * N, h, K, d_h)
    return attended.view(L, M, N, h, K,
                         D // h).transpose(3, 4).reshape(L, M * N * K, D)


@dataclass
class ExchangeMessages:
    """Messages of the tokens that took part in an exchange, kept apart from
    their gates, so that their sums over tokens never build the gated
    (L, M, N, T, D) tensor.

    values: (L, M, N, K, D) the kept tokens' attended values after the output
    projection, ungated. weights: (L, M, N, K) their gates times [another
    modality of the sample has an open token] (0 for padding). index: (L, M,
    N, K) their positions among the ``T`` tokens, None when ``K = T``.
    """

    values: Tensor
    weights: Tensor
    index: Optional[Tensor]

    def gated(self, length: int) -> Tensor:
        """(L, M, N, length, D) messages ``weights * values`` at their token
        positions, zero for a token that did not take part."""
        messages = self.values * self.weights.unsqueeze(-1)
        if self.index is None:
            return messages
        L, M, N, _, D = messages.shape
        return messages.new_zeros(L, M, N, length, D).scatter(
            3,
            self.index.unsqueeze(-1).expand(-1, -1, -1, -1, D), messages)

    def token_sum(self) -> Tensor:
        """(L, M, N, D) sum of the gated messages over tokens, as one
        weighted matmul."""
        return (self.weights.unsqueeze(-2).to(self.values.dtype)
                @ self.values).squeeze(-2)


def exchange_messages(exchanges: Sequence['SharedExchange'],
                      shared: Tensor,
                      gates: Tensor,
                      keep: Optional[int] = None) -> ExchangeMessages:
    """Messages of ``L`` levels' exchanges in one attention call.

    Only the ``keep`` tokens with the largest gates of each (level, modality,
    sample) take part (:func:`select_open_tokens`); each modality's queries
    attend to the other modalities' keys only (no same-modality block is
    computed), the gates weighting the keys
    (:func:`gated_cross_attention`); each level uses its own projections.

    Args:
        exchanges: the levels' :class:`SharedExchange`, built alike.
        shared: (L, M, N, T, D) shared tokens (zero-padded, gate 0).
        gates: (L, M, N, T) gates in [0, 1].
        keep: static bound on the non-zero gates of a row; None keeps every
            token.

    Returns:
        :class:`ExchangeMessages`; the message of token ``t`` is ``alpha_t *
        Attn(...)``, zero for a token whose sample has no other modality with
        an open token.
    """
    L, M, N, T, D = shared.shape
    if M < 2:  # no other modality to query
        return ExchangeMessages(shared * 0.0, gates * 0.0, None)
    x, g, idx = select_open_tokens(shared, gates, T if keep is None else keep)
    head = exchanges[0]
    attended = _attend_other_modalities(
        exchanges, x, g, dropout_p=head.dropout if head.training else 0.0)
    open_m = (g > 0).any(-1)  # (L, M, N)
    has_keys = (open_m.sum(1, keepdim=True) - open_m.long()) > 0
    return ExchangeMessages(
        _stacked_linear([e.out for e in exchanges], attended).view(*x.shape),
        g * has_keys.unsqueeze(-1).to(g.dtype), idx)


def stack_padded(tokens: Sequence[Tensor], length: int) -> Tensor:
    """Stack (N, T_i, ...) tensors along a new first dim, zero-padded (False
    for bool) to ``length`` tokens -> (B, N, length, ...)."""
    return torch.stack([
        t if t.shape[1] == length else torch.cat(
            [t, t.new_zeros(t.shape[0], length - t.shape[1], *t.shape[2:])], 1)
        for t in tokens
    ])


class SharedExchange(nn.Module):
    """Each modality queries the *other* modalities' gated shared tokens.

    The message of token ``t`` is ``alpha_t * Attn(...)``: its query attends
    to the keys of every other modality with the additive bias ``log(alpha)``
    (a closed key drops out; a query never attends to its own modality).

    :meth:`forward` is the fast path (:func:`exchange_messages`): only the
    ``keep`` tokens with the largest gates of each modality take part (tokens
    beyond the budget's static bound have gate 0 and cost nothing), the
    modalities are batched in one attention call whose keys are the other
    modalities' tokens (no same-modality blocks are computed), and the gates
    enter as weights of the values (:func:`gated_cross_attention`), so no
    ``(S x S)`` mask is built.
    :meth:`forward_reference` is the straightforward form: all tokens of all
    modalities in one attention call with a block-and-gate bias
    (:func:`exchange_bias`); the tests check that both agree.

    Args:
        shared_dim: width ``d_sh`` of the shared subspace.
        num_heads: attention heads; must divide ``shared_dim``.
        dropout: attention dropout (training only).
    """

    def __init__(self,
                 shared_dim: int,
                 num_heads: int = 4,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if shared_dim % num_heads:
            raise ValueError(f'shared_dim={shared_dim} must be divisible by '
                             f'num_heads={num_heads}')
        self.num_heads = num_heads
        self.dropout = dropout
        self.qkv = nn.Linear(shared_dim, 3 * shared_dim)
        self.out = nn.Linear(shared_dim, shared_dim)

    def forward(self,
                shared: List[Tensor],
                gates: List[Tensor],
                keep: Optional[Sequence[int]] = None) -> List[Tensor]:
        """Messages for every modality (:func:`exchange_messages` of this
        level).

        Args:
            shared: per modality (N, T_m, d_sh).
            gates: per modality (N, T_m) gates in [0, 1].
            keep: per modality the number of tokens that may have a non-zero
                gate (static); None keeps every token.

        Returns:
            per modality (N, T_m, d_sh) gated messages (zero without admissible
            keys).
        """
        lengths = [x.shape[1] for x in shared]
        T = max(lengths)
        messages = exchange_messages(
            [self],
            stack_padded(shared, T)[None],
            stack_padded(gates, T)[None],
            None if keep is None else max(keep)).gated(T)[0]
        return [msg[:, :t] for msg, t in zip(messages, lengths)]

    def forward_reference(self,
                          shared: List[Tensor],
                          gates: List[Tensor],
                          keep: Optional[Sequence[int]] = None
                          ) -> List[Tensor]:
        """:meth:`forward` written out: every token of every modality in one
        attention call with the explicit block-and-gate bias ``(N, 1, S, S)``
        (``keep`` is accepted for the same signature; closed tokens are
        masked, not skipped)."""
        lengths = [x.shape[1] for x in shared]
        x = torch.cat(shared, dim=1)  # (N, S, d_sh)
        g = torch.cat(gates, dim=1)  # (N, S)
        N, S, D = x.shape
        ids = torch.cat([
            torch.full((n, ), i, device=x.device)
            for i, n in enumerate(lengths)
        ])  # (S,)
        bias, has_keys = exchange_bias(g, ids)
        q, k, v = self.qkv(x).reshape(N, S, 3, self.num_heads, D //
                                      self.num_heads).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=bias.to(q.dtype),
            dropout_p=self.dropout if self.training else 0.0)
        attended = self.out(attended.transpose(1, 2).reshape(N, S, D))
        messages = attended * (g * has_keys.to(g.dtype)).unsqueeze(-1)
        return list(messages.split(lengths, dim=1))
