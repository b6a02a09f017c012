"""Build-time checks of a :class:`MultiModalRecognizer` config.

Each check raises one ``KeyError`` / ``ValueError`` naming the config key (as
written under ``model=dict(...)``), the value given and what was expected, so
a mistyped modality name or a stage that does not exist fails when the model
is built, not as a shape error deep in a forward pass.
"""
import copy
from typing import Any, Iterable, Optional, Sequence

from torch import nn


def check_known_modalities(key: str,
                           given: Iterable[str],
                           modalities: Sequence[str],
                           ignored: Sequence[str] = ()) -> None:
    """Every name in ``given`` is a backbone modality (or an ignored input).

    Args:
        key: the config key, e.g. ``'levels'``.
        given: the modality names it lists.
        modalities: the backbones' modalities.
        ignored: ``ignore_inputs``, also accepted.
    """
    given = sorted(given)
    unknown = [m for m in given if m not in modalities and m not in ignored]
    if unknown:
        extra = f' or ignore_inputs {list(ignored)}' if ignored else ''
        raise KeyError(
            f'{key} names {unknown}, which are not in backbones '
            f'{list(modalities)}{extra}; expected names of the backbones '
            f'(given: {given})')


def check_covers_modalities(key: str, given: Iterable[str],
                            modalities: Sequence[str], what: str) -> None:
    """Every backbone modality appears in ``given``.

    Args:
        key: the config key, e.g. ``'data_preprocessor.preprocessors'``.
        given: the modality names it lists.
        modalities: the backbones' modalities.
        what: what each missing entry would give, for the message.
    """
    given = sorted(given)
    missing = [m for m in modalities if m not in given]
    if missing:
        raise KeyError(
            f'{key} lists {given}, but backbones {list(modalities)} also '
            f'need {missing} ({what}); expected an entry for every backbone')


def check_no_overlap(modalities: Sequence[str],
                     ignored: Sequence[str]) -> None:
    """A modality is either used (has a backbone) or ignored, not both."""
    both = sorted(set(modalities) & set(ignored))
    if both:
        raise ValueError(
            f'ignore_inputs={list(ignored)} names {both}, which have '
            f'backbones {list(modalities)}; expected only inputs the model '
            'does not use')


def check_preprocessor_modalities(data_preprocessor: Any,
                                  modalities: Sequence[str],
                                  ignored: Sequence[str]) -> None:
    """``ignore_inputs`` and the per-modality data preprocessors agree with
    the backbones (a preprocessor without ``preprocessors`` is not
    checked)."""
    check_no_overlap(modalities, ignored)
    preprocessors = getattr(data_preprocessor, 'preprocessors', None)
    if preprocessors is None:
        return
    key = 'data_preprocessor.preprocessors'
    check_known_modalities(key, preprocessors, modalities, ignored)
    check_covers_modalities(
        key, preprocessors, modalities,
        'each input is normalised and laid out by its own preprocessor')


def check_neck_modalities(neck: nn.Module, modalities: Sequence[str]) -> None:
    """The neck fuses exactly the backbones' modalities (a neck without a
    ``modality_names`` attribute, or one that declares
    ``fuses_all_modalities = False`` such as ``UnimodalFusion``, is not
    checked)."""
    names = getattr(neck, 'modality_names', None)
    if (names is None or not getattr(neck, 'fuses_all_modalities', True)
            or set(names) == set(modalities)):
        return
    raise KeyError(
        f'the neck ({type(neck).__name__}) fuses {sorted(names)}, but '
        f'backbones has {list(modalities)}; expected the same modalities '
        '(leave the neck\'s modality entries out to take the backbones\', '
        'and list inputs the model does not use in ignore_inputs instead of '
        'giving them a backbone)')


def complete_head(cls_head: dict, neck: nn.Module) -> dict:
    """A copy of ``cls_head`` whose ``in_channels`` is the neck's
    ``out_channels`` (filled in when left out, checked when given)."""
    cls_head = copy.deepcopy(dict(cls_head))
    out_channels = getattr(neck, 'out_channels', None)
    if out_channels is None:
        raise AttributeError(
            f'the neck {type(neck).__name__} has no out_channels attribute')
    given = cls_head.get('in_channels')
    if given is None:
        cls_head['in_channels'] = out_channels
    elif given != out_channels:
        raise ValueError(f'cls_head.in_channels={given}, but the neck gives '
                         f'out_channels={out_channels} '
                         '(leave cls_head.in_channels out to use it)')
    return cls_head


def check_head_loss_weight(cls_head: dict) -> None:
    """``cls_head.loss_cls.loss_weight`` is not negative."""
    loss_cls = cls_head.get('loss_cls') or {}
    weight: Optional[float] = loss_cls.get('loss_weight') if isinstance(
        loss_cls, dict) else None
    if weight is not None and weight < 0:
        raise ValueError(f'cls_head.loss_cls.loss_weight={weight}: expected '
                         'a loss weight >= 0')


def check_stage_indices(modality: str, levels: Sequence[int],
                        num_outputs: int) -> None:
    """Stage indices ``levels`` exist among the ``num_outputs`` outputs of a
    backbone."""
    bad = [i for i in levels if not -num_outputs <= i < num_outputs]
    if bad:
        raise ValueError(
            f'levels.{modality}={list(levels)} asks for stage(s) {bad}, but '
            f'backbones.{modality} returns {num_outputs} output(s); expected '
            f'indices in [0, {num_outputs}) (set backbones.{modality}.'
            'out_indices to output more stages)')
