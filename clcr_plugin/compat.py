"""Every workaround for the pinned stack, in one place.

Applied by :func:`apply_all` when ``clcr_plugin`` is imported (so an mmaction2
config's ``custom_imports=dict(imports=['clcr_plugin'])`` is enough). Each
patch is idempotent, checks that the problem is present before acting, and
records in :data:`APPLIED` whether it changed anything. Pins that need no
code (setuptools < 81 for ``pkg_resources``, ``importlib-metadata`` for
mmaction2, numpy < 2 for ``np.Inf``/``np.trapz``/``np.in1d``) are explained in
``requirements/runtime.txt`` and pinned by tests in ``tests/test_compat.py``.
"""
import importlib.metadata
import importlib.util
import os
import sys
import types
from typing import Dict, Optional

APPLIED: Dict[str, bool] = {}


def _version_tuple(version: str) -> tuple:
    """``'2.13.0+cpu'`` -> ``(2, 13, 0)`` (numeric leading parts only)."""
    parts = []
    for piece in version.split('+')[0].split('.'):
        digits = ''.join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _installed_version(dist: str) -> Optional[str]:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def patch_missing_drn() -> bool:
    """mmaction2 1.2.0's PyPI wheel lacks ``mmaction/models/localizers/drn/``.

    ``mmaction/models/localizers/__init__.py`` still runs
    ``from .drn.drn import DRN``, so ``import mmaction.models`` raises
    ModuleNotFoundError. Where the folder is absent we insert stub modules
    whose ``DRN`` raises a clear error when built. Must run before anything
    imports ``mmaction.models``.
    """
    spec = importlib.util.find_spec('mmaction')
    if spec is None or 'mmaction.models.localizers.drn' in sys.modules:
        return False
    root = list(spec.submodule_search_locations)[0]
    if os.path.isdir(os.path.join(root, 'models', 'localizers', 'drn')):
        return False

    class DRN:
        """Placeholder for the DRN localizer missing from the mmaction2 1.2.0 wheel."""

        def __init__(self, *args, **kwargs) -> None:
            raise ImportError('DRN is missing from the mmaction2 1.2.0 wheel on PyPI (mmaction/models/localizers/'
                              'drn/ was not packaged); install mmaction2 from source to use it')

    package = types.ModuleType('mmaction.models.localizers.drn')
    package.__path__ = []  # a package, so `.drn.drn` resolves
    module = types.ModuleType('mmaction.models.localizers.drn.drn')
    module.DRN = DRN
    package.drn = module
    sys.modules[package.__name__] = package
    sys.modules[module.__name__] = module
    return True


def patch_multimodal_with_new_transformers() -> bool:
    """mmaction2 1.2.0's VindLU code breaks on transformers >= 5.

    ``mmaction/models/multimodal/__init__.py`` imports VindLU when
    ``WITH_MULTIMODAL`` (transformers >= 4.28 installed), and VindLU imports
    helpers (``apply_chunking_to_forward`` ...) that transformers 5 removed, so
    ``import mmaction.models`` fails. With transformers >= 5 we set
    ``WITH_MULTIMODAL = False`` first: VindLU models become mmaction2's own
    'install the extras' placeholders; nothing else changes.
    """
    version = _installed_version('transformers')
    if version is None or _version_tuple(version) < (5, ):
        return False
    if 'mmaction.models' in sys.modules:
        return False  # too late to matter; it imported already
    from mmaction.utils import dependency

    if not dependency.WITH_MULTIMODAL:
        return False
    dependency.WITH_MULTIMODAL = False
    return True


