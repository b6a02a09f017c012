"""Sequence encoders in plain PyTorch (no OpenMMLab import); registered as
mmaction2 backbones by :mod:`clcr_plugin.models.backbones`."""
from .bert_levels import BertLevels, import_transformers
from .temporal_conv_net import TemporalBlock, TemporalConvNet

__all__ = [
    'BertLevels', 'TemporalBlock', 'TemporalConvNet', 'import_transformers'
]
