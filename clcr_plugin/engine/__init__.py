"""Training-loop components registered in mmaction2's registries."""
from .hooks import CLCRDiagnosticsHook

__all__ = ['CLCRDiagnosticsHook']
