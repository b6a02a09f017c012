from .clcr_diagnostics_hook import CLCRDiagnosticsHook

__all__ = ['CLCRDiagnosticsHook']
