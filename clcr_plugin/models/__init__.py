"""Models: the plain-PyTorch method (``clcr``) and its mmaction2 registry wrappers."""
from .necks import CLCRFusion, ConcatFusion, DenseCrossAttnFusion, UnimodalFusion
from .recognizers import MultiModalRecognizer

__all__ = ['CLCRFusion', 'ConcatFusion', 'DenseCrossAttnFusion', 'MultiModalRecognizer', 'UnimodalFusion']
