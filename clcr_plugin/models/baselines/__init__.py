"""Baseline fusions in plain PyTorch (no OpenMMLab imports), for comparisons
with CLCR.

Both take the deepest level of each modality, like most late-fusion work.
"""
from .dense_attention import DenseCrossModalAttention
from .late_fusion import ConcatPool, global_pool

__all__ = ['ConcatPool', 'DenseCrossModalAttention', 'global_pool']
