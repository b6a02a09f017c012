"""One modality order for every module: the sorted modality names.

mmengine dumps configs with sorted dict keys, so a module that fused
modalities in the order of a config dict would meet its trained weights in
another order when rebuilt from the dumped config. Every module of the plug-in
(the recognizer's backbones, the necks, CLCR) therefore orders modalities by
:func:`canonical_order`, never by the order of a dict, and the recognizer
records the order in its checkpoints.
"""
from typing import Iterable, Tuple


def canonical_order(names: Iterable[str]) -> Tuple[str, ...]:
    """The modality order every module uses: ``names`` sorted."""
    return tuple(sorted(names))
