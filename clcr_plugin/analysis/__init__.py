"""Measurement helpers for ``tools/analysis/benchmark.py``: timing, peak
memory, FLOPs and host-sync checks (:mod:`.benchmarking`, plain PyTorch, no
OpenMMLab import, exported here), the training steps measured
(:mod:`.training_steps`) and a recognizer's FLOPs by part
(:mod:`.complexity`)."""
from .benchmarking import (HostSyncError, count_flops, count_ops,
                           forbid_host_sync, interleaved_timings,
                           parameter_count, peak_memory, summarise_timings)

__all__ = [
    'HostSyncError', 'count_flops', 'count_ops', 'forbid_host_sync',
    'interleaved_timings', 'parameter_count', 'peak_memory',
    'summarise_timings'
]
