"""Helpers for the necks' ``complete_config`` protocol.

:class:`~clcr_plugin.models.MultiModalRecognizer` runs its backbones once on a
dummy input at build time and hands every neck class the per-level feature
shapes it will see, ``{modality: [torch.Size (1, ...) per level]}``; the
neck's classmethod ``complete_config(cfg, level_shapes) -> cfg`` fills what
the config leaves out (``in_channels``, default token grids) and checks what it
states, with errors that name the config key, the value given and the value
found.
"""
import copy
from typing import Any, Dict, List, Mapping, Sequence

import torch

from ..clcr.hierarchy import default_grid, feature_channels, feature_grid_rank

LevelShapes = Mapping[str, Sequence[torch.Size]]


def copy_config(cfg: Mapping) -> Dict[str, Any]:
    """A deep copy of a neck config as a plain dict."""
    return copy.deepcopy(dict(cfg))


def shapes_of(level_shapes: LevelShapes, modality: str,
              key: str) -> List[torch.Size]:
    """The level shapes of ``modality``; a KeyError naming ``key`` if no
    backbone gives it."""
    if modality not in level_shapes:
        raise KeyError(
            f'{key} names modality {modality!r}, but the recognizer has '
            'backbones for '
            f'{sorted(level_shapes)}')
    return list(level_shapes[modality])


def fill_or_check(given: Any, found: Any, key: str) -> Any:
    """``found`` when ``given`` is None; else ``given``, which must equal
    ``found``."""
    if given is None:
        return found
    if given != found:
        raise ValueError(f'{key}={given!r}, but the backbone gives {found!r}')
    return given


def fill_or_check_channels(given: Any, shapes: Sequence[torch.Size],
                           key: str) -> List[int]:
    """Per-level channels: filled from ``shapes`` when ``given`` is None, else
    checked level by level."""
    found = [feature_channels(s) for s in shapes]
    if given is None:
        return found
    given = list(given)
    if len(given) != len(found):
        raise ValueError(
            f'{key} lists {len(given)} levels {given}, but the backbone gives '
            f'{len(found)}: {found}')
    for i, (g, f) in enumerate(zip(given, found)):
        fill_or_check(g, f, f'{key}[{i}]')
    return given


def fill_or_check_grid(given: Any, shape: torch.Size, key: str) -> Any:
    """A token grid: :func:`default_grid` of ``shape`` when ``given`` is None,
    else checked for its rank."""
    if given is None:
        return default_grid(shape)
    rank = feature_grid_rank(shape)
    if len(given) != rank:
        raise ValueError(
            f'{key}={tuple(given)} has {len(given)} entries, but the backbone '
            'gives a feature of shape '
            f'{tuple(shape)}, which takes a grid of {rank}')
    return given
