from .regression_head import RegressionHead
from .segment_head import SegmentClsHead, fold_segments

__all__ = ['RegressionHead', 'SegmentClsHead', 'fold_segments']
