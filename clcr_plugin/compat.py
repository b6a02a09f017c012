"""Workarounds for the pinned stack (drn shim first; the rest is being written)."""
import importlib.util
import os
import sys
import types


def patch_missing_drn() -> bool:
    """Stub ``mmaction.models.localizers.drn``, absent from mmaction2 1.2.0's PyPI wheel."""
    spec = importlib.util.find_spec('mmaction')
    if spec is None or 'mmaction.models.localizers.drn' in sys.modules:
        return False
    root = list(spec.submodule_search_locations)[0]
    if os.path.isdir(os.path.join(root, 'models', 'localizers', 'drn')):
        return False

    class DRN:
        def __init__(self, *args, **kwargs) -> None:
            raise ImportError('DRN is missing from the mmaction2 1.2.0 wheel on PyPI '
                              '(mmaction/models/localizers/drn/ was not packaged); install mmaction2 from source to use it')

    package = types.ModuleType('mmaction.models.localizers.drn')
    package.__path__ = []
    module = types.ModuleType('mmaction.models.localizers.drn.drn')
    module.DRN = DRN
    package.drn = module
    sys.modules[package.__name__] = package
    sys.modules[module.__name__] = module
    return True


def apply_all() -> None:
    patch_missing_drn()
