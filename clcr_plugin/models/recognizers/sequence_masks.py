"""Padding masks of sequence modalities, from the lengths in the data
samples' metainfo (``seq_lengths={modality: int}``, as
``PackSentimentInputs`` packs them).

The masks assume the time axis of every level feature is the input's, step
for step (stride 1), as :class:`TemporalConvNet` and :class:`BertLevels`
keep it.
"""
import inspect
from typing import Dict, List, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn


def sample_lengths(data_samples: Optional[Sequence], modality: str,
                   device: torch.device) -> Optional[Tensor]:
    """``(N,)`` lengths of ``modality`` from ``seq_lengths``, or None when no
    sample gives them.

    Raises:
        KeyError: some samples give lengths for ``modality`` and others not.
    """
    if not data_samples:
        return None
    lengths = [
        s.metainfo.get('seq_lengths', {}).get(modality) for s in data_samples
    ]
    given = [v is not None for v in lengths]
    if not any(given):
        return None
    if not all(given):
        raise KeyError(f'seq_lengths[{modality!r}] is missing in data samples '
                       f'{[i for i, g in enumerate(given) if not g]} but '
                       'given in others')
    return torch.as_tensor(lengths, dtype=torch.long, device=device)


def length_mask(lengths: Tensor, num_steps: int) -> Tensor:
    """``(N,)`` lengths -> ``(N, num_steps)`` bool, True for the first
    ``lengths[n]`` steps."""
    return torch.arange(num_steps, device=lengths.device) < lengths[:, None]


def accepts(module: nn.Module, argument: str) -> bool:
    """Whether ``module.forward`` takes a parameter called ``argument``."""
    return argument in inspect.signature(module.forward).parameters


def level_masks(feats: Mapping[str, Sequence[Tensor]],
                data_samples: Optional[Sequence]
                ) -> Dict[str, List[Optional[Tensor]]]:
    """``{m: [(N, T_l) mask or None per level]}`` for every modality whose
    samples give lengths; sequence levels ``(N, T_l, C)`` get a mask, others
    None."""
    masks = {}
    for m, level_feats in feats.items():
        lengths = sample_lengths(data_samples, m, level_feats[0].device)
        if lengths is not None:
            masks[m] = [
                length_mask(lengths, f.shape[1]) if f.dim() == 3 else None
                for f in level_feats
            ]
    return masks
