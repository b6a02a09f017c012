from .corruption import CorruptedInputsPreprocessor
from .metrics import MacroF1Metric, macro_f1
from .segment_metrics import SegmentAccuracy, segment_accuracy

__all__ = [
    'CorruptedInputsPreprocessor', 'MacroF1Metric', 'macro_f1',
    'SegmentAccuracy', 'segment_accuracy'
]
