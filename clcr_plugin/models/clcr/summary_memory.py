"""A memory of recent batches' summaries for the correlation regularisers."""
from typing import Dict, Tuple

import torch
from torch import Tensor, nn


class SummaryMemory(nn.Module):
    """Ring buffer of detached per-sample summaries (and their availability).

    Correlations estimated on one batch of N samples are mostly sampling noise
    for N ~ 16 and D ~ 64; adding the last ``capacity`` samples (detached)
    gives the regularisers a batch-size independent estimate, while gradients
    still flow through the current batch only.

    Args:
        capacity: samples kept; 0 disables the memory.
    """

    def __init__(self, capacity: int) -> None:
        super().__init__()
        if capacity < 0:
            raise ValueError(
                f"reg_memory must be >= 0 samples, got {capacity}")
        self.capacity = capacity
        self._store: Dict[str, Tensor] = {}
        self._key: Tuple = ()
        self._next = 0
        self._size = 0

    def extend_batch(self, streams: Dict[str, Tensor],
                     key: Tuple) -> Dict[str, Tensor]:
        """Return ``streams`` with the memory appended along dim 0, then store
        them.

        Args:
            streams: ``{name: (N, ...)}`` tensors of the current batch (one key
                must be ``'available'``); memory rows are detached.
            key: layout identity (e.g. present modality names); a new key
                resets.
        """
        if self.capacity == 0 or not self.training:
            return streams
        if key != self._key or any(
                k not in self._store or self._store[k].shape[1:] != v.shape[1:]
                for k, v in streams.items()):
            self._store = {
                k: v.new_zeros(self.capacity, *v.shape[1:])
                for k, v in streams.items()
            }
            self._key, self._next, self._size = key, 0, 0
        out = {
            k: torch.cat([v, self._store[k][:self._size]], 0)
            for k, v in streams.items()
        }
        N = next(iter(streams.values())).shape[0]
        idx = (self._next +
               torch.arange(min(N, self.capacity))) % self.capacity
        for k, v in streams.items():
            self._store[k][idx.to(v.device)] = v[-len(idx):].detach()
        self._next = int((self._next + len(idx)) % self.capacity)
        self._size = min(self._size + len(idx), self.capacity)
        return out
