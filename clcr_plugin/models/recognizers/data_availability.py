"""Which modalities each sample of a batch has, from its data sample."""
from typing import Dict, Optional, Sequence

import torch
from torch import Tensor

# the metainfo key PackMultiModalInputs sets: {modality: bool}
AVAILABLE_KEY = 'modality_available'


def data_availability(data_samples: Optional[Sequence], names: Sequence[str],
                      device: torch.device) -> Optional[Dict[str, Tensor]]:
    """``{m: (N,) bool}`` from each data sample's metainfo
    ``modality_available``.

    A sample without the key, or a modality it does not list, counts as
    available. Returns None when there are no data samples or every sample
    has every modality in ``names`` (the necks' fast path).
    """
    if not data_samples:
        return None
    flags = [
        getattr(sample, 'metainfo', {}).get(AVAILABLE_KEY, {})
        for sample in data_samples
    ]
    if all(flag.get(m, True) for flag in flags for m in names):
        return None
    return {
        m:
        torch.tensor([bool(flag.get(m, True)) for flag in flags],
                     dtype=torch.bool,
                     device=device)
        for m in names
    }
