"""Models: the plain-PyTorch method (``clcr``) and its mmaction2 registry
wrappers.

The wrappers are imported (and registered) only where OpenMMLab is installed,
so ``clcr_plugin.models.clcr`` also works without it.
"""
from .. import OPENMMLAB_AVAILABLE

if OPENMMLAB_AVAILABLE:
    from .backbones import BertLevels, TemporalConvNet
    from .heads import RegressionHead, SegmentClsHead
    from .necks import (CLCRFusion, ConcatFusion, DenseCrossAttnFusion,
                        UnimodalFusion)
    from .recognizers import MultiModalRecognizer

    __all__ = [
        'BertLevels', 'CLCRFusion', 'ConcatFusion', 'DenseCrossAttnFusion',
        'MultiModalRecognizer', 'RegressionHead', 'SegmentClsHead',
        'TemporalConvNet', 'UnimodalFusion'
    ]
