from .bad_data_summary_hook import BadDataSummaryHook
from .clcr_diagnostics_hook import CLCRDiagnosticsHook
from .data_model_check_hook import DataModelCheckHook
from .epoch_seed_hook import EpochSeedHook, epoch_worker_init_fn
from .grad_norm_hook import GradNormHook
from .multimodal_visualization_hook import MultiModalVisualizationHook

__all__ = [
    'BadDataSummaryHook', 'CLCRDiagnosticsHook', 'DataModelCheckHook',
    'EpochSeedHook', 'GradNormHook', 'MultiModalVisualizationHook',
    'epoch_worker_init_fn'
]
