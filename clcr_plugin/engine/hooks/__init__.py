from .clcr_diagnostics_hook import CLCRDiagnosticsHook
from .grad_norm_hook import GradNormHook

__all__ = ['CLCRDiagnosticsHook', 'GradNormHook']
