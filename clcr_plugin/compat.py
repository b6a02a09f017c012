"""Every workaround for the pinned stack, in one place.

Applied by :func:`apply_all` when ``clcr_plugin`` is imported (so an mmaction2
config's ``custom_imports=dict(imports=['clcr_plugin'])`` is enough). Each
patch checks that its problem is present before acting, is idempotent, and
returns whether it is in effect; :data:`APPLIED` records that per patch. Pins
that need no code (setuptools < 81 for ``pkg_resources``,
``importlib-metadata``
for mmaction2, numpy < 2 for ``np.Inf``/``np.trapz``/``np.in1d``) are explained
in ``requirements/runtime.txt`` and pinned by tests in
``tests/test_compat.py``.
"""
import functools
import importlib.metadata
import importlib.util
import os
import pickle
import sys
import types
import warnings
from typing import Any, Callable, Optional

APPLIED: dict[str, bool] = {}

_DRN_PACKAGE = 'mmaction.models.localizers.drn'


def _version_tuple(version: str) -> tuple[int, ...]:
    """``'2.13.0+cpu'`` -> ``(2, 13, 0)`` (numeric leading parts only)."""
    parts = []
    for piece in version.split('+')[0].split('.'):
        digits = ''
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _installed_version(dist: str) -> Optional[tuple[int, ...]]:
    """The installed version of distribution ``dist``, read without importing
    it."""
    try:
        return _version_tuple(importlib.metadata.version(dist))
    except importlib.metadata.PackageNotFoundError:
        return None


def no_accelerator() -> bool:
    """True when neither CUDA nor mmengine's other device backends (MLU, NPU,
    MUSA) are usable."""
    import torch
    from mmengine.device import (is_mlu_available, is_musa_available,
                                 is_npu_available)

    return not (torch.cuda.is_available() or is_mlu_available()
                or is_npu_available() or is_musa_available())


class _MissingDRN:
    """Stands in for mmaction2's DRN localizer, which the 1.2.0 wheel lacks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ImportError(
            'DRN is missing from the mmaction2 1.2.0 wheel on PyPI '
            '(mmaction/models/localizers/drn/ '
            'was not packaged); install mmaction2 from source to use it')


def patch_missing_drn() -> bool:
    """mmaction2 1.2.0's PyPI wheel lacks ``mmaction/models/localizers/drn/``.

    ``mmaction/models/localizers/__init__.py`` still runs
    ``from .drn.drn import DRN``, so ``import mmaction.models`` raises
    ModuleNotFoundError. Where the folder is absent (checked on disk, without
    importing ``mmaction.models``) we insert stub modules whose ``DRN`` raises
    a clear error when built; the stub is registered in no registry. Must run
    before anything imports ``mmaction.models``.
    """
    stub = sys.modules.get(_DRN_PACKAGE)
    if stub is not None:
        return getattr(stub, '__clcr_stub__', False)
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        return False
    roots = list(spec.submodule_search_locations)
    if any(
            os.path.isdir(os.path.join(root, 'models', 'localizers', 'drn'))
            for root in roots):
        return False

    package = types.ModuleType(
        _DRN_PACKAGE,
        'Stub for the DRN localizer missing from the mmaction2 1.2.0 wheel.')
    package.__path__ = []  # a package, so `.drn.drn` resolves
    package.__clcr_stub__ = True
    module = types.ModuleType(f'{_DRN_PACKAGE}.drn', package.__doc__)
    module.DRN = _MissingDRN
    package.drn = module
    sys.modules[package.__name__] = package
    sys.modules[module.__name__] = module
    return True


def patch_multimodal_with_new_transformers() -> bool:
    """mmaction2 1.2.0's VindLU code breaks on transformers >= 5.

    ``mmaction/models/multimodal/__init__.py`` imports VindLU when
    ``WITH_MULTIMODAL`` (transformers >= 4.28 installed), and VindLU imports
    helpers (``apply_chunking_to_forward`` ...) that transformers 5 removed, so
    ``import mmaction.models`` fails. With transformers >= 5 (version read from
    its metadata, not by importing it) we set ``WITH_MULTIMODAL = False``
    before
    ``mmaction.models`` is imported: the VindLU models become mmaction2's own
    'install the extras' placeholders and nothing else changes.
    """
    version = _installed_version('transformers')
    if version is None or version < (5, ):
        return False
    from mmaction.utils import dependency

    # once imported, the flag no longer matters
    if 'mmaction.models' not in sys.modules:
        dependency.WITH_MULTIMODAL = False
    return not dependency.WITH_MULTIMODAL


def _history_buffer_getattr(owner: type, name: str) -> Callable:
    """A ``getattr`` that only resolves HistoryBuffer's statistics methods.

    ``HistoryBuffer.__getstate__`` pickles ``_statistics_methods``, and pickle
    protocol 2 writes each method as ``getattr(HistoryBuffer, 'min')``.
    Allow-listing the real ``getattr`` would let a checkpoint reach any
    attribute of any allowed object (and from there run code), so the safe
    loader gets this narrow stand-in under the name ``builtins.getattr``.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    if owner is not HistoryBuffer or name not in ('min', 'max', 'mean',
                                                  'current'):
        raise pickle.UnpicklingError(
            f'checkpoint asks for getattr({owner!r}, {name!r}); only '
            'HistoryBuffer '
            'statistics methods are allowed')
    return getattr(HistoryBuffer, name)


