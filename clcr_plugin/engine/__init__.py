"""Training-loop components registered in mmaction2's registries."""
from .hooks import (BadDataSummaryHook, CLCRDiagnosticsHook,
                    DataModelCheckHook, EpochSeedHook, GradNormHook,
                    MultiModalVisualizationHook, epoch_worker_init_fn)

__all__ = [
    'BadDataSummaryHook', 'CLCRDiagnosticsHook', 'DataModelCheckHook',
    'EpochSeedHook', 'GradNormHook', 'MultiModalVisualizationHook',
    'epoch_worker_init_fn'
]
