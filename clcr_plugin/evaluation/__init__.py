from .corruption import CorruptedInputsPreprocessor
from .metrics import MacroF1Metric, macro_f1

__all__ = ['CorruptedInputsPreprocessor', 'MacroF1Metric', 'macro_f1']
