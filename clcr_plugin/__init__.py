"""CLCR (Cross-Level Co-Representation) as an mmaction2 plug-in.

Where OpenMMLab (``mmengine``, ``mmcv`` and ``mmaction``) is installed,
importing this package first applies the workarounds in
:mod:`clcr_plugin.compat` (so ``custom_imports=dict(imports=['clcr_plugin'])``
is enough), then registers the plug-in's components in mmaction2's
registries; errors raised while doing so propagate. Without OpenMMLab it does
neither, and the plain parts still work: the method
(``clcr_plugin.models.clcr``) and the audio features
(``clcr_plugin.datasets.audio``). :data:`OPENMMLAB_AVAILABLE` says which case
holds.
"""
import importlib.util
import warnings

OPENMMLAB_PACKAGES = ('mmengine', 'mmcv', 'mmaction')


def _installed(name: str) -> bool:
    """Whether top-level package ``name`` can be found (not imported)."""
    try:
        return importlib.util.find_spec(name) is not None
    # a meta-path finder that refuses the name (e.g. a test's import blocker)
    except ImportError:
        return False


_found = [name for name in OPENMMLAB_PACKAGES if _installed(name)]
OPENMMLAB_AVAILABLE: bool = len(_found) == len(OPENMMLAB_PACKAGES)
if _found and not OPENMMLAB_AVAILABLE:
    warnings.warn(
        f'clcr_plugin: {", ".join(_found)} installed but not '
        f'{", ".join(n for n in OPENMMLAB_PACKAGES if n not in _found)}; the '
        'plug-in registers nothing '
        '(only clcr_plugin.models.clcr and clcr_plugin.datasets.audio work)')

if OPENMMLAB_AVAILABLE:
    from . import compat

    compat.apply_all()

    # Imported for their side effect: they register the components.
    from . import datasets, engine, evaluation, models  # noqa: F401

__version__ = '0.1.0'
