"""Timing, peak memory, FLOPs and host-sync checks of training steps.

Timing on CUDA uses events around each step after a synchronisation; on CPU
``time.perf_counter``. Variants are timed interleaved (one step of each per
repetition, the order rotated), so a shared machine's load falls on all of
them alike; :func:`summarise_timings` reports medians and the median of the
per-repetition ratios to a baseline.
"""
import statistics
import time
import weakref
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Mapping

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import FlopCounterMode

Step = Callable[[], None]


class HostSyncError(RuntimeError):
    """A tensor value was read on the host in :func:`forbid_host_sync`."""


# Tensor methods that read a value on the host (a device sync on CUDA), or
# produce a shape that depends on values.
_SYNCING_METHODS = ('item', 'tolist', 'numpy', '__bool__', '__int__',
                    '__float__', '__index__', 'nonzero')

aten = torch.ops.aten
# Operators that wait for the device on CUDA inside ATen: a value read
# (``item``, a comparison returning a bool), an output shape that depends on
# values, an error check of a linear solve, matrix_exp's choice of degree and
# squarings.
_SYNCING_OPS = {
    aten._local_scalar_dense.default, aten.is_nonzero.default,
    aten.equal.default, aten.nonzero.default, aten.argwhere.default,
    aten.masked_select.default, aten.repeat_interleave.Tensor,
    aten._unique2.default, aten.unique_dim.default,
    aten.unique_consecutive.default, aten._linalg_check_errors.default,
    aten.linalg_matrix_exp.default
}
_INDEXING_OPS = {
    aten.index.Tensor, aten.index_put.default, aten.index_put_.default,
    aten._index_put_impl_.default
}


def _syncs_on_cuda(func, args) -> bool:
    """Whether ``func(*args)`` synchronises on CUDA (a listed operator, or
    indexing with a boolean mask)."""
    if func in _SYNCING_OPS:
        return True
    if func in _INDEXING_OPS and len(args) > 1:
        return any(
            isinstance(i, torch.Tensor) and i.dtype in (torch.bool,
                                                        torch.uint8)
            for i in args[1])
    return False


class _RefuseSyncingOps(TorchDispatchMode):
    """Raise :class:`HostSyncError` on an operator that synchronises on
    CUDA, whatever the device (so a CPU run finds them)."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if _syncs_on_cuda(func, args):
            raise HostSyncError(f'{func} synchronises the device with the '
                                'host on CUDA')
        return func(*args, **(kwargs or {}))


@contextmanager
def forbid_host_sync() -> Iterator[None]:
    """Raise :class:`HostSyncError` on any host read of a tensor's value.

    Patches ``Tensor.item``, ``tolist``, ``numpy``, ``__bool__``,
    ``__int__``, ``__float__``, ``__index__`` and ``nonzero``, and refuses
    the ATen operators that synchronise on CUDA (boolean-mask indexing,
    value-dependent shapes, ``torch.linalg.solve``'s error check,
    ``matrix_exp``; forward and, on CPU, backward), so the check runs on
    every device; where CUDA is available it also sets
    ``torch.cuda.set_sync_debug_mode('error')``, which catches blocking
    copies between host and device.
    """
    saved = {name: getattr(torch.Tensor, name) for name in _SYNCING_METHODS}

    def refuse(name: str):

        def method(self, *args, **kwargs):
            raise HostSyncError(
                f'Tensor.{name} reads a value on the host (shape '
                f'{tuple(self.shape)}, device {self.device})')

        return method

    cuda_mode = None
    if torch.cuda.is_available():
        cuda_mode = torch.cuda.get_sync_debug_mode()
        torch.cuda.set_sync_debug_mode('error')
    for name in _SYNCING_METHODS:
        setattr(torch.Tensor, name, refuse(name))
    try:
        with _RefuseSyncingOps():
            yield
    finally:
        for name, method in saved.items():
            setattr(torch.Tensor, name, method)
        if cuda_mode is not None:
            torch.cuda.set_sync_debug_mode(cuda_mode)


def _time_once(step: Step, device: torch.device) -> float:
    """Seconds of one call of ``step`` (CUDA events after a sync on CUDA)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        step()
        end.record()
        torch.cuda.synchronize(device)
        return start.elapsed_time(end) / 1e3
    begin = time.perf_counter()
    step()
    return time.perf_counter() - begin


