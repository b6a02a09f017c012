"""Training-loop components registered in mmaction2's registries."""
from .hooks import (CLCRDiagnosticsHook, GradNormHook,
                    MultiModalVisualizationHook)

__all__ = [
    'CLCRDiagnosticsHook', 'GradNormHook', 'MultiModalVisualizationHook'
]
