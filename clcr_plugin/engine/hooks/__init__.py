from .clcr_diagnostics_hook import CLCRDiagnosticsHook
from .grad_norm_hook import GradNormHook
from .multimodal_visualization_hook import MultiModalVisualizationHook

__all__ = [
    'CLCRDiagnosticsHook', 'GradNormHook', 'MultiModalVisualizationHook'
]