def interleaved_timings(
    steps: Mapping[str, Step],
    repeats: int,
    warmup: int = 1,
    device: torch.device = torch.device('cpu')
) -> Dict[str, List[float]]:
    """Time every step ``repeats`` times, interleaved.

    Args:
        steps: ``{name: zero-argument callable}``, e.g. one training step.
        repeats: timed calls per step.
        warmup: untimed calls per step first (allocator, caches, kernels).
        device: where the steps run (CUDA events there).

    Returns:
        ``{name: [seconds per repetition]}``; repetition ``r`` of every step
        ran within the same short window.
    """
    if repeats < 1:
        raise ValueError(f'repeats must be >= 1, got {repeats}')
    for _ in range(warmup):
        for step in steps.values():
            step()
    names = list(steps)
    times = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            times[name].append(_time_once(steps[name], device))
    return times


def summarise_timings(times: Mapping[str, List[float]],
                      baseline: str) -> Dict[str, Dict[str, float]]:
    """Median seconds, spread, and the ratio to ``baseline`` per step.

    ``ratio`` is the median over repetitions of ``t / t_baseline`` within the
    same repetition (robust to load that changes between repetitions).

    Returns:
        ``{name: dict(median_s, min_s, max_s, ratio)}``.
    """
    if baseline not in times:
        raise KeyError(f'baseline {baseline!r} is not among the timed steps '
                       f'{sorted(times)}')
    base = times[baseline]
    return {
        name:
        dict(
            median_s=statistics.median(t),
            min_s=min(t),
            max_s=max(t),
            ratio=statistics.median(a / b for a, b in zip(t, base)))
        for name, t in times.items()
    }


class _LiveTensorBytes(TorchDispatchMode):
    """Bytes of tensor storages created under this mode and still alive, and
    their peak (a weakref finaliser per storage subtracts it when freed).

    An output that shares its storage with one of the operator's inputs (a
    view, an in-place result) is not new memory: a view of a tensor made
    before the step (an input, a parameter) is not counted.
    """

    def __init__(self) -> None:
        super().__init__()
        self.live = self.peak = 0
        self._tracked: Dict[int, weakref.finalize] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = {
            id(t.untyped_storage())
            for t in tree_flatten((args, kwargs))[0]
            if isinstance(t, torch.Tensor)
        }
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                storage = t.untyped_storage()
                key = id(storage)
                if key not in self._tracked and key not in inputs:
                    size = storage.nbytes()
                    self.live += size
                    self.peak = max(self.peak, self.live)
                    self._tracked[key] = weakref.finalize(
                        storage, self._release, key, size)
        return out

    def _release(self, key: int, size: int) -> None:
        self.live -= size
        self._tracked.pop(key, None)


def peak_memory(step: Step, device: torch.device) -> Dict[str, object]:
    """Peak memory of one call of ``step`` above what was allocated before.

    CUDA: the caching allocator's ``max_memory_allocated``. CPU: the peak of
    the bytes of tensor storages created during the call and alive at the
    same time, tracked with a ``TorchDispatchMode`` (operators' outputs;
    backward runs in the calling thread on CPU, so gradients count too). It
    counts tensors only, not the allocator's or the process's overhead.

    Returns:
        ``dict(bytes=..., method=...)``.
    """
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        torch.cuda.synchronize(device)
        return dict(
            bytes=int(torch.cuda.max_memory_allocated(device) - before),
            method='torch.cuda.max_memory_allocated')
    tracker = _LiveTensorBytes()
    with tracker:
        step()
    return dict(
        bytes=int(tracker.peak),
        method='live tensor storage bytes (TorchDispatchMode)')


class _CountOps(TorchDispatchMode):
    """Counts the ATen operators dispatched under it."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


def count_ops(step: Step) -> int:
    """ATen operators dispatched by one call of ``step`` (forward and, where
    backward runs in the calling thread as on CPU, backward): each is at
    least one kernel launch on a GPU, so when launches, not arithmetic,
    bound a step, its time follows this count."""
    counter = _CountOps()
    with counter:
        step()
    return counter.count


def count_flops(step: Step) -> Dict[str, int]:
    """FLOPs of one call of ``step`` per module and in total, counted by
    ``torch.utils.flop_counter.FlopCounterMode`` (matmuls, convolutions and
    attention; elementwise ops count 0).

    Returns:
        ``{'total': ..., '<module path>': ...}``.
    """
    counter = FlopCounterMode(display=False)
    with counter:
        step()
    per_module = {
        name: int(sum(ops.values()))
        for name, ops in counter.get_flop_counts().items()
    }
    per_module['total'] = int(counter.get_total_flops())
    return per_module


def parameter_count(module: nn.Module) -> int:
    """Number of parameters of ``module``."""
    return sum(p.numel() for p in module.parameters())
