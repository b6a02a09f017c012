from .metrics import MacroF1Metric, macro_f1

__all__ = ['MacroF1Metric', 'macro_f1']
