from .corruption import CorruptedInputsPreprocessor
from .metrics import MacroF1Metric, macro_f1
from .sentiment_metrics import SentimentMetric, sentiment_scores

__all__ = [
    'CorruptedInputsPreprocessor', 'MacroF1Metric', 'SentimentMetric',
    'macro_f1', 'sentiment_scores'
]
