"""``compile_neck``: ``torch.compile`` the fusion neck alone, in place.

A CLCR training step is bound by the neck's many small operators on a GPU
(docs/performance.md); compiling the neck (one graph, no breaks) fuses them,
and ``mode='reduce-overhead'`` replays them as a CUDA graph. mmengine's own
``compile=True`` compiles the whole ``train_step`` instead, whose data
preprocessing and logging break the graph and recompile at every step.
"""
import inspect
from typing import Optional, Union

import torch
from torch import nn


def compile_options(compile_neck: Union[bool, dict, None]) -> Optional[dict]:
    """``torch.compile`` keyword arguments from the ``compile_neck`` config
    value (None / False: do not compile; True: the defaults; a dict: its
    keys), every key checked against ``torch.compile``'s signature."""
    if compile_neck is None or compile_neck is False:
        return None
    if compile_neck is True:
        return {}
    if not isinstance(compile_neck, dict):
        raise TypeError(
            f'compile_neck={compile_neck!r}: expected True, False, None or a '
            'dict of torch.compile arguments, e.g. '
            "dict(mode='reduce-overhead')")
    known = [
        name for name in inspect.signature(torch.compile).parameters
        if name != 'model'
    ]
    unknown = sorted(set(compile_neck) - set(known))
    if unknown:
        raise KeyError(f'compile_neck has {unknown}, which torch.compile does '
                       f'not take; expected some of {known}')
    return dict(compile_neck)


def compile_neck_in_place(neck: nn.Module, options: dict) -> None:
    """``neck.compile(**options)``: compiled on its first call, its module
    tree and state-dict keys unchanged (``torch.compile(neck)`` would wrap it
    and prefix every key with ``_orig_mod.``, so checkpoints would not load
    into an uncompiled model)."""
    neck.compile(**options)