def history_buffer_method(owner: type, name: str):
    """A ``getattr`` that only resolves HistoryBuffer's statistics methods.

    mmengine pickles ``HistoryBuffer._statistics_methods`` (e.g. ``min``) as
    ``getattr(HistoryBuffer, 'min')``. Allow-listing the real ``getattr``
    would let a checkpoint reach any attribute of any allowed object (and from
    there arbitrary code), so the safe loader gets this narrow stand-in.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    if owner is not HistoryBuffer or name not in ('min', 'max', 'mean', 'current'):
        raise pickle_error(f'checkpoint asks for getattr({owner!r}, {name!r}); only HistoryBuffer statistics '
                           'methods are allowed')
    return getattr(HistoryBuffer, name)


def pickle_error(message: str) -> Exception:
    import pickle

    return pickle.UnpicklingError(message)


def checkpoint_safe_globals() -> list:
    """The objects mmengine 0.10.7 pickles into checkpoints (message hub, numpy state)."""
    import codecs

    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer

    dtype_classes = [type(np.dtype(name)) for name in
                     ('float64', 'float32', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool')]
    return [HistoryBuffer, np.core.multiarray._reconstruct, np.core.multiarray.scalar, np.ndarray, np.dtype,
            *dtype_classes, (codecs.encode, '_codecs.encode'), (history_buffer_method, 'builtins.getattr')]


def patch_checkpoint_safe_globals() -> bool:
    """torch >= 2.6 loads with ``weights_only=True`` by default.

    mmengine 0.10.7 calls ``torch.load(filename, map_location=...)`` and its
    checkpoints hold the message hub (``HistoryBuffer`` objects with numpy
    arrays) and numpy scalars, so ``load_checkpoint`` / ``--resume`` fail with
    'Weights only load failed'. We allow-list exactly those globals (and a
    getattr restricted to HistoryBuffer's statistics methods) instead of
    turning the safe loader off.
    """
    import torch

    if _version_tuple(torch.__version__) < (2, 6) or not hasattr(torch.serialization, 'add_safe_globals'):
        return False
    present = {repr(g) for g in torch.serialization.get_safe_globals()}
    missing = [g for g in checkpoint_safe_globals() if repr(g) not in present]
    if missing:
        torch.serialization.add_safe_globals(missing)
    return bool(missing)


def patch_cpu_distributed() -> bool:
    """mmengine 0.10.7's distributed set-up assumes CUDA.

    ``mmengine.dist.utils._init_dist_pytorch`` calls ``torch.cuda.set_device``
    unconditionally, which fails on CPU-only machines (gloo), and the Runner
    builds ``MMDistributedDataParallel(..., device_ids=[LOCAL_RANK])``, which
    torch's DDP rejects for modules on the CPU. Without CUDA we initialise the
    process group without ``set_device``, and DDP drops ``device_ids`` when the
    module's parameters are on the CPU.
    """
    import torch
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import distributed as ddp_module

    changed = False
    if not getattr(dist_utils._init_dist_pytorch, '_clcr_patched', False):
        original_init = dist_utils._init_dist_pytorch

        def _init_dist_pytorch(backend, init_backend='torch', **kwargs) -> None:
            if torch.cuda.is_available() or init_backend != 'torch':
                return original_init(backend, init_backend=init_backend, **kwargs)
            torch.distributed.init_process_group(backend='gloo' if backend == 'nccl' else backend,
                                                 rank=int(os.environ['RANK']),
                                                 world_size=int(os.environ['WORLD_SIZE']), **kwargs)

        _init_dist_pytorch._clcr_patched = True
        dist_utils._init_dist_pytorch = _init_dist_pytorch
        changed = True

    wrapper = ddp_module.MMDistributedDataParallel
    if not getattr(wrapper.__init__, '_clcr_patched', False):
        original_ddp_init = wrapper.__init__

        def __init__(self, module, detect_anomalous_params: bool = False, **kwargs) -> None:
            params = list(module.parameters())
            if params and params[0].device.type == 'cpu':
                kwargs.pop('device_ids', None)
                kwargs.pop('output_device', None)
            original_ddp_init(self, module, detect_anomalous_params=detect_anomalous_params, **kwargs)

        __init__._clcr_patched = True
        wrapper.__init__ = __init__
        changed = True
    return changed


def shutdown_distributed() -> None:
    """Final barrier and ``destroy_process_group`` (no-op without a process group).

    2-process gloo runs were seen to die at exit (SIGABRT on rank 1, about one
    run in 12) while the other rank was still tearing the group down; ending
    every rank at a barrier and destroying the group cleanly removes that race.
    ``tools/train.py`` and ``tools/test.py`` call it last.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


PATCHES = {
    'missing_drn': patch_missing_drn,
    'multimodal_with_new_transformers': patch_multimodal_with_new_transformers,
    'checkpoint_safe_globals': patch_checkpoint_safe_globals,
    'cpu_distributed': patch_cpu_distributed,
}


def apply_all() -> Dict[str, bool]:
    """Apply every patch once; returns (and records in APPLIED) which ones changed something."""
    for name, patch in PATCHES.items():
        APPLIED[name] = patch() or APPLIED.get(name, False)
    return dict(APPLIED)