def checkpoint_safe_globals() -> list:
    """The globals an mmengine 0.10.7 checkpoint holds beyond what torch allows
    by default.

    Found by saving checkpoints from a Runner (train, val with numpy-valued
    metrics, ``save_best``, a param scheduler) and dropping each entry in turn:
    every one is needed. The message hub keeps ``HistoryBuffer`` objects whose
    logs are float64/int64 arrays, and numpy float64 scalars (e.g. the best
    score); bytes use ``_codecs.encode``, which torch already allows.
    """
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer

    return [
        HistoryBuffer,
        np.core.multiarray._reconstruct,  # ndarray
        np.ndarray,
        np.core.multiarray.scalar,  # numpy scalars
        np.dtype,
        type(np.dtype(
            'float64')),  # dtype instances are rebuilt via their class (BUILD)
        type(np.dtype('int64')),
        (_history_buffer_getattr, 'builtins.getattr'),
    ]


def patch_checkpoint_safe_globals() -> bool:
    """torch >= 2.6 loads with ``weights_only=True`` by default.

    mmengine 0.10.7 calls ``torch.load(filename, map_location=...)`` and its
    checkpoints hold the message hub (``HistoryBuffer`` objects with numpy
    arrays) and numpy scalars, so ``load_checkpoint`` / ``--resume`` fail with
    'Weights only load failed'. We allow-list exactly those globals (see
    :func:`checkpoint_safe_globals`) instead of turning the safe loader off.
    """
    version = _installed_version('torch')
    if version is None or version < (2, 6):
        return False
    import torch

    present = torch.serialization.get_safe_globals()
    missing = [g for g in checkpoint_safe_globals() if g not in present]
    if missing:
        torch.serialization.add_safe_globals(missing)
    return True


def patch_cpu_init_dist() -> bool:
    """mmengine 0.10.7's ``init_dist('pytorch')`` assumes CUDA.

    ``mmengine.dist.utils._init_dist_pytorch`` calls
    ``torch.cuda.set_device(LOCAL_RANK)`` unconditionally, which fails on
    machines without an accelerator (gloo on the CPU). There we replace it with
    one that only calls ``init_process_group(backend, rank, world_size)``;
    ``init_dist`` looks ``_init_dist_pytorch`` up in its module's globals, so
    replacing the module attribute is what it uses. The backend is passed
    through unchanged: on such machines
    :func:`clcr_plugin.runner_setup.apply_launch_options` (called by
    ``tools/train.py`` and ``tools/test.py``) sets ``env_cfg.dist_cfg.backend``
    to gloo.
    """
    if not no_accelerator():
        return False
    import torch.distributed as dist
    from mmengine.dist import utils as dist_utils

    original = dist_utils._init_dist_pytorch
    if getattr(original, '__clcr_patch__', False):
        return True

    @functools.wraps(original)
    def _init_dist_pytorch(backend: str,
                           init_backend: str = 'torch',
                           **kwargs: Any) -> None:
        if init_backend != 'torch':  # deepspeed / colossalai need a GPU anyway
            return original(backend, init_backend=init_backend, **kwargs)
        dist.init_process_group(
            backend=backend,
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
            **kwargs)

    _init_dist_pytorch.__clcr_patch__ = True
    dist_utils._init_dist_pytorch = _init_dist_pytorch
    return True


def patch_cpu_ddp() -> bool:
    """mmengine 0.10.7's Runner passes ``device_ids`` to DDP even for CPU
    models.

    The Runner builds ``MMDistributedDataParallel(module,
    device_ids=[LOCAL_RANK])``, which torch's DDP rejects when the module's
    parameters are on the CPU (``device_ids`` is for single-GPU modules only).
    On machines without an accelerator the wrapper drops ``device_ids`` and
    ``output_device`` for CPU modules, which is what DDP expects there.
    """
    if not no_accelerator():
        return False
    from mmengine.model.wrappers.distributed import MMDistributedDataParallel

    original = MMDistributedDataParallel.__init__
    if getattr(original, '__clcr_patch__', False):
        return True

    @functools.wraps(original)
    def __init__(self,
                 module,
                 detect_anomalous_params: bool = False,
                 **kwargs: Any) -> None:
        first = next(module.parameters(), None)
        if first is not None and first.device.type == 'cpu':
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        original(
            self,
            module,
            detect_anomalous_params=detect_anomalous_params,
            **kwargs)

    __init__.__clcr_patch__ = True
    MMDistributedDataParallel.__init__ = __init__
    return True


