"""Measurement helpers (timing, peak memory, FLOPs, host-sync checks) for
``tools/analysis/benchmark.py``; plain PyTorch, no OpenMMLab import."""
from .benchmarking import (HostSyncError, count_flops, count_ops,
                           forbid_host_sync, interleaved_timings,
                           parameter_count, peak_memory, summarise_timings)

__all__ = [
    'HostSyncError', 'count_flops', 'count_ops', 'forbid_host_sync',
    'interleaved_timings', 'parameter_count', 'peak_memory',
    'summarise_timings'
]
