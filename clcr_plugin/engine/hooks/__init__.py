from .bad_data_summary_hook import BadDataSummaryHook
from .clcr_diagnostics_hook import CLCRDiagnosticsHook
from .grad_norm_hook import GradNormHook
from .multimodal_visualization_hook import MultiModalVisualizationHook

__all__ = [
    'BadDataSummaryHook', 'CLCRDiagnosticsHook', 'GradNormHook',
    'MultiModalVisualizationHook'
]
