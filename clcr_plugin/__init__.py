"""CLCR (Cross-Level Co-Representation) as an mmaction2 plug-in.

Importing this package first applies the workarounds in :mod:`clcr_plugin.compat`
(so ``custom_imports=dict(imports=['clcr_plugin'])`` is enough), then registers
the plug-in's components in mmaction2's registries.
"""
from . import compat

compat.apply_all()

from . import datasets, engine, evaluation, models  # noqa: E402,F401  (registers components)

__version__ = '0.1.0'
