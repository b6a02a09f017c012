"""The modality order as a state-dict entry (a checkpoint records it)."""
from typing import Sequence, Tuple

import torch
from torch import Tensor


def encode_order(names: Sequence[str]) -> Tensor:
    """Modality names as a (n_bytes,) uint8 tensor of ``'audio,rgb'``: a
    tensor, so mmengine's checkpoint code (``weights_to_cpu``) takes it."""
    return torch.tensor(
        list(','.join(names).encode('utf-8')), dtype=torch.uint8)


def decode_order(encoded: Tensor) -> Tuple[str, ...]:
    """Inverse of :func:`encode_order`."""
    text = bytes(encoded.to(torch.uint8).tolist()).decode('utf-8')
    return tuple(text.split(',')) if text else ()
