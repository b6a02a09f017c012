from .baseline_fusions import ConcatFusion, DenseCrossAttnFusion, UnimodalFusion
from .clcr_fusion import CLCRFusion

__all__ = ['CLCRFusion', 'ConcatFusion', 'DenseCrossAttnFusion', 'UnimodalFusion']
