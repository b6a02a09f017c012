"""The sequence encoders registered as backbones in mmaction2's ``MODELS``
(``type='TemporalConvNet'``, ``type='BertLevels'``)."""
from mmaction.registry import MODELS

from ..encoders import BertLevels, TemporalConvNet

MODELS.register_module(module=TemporalConvNet)
MODELS.register_module(module=BertLevels)

__all__ = ['BertLevels', 'TemporalConvNet']
