from .clcr_fusion import CLCRFusion
from .concat_fusion import ConcatFusion
from .dense_cross_attn_fusion import DenseCrossAttnFusion
from .unimodal_fusion import UnimodalFusion

__all__ = [
    'CLCRFusion', 'ConcatFusion', 'DenseCrossAttnFusion', 'UnimodalFusion'
]
