"""Helpers of the analysis tools. For ``tools/analysis/benchmark.py``:
timing, peak memory, FLOPs and host-sync checks (:mod:`.benchmarking`, plain
PyTorch, no OpenMMLab import, exported here), the training steps measured
(:mod:`.training_steps`), a recognizer's FLOPs by part and a loader's
throughput (:mod:`.complexity`). For ``tools/analysis/compare.py``: its
tables and plots (:mod:`.comparison_report`)."""
from .benchmarking import (HostSyncError, count_flops, count_ops,
                           forbid_host_sync, interleaved_timings,
                           parameter_count, peak_memory, summarise_timings)

__all__ = [
    'HostSyncError', 'count_flops', 'count_ops', 'forbid_host_sync',
    'interleaved_timings', 'parameter_count', 'peak_memory',
    'summarise_timings'
]
