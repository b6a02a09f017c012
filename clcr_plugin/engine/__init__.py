"""Training-loop components registered in mmaction2's registries."""
from .hooks import (BadDataSummaryHook, CLCRDiagnosticsHook, GradNormHook,
                    MultiModalVisualizationHook)

__all__ = [
    'BadDataSummaryHook', 'CLCRDiagnosticsHook', 'GradNormHook',
    'MultiModalVisualizationHook'
]
