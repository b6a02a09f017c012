"""A memory of recent batches' summaries for the correlation regularisers."""
from typing import Dict, Sequence

import torch
from torch import Tensor, nn


class SummaryMemory(nn.Module):
    """Ring buffer of detached per-sample summaries (and their availability).

    Correlations estimated on one batch of N samples are mostly sampling noise
    for N ~ 16 and D ~ 64; adding the last ``capacity`` samples (detached)
    gives the regularisers a batch-size independent estimate, while gradients
    still flow through the current batch only. The rows are kept in buffers
    (saved in checkpoints), so a resumed run continues with the same
    statistics as an uninterrupted one. Rows hold every configured modality
    slot; a modality a sample did not have is marked unavailable there.

    Args:
        capacity: samples kept; 0 disables the memory.
        shapes: ``{name: per-sample shape}`` of the streams kept, e.g.
            ``{'private': (M, L, d_pr), 'available': (M,)}``; the stream
            ``'available'`` (bool) is required when ``capacity > 0``.
    """

    def __init__(self, capacity: int, shapes: Dict[str,
                                                   Sequence[int]]) -> None:
        super().__init__()
        if capacity < 0:
            raise ValueError(
                f'reg_memory must be >= 0 samples, got {capacity}')
        if capacity and 'available' not in shapes:
            raise KeyError(
                "SummaryMemory needs an 'available' stream to mark the rows "
                f'not filled yet; got streams {sorted(shapes)}')
        self.capacity = capacity
        self.names = tuple(shapes)
        for name, shape in shapes.items():
            dtype = torch.bool if name == 'available' else torch.float32
            self.register_buffer(f'rows_{name}',
                                 torch.zeros(capacity, *shape, dtype=dtype))
        self.register_buffer('next_row', torch.zeros((), dtype=torch.long))
        self.register_buffer('filled', torch.zeros((), dtype=torch.long))

    def extend_batch(self, streams: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Return ``streams`` with the remembered rows appended along dim 0,
        then remember the current ones (training only).

        Args:
            streams: ``{name: (N, *shape)}`` for every configured name.

        Returns:
            ``{name: (N + capacity, *shape)}``; remembered rows carry no
            gradient, rows not filled yet are marked unavailable.
        """
        if self.capacity == 0 or not self.training:
            return streams
        # Every row is appended, filled or not (a static shape and no host
        # sync): a row not yet filled is marked unavailable, and the
        # regularisers weight samples by availability, so it adds nothing.
        unfilled = torch.arange(
            self.capacity, device=self.filled.device) >= self.filled
        out = {}
        for name in self.names:
            rows = getattr(self, f'rows_{name}')
            if name == 'available':
                rows = rows & ~unfilled.view(-1, *[1] * (rows.dim() - 1))
            out[name] = torch.cat(
                [streams[name], rows.to(streams[name].dtype)], 0)
        N = next(iter(streams.values())).shape[0]
        kept = min(N, self.capacity)
        idx = (self.next_row +
               torch.arange(kept, device=self.next_row.device)) % self.capacity
        for name in self.names:
            rows = getattr(self, f'rows_{name}')
            rows[idx] = streams[name][-kept:].detach().to(rows.dtype)
        self.next_row.copy_((self.next_row + kept) % self.capacity)
        self.filled.copy_((self.filled + kept).clamp(max=self.capacity))
        return out