def _is_local_path(filename: str) -> bool:
    """True for a plain or ``file://`` path (no other URI scheme)."""
    return '://' not in filename or filename.startswith('file://')


def atomic_save_checkpoint(original: Callable) -> Callable:
    """Wrap mmengine's ``save_checkpoint`` so a local file appears whole or
    not at all.

    The checkpoint is written by ``original`` to a temporary file in the same
    folder, flushed to disk, then renamed over ``filename`` with
    ``os.replace`` (atomic on POSIX and Windows within one file system). If
    the process dies or the write fails, ``filename`` keeps its previous
    contents (or stays absent) and the temporary file is removed where
    Python still runs. Remote paths (``s3://``, ``pavi://`` ...) go to
    ``original`` unchanged.
    """
    if getattr(original, '__clcr_patch__', False):
        return original

    @functools.wraps(original)
    def save_checkpoint(checkpoint: dict, filename: str, *args: Any,
                        **kwargs: Any) -> None:
        filename = str(filename)
        if not _is_local_path(filename):
            return original(checkpoint, filename, *args, **kwargs)
        path = filename[len('file://'):] if filename.startswith(
            'file://') else filename
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder,
                           f'.{os.path.basename(path)}.tmp-{os.getpid()}')
        try:
            original(checkpoint, tmp, *args, **kwargs)
            with open(tmp, 'rb') as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    save_checkpoint.__clcr_patch__ = True
    return save_checkpoint


def patch_atomic_checkpoint_save() -> bool:
    """mmengine 0.10.7 writes checkpoints in place.

    ``mmengine.runner.checkpoint.save_checkpoint`` serialises the checkpoint
    and writes it straight to ``epoch_N.pth`` (``LocalBackend.put`` opens the
    final path with ``'wb'``), so a run killed while saving leaves a
    truncated file that ``--resume`` then fails to load. We replace that
    function, in every module that imported it by name (the Runner, the
    FlexibleRunner, ``mmengine.runner`` for ``CheckpointHook``'s published
    models), with :func:`atomic_save_checkpoint`: write to a temporary file,
    then rename.
    """
    import mmengine.runner
    from mmengine.runner import _flexible_runner, checkpoint, runner

    patched = atomic_save_checkpoint(checkpoint.save_checkpoint)
    for module in (checkpoint, runner, _flexible_runner, mmengine.runner):
        if hasattr(module, 'save_checkpoint'):
            module.save_checkpoint = patched
    return True


_COMMUNICATION_THREAD_PREFIXES = ('gloo', 'pt_gloo', 'pt_nccl')


def communication_threads() -> list[str]:
    """Names of this process's running gloo / NCCL threads (``gloo_tcp_loop``,
    ``pt_gloo_runloop``, ...), read from ``/proc/self/task``; empty where
    that does not exist (not Linux)."""
    names = []
    try:
        tasks = os.listdir('/proc/self/task')
    except OSError:
        return names
    for task in tasks:
        try:
            with open(f'/proc/self/task/{task}/comm') as f:
                name = f.read().strip()
        except OSError:  # the thread ended meanwhile
            continue
        if name.startswith(_COMMUNICATION_THREAD_PREFIXES):
            names.append(name)
    return sorted(names)


def shutdown_distributed() -> None:
    """Final barrier, then ``destroy_process_group`` with nothing else holding
    the group (a no-op without a process group).

    ``destroy_process_group`` only drops torch's own references: a DDP
    wrapper still alive keeps the group, and with it gloo's threads, running
    into interpreter exit, where a 2-rank CPU run was seen to die with
    SIGABRT on one rank (``terminate called without an active exception``).
    So callers release their Runner first
    (``tools/train.py``, ``tools/test.py``, ``tools/analysis/compare.py``);
    here a garbage collection frees the Runner's reference cycles, so the
    group's destructor joins its threads now. A warning names the threads if
    any still run afterwards (something still holds the group).
    """
    import gc

    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return
    dist.barrier()
    gc.collect()
    dist.destroy_process_group()
    lingering = communication_threads()
    if lingering:
        warnings.warn(
            f'{len(lingering)} communication threads {lingering} still run '
            'after destroy_process_group: something (a DDP wrapper, a '
            'Runner) still holds the process group, and its threads may '
            'crash this process at exit')


PATCHES: dict[str, Callable[[], bool]] = {
    'missing_drn': patch_missing_drn,
    'multimodal_with_new_transformers': patch_multimodal_with_new_transformers,
    'checkpoint_safe_globals': patch_checkpoint_safe_globals,
    'cpu_init_dist': patch_cpu_init_dist,
    'cpu_ddp': patch_cpu_ddp,
    'atomic_checkpoint_save': patch_atomic_checkpoint_save,
}


def apply_all() -> None:
    """Apply every patch (idempotent); :data:`APPLIED` then says which are in
    effect."""
    for name, patch in PATCHES.items():
        APPLIED[name] = patch()
