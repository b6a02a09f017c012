"""Train-time modality dropout through the necks' per-sample availability
mask."""
from typing import Dict, Optional, Sequence

import torch
from torch import Tensor


def modality_dropout_mask(names: Sequence[str],
                          batch_size: int,
                          p: float,
                          device: torch.device,
                          available: Optional[Dict[str, Tensor]] = None
                          ) -> Dict[str, Tensor]:
    """Drop each modality of each sample with probability ``p``, never all of
    them.

    Args:
        names: modalities given in the batch.
        batch_size: N.
        p: drop probability in [0, 1).
        device: where the masks live.
        available: optional existing ``{m: (N,) bool}`` to combine with.

    Returns:
        ``{m: (N,) bool}``; every sample keeps at least one available modality
        (when one was available before): if all were dropped, a random
        available one is restored.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f'modality dropout p must be in [0, 1), got {p}')
    before = torch.stack([(available or {}).get(
        m, torch.ones(batch_size, dtype=torch.bool, device=device)).to(
            device, torch.bool) for m in names],
                         dim=1)  # (N, M)
    keep = before & (torch.rand(before.shape, device=device) >= p)
    # restore one random previously-available modality where everything was
    # dropped
    score = torch.rand(before.shape, device=device).masked_fill(~before, -1.0)
    rescue = torch.zeros_like(keep).scatter_(1, score.argmax(1, keepdim=True),
                                             True) & before
    keep = torch.where(keep.any(1, keepdim=True), keep, rescue)
    return {m: keep[:, i] for i, m in enumerate(names)}
