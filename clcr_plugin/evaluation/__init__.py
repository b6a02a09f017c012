from .corruption import CorruptedInputsPreprocessor
from .metrics import MacroF1Metric, macro_f1
from .segment_metrics import SegmentAccuracy, segment_accuracy
from .sentiment_metrics import SentimentMetric, sentiment_scores

__all__ = [
    'CorruptedInputsPreprocessor', 'MacroF1Metric', 'SegmentAccuracy',
    'SentimentMetric', 'macro_f1', 'segment_accuracy', 'sentiment_scores'
]
