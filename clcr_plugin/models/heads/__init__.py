from .segment_head import SegmentClsHead, fold_segments

__all__ = ['SegmentClsHead', 'fold_segments']
