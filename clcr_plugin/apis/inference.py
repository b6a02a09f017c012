"""Inference with a multi-modal recognizer, named after mmaction2's
``mmaction.apis``.

Usage::

    from clcr_plugin.apis import init_recognizer, inference_recognizer

    model = init_recognizer('configs/clcr/clcr_...py', 'epoch_10.pth')
    result = inference_recognizer(model, 'clip.mp4')             # own track
    result = inference_recognizer(model, 'clip.mp4', 'voice.wav')  # separate
    result.pred_score  # (num_classes,) averaged over the test views
"""
import copy
import inspect
import os.path as osp
from pathlib import Path
from typing import (Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple,
                    Union)

import torch
from mmaction.registry import MODELS, TRANSFORMS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from torch import nn

import clcr_plugin  # noqa: F401  (registers the plug-in's components)
from .input_kinds import KNOWN_MODALITIES, find_input_kind

#: Pipeline steps that read one modality only; dropped with the modality
#: when a model that copes with a missing modality gets an input without it.
MODALITY_TRANSFORMS: Dict[str, FrozenSet[str]] = {
    'audio':
    frozenset(
        {'LoadAudioLogMel', 'SampleAudioWindows', 'AudioFrequencyTimeMask'}),
    'flow':
    frozenset({'DecodeFlowStacks'}),
}


def init_recognizer(config: Union[str, Path, Config],
                    checkpoint: Optional[str] = None,
                    device: Union[str, torch.device,
                                  None] = None) -> nn.Module:
    """Build a recognizer from a config and load a checkpoint.

    Args:
        config (str | Path | Config): config file or object.
        checkpoint (str, optional): checkpoint file; None keeps the random
            initialisation. Default None.
        device (str | torch.device, optional): e.g. ``'cpu'``, ``'cuda:0'``.
            Default None: ``'cuda:0'`` when CUDA is available, else ``'cpu'``.

    Returns:
        The model in eval mode on ``device``, with ``model.cfg`` (the config)
        and ``model.dataset_meta`` (the checkpoint's ``meta.dataset_meta``,
        e.g. ``classes``; None without one).
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError('config must be a file name or a Config, got '
                        f'{type(config).__name__}')
    init_default_scope(config.get('default_scope', 'mmaction'))
    # built, not initialised: init_weights (which would load the backbones'
    # pretrained weights) is not called, the checkpoint gives every weight;
    # a backbone's ``pretrained`` that defines its architecture (BertLevels)
    # stays as it is
    model = MODELS.build(copy.deepcopy(config.model))
    model.dataset_meta = None
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
        meta = load_checkpoint(
            model, checkpoint, map_location='cpu').get('meta', {})
        model.dataset_meta = meta.get('dataset_meta')
    model.cfg = config
    if device is None:
        device = 'cuda:0' if torch.cuda.is_available() else 'cpu'
    return model.to(device).eval()


def test_pipeline_config(cfg: Config) -> List[dict]:
    """The config's ``test_pipeline``, else its test dataset's pipeline."""
    pipeline = cfg.get('test_pipeline')
    if pipeline is None:
        pipeline = cfg.test_dataloader.dataset.pipeline
    return copy.deepcopy(list(pipeline))


def packed_modalities(pipeline: Sequence[dict]) -> Dict[str, str]:
    """``{modality: results key}`` of the pipeline's
    ``PackMultiModalInputs``."""
    for step in pipeline:
        if step.get('type') == 'PackMultiModalInputs':
            return dict(step['modalities'])
    raise ValueError(
        'the test pipeline has no PackMultiModalInputs step (steps: '
        f"{[s.get('type') for s in pipeline]})")


def _without_keys(value, keys: FrozenSet[str]):
    """``value`` less ``keys`` where it is a list / tuple of results keys;
    a step (a dict with ``type``) first gets its class's key-list defaults
    spelled out, so ``SyncedFrameTransforms``' default ``flow_keys`` lose
    them too; nested steps likewise."""
    if isinstance(value, (list, tuple)):
        kept = [
            _without_keys(v, keys) for v in value
            if not (isinstance(v, str) and v in keys)
        ]
        return type(value)(kept)
    if isinstance(value, dict):
        step = dict(value)
        cls = TRANSFORMS.get(step['type']) if isinstance(
            step.get('type'), str) else None
        if cls is not None:
            for name, param in inspect.signature(cls).parameters.items():
                default = param.default
                if name not in step and isinstance(
                        default, (list, tuple)) and all(
                            isinstance(d, str)
                            for d in default) and set(default) & keys:
                    step[name] = default
        return {k: _without_keys(v, keys) for k, v in step.items()}
    return value


def pipeline_without(pipeline: Sequence[dict],
                     modalities: Sequence[str]) -> List[dict]:
    """``pipeline`` without ``modalities``: their steps
    (:data:`MODALITY_TRANSFORMS`) are dropped, their packed inputs removed,
    and their results keys struck from the key lists of the other steps
    (``FormatFrameStacks(keys=...)``,
    ``SyncedFrameTransforms(flow_keys=...)``).

    Raises:
        ValueError: a modality has no entry in :data:`MODALITY_TRANSFORMS`.
    """
    unknown = [m for m in modalities if m not in MODALITY_TRANSFORMS]
    if unknown:
        raise ValueError(f'cannot run the pipeline without {unknown}: only '
                         f'{sorted(MODALITY_TRANSFORMS)} can be left out '
                         '(MODALITY_TRANSFORMS names their steps)')
    dropped = frozenset().union(*(MODALITY_TRANSFORMS[m] for m in modalities))
    packed = packed_modalities(pipeline)
    keys = frozenset(packed[m] for m in modalities if m in packed)
    kept = []
    for step in copy.deepcopy(list(pipeline)):
        if step.get('type') in dropped:
            continue
        if step.get('type') == 'PackMultiModalInputs':
            step['modalities'] = {
                m: key
                for m, key in step['modalities'].items() if m not in modalities
            }
        else:
            step = _without_keys(step, keys)
        kept.append(step)
    return kept


def check_modalities(model: nn.Module,
                     needed: Sequence[str],
                     available: FrozenSet[str],
                     source: str,
                     known: FrozenSet[str] = KNOWN_MODALITIES) -> List[str]:
    """The needed modalities that the input lacks and the model may do
    without.

    Args:
        model: the recognizer (``modality_dropout`` > 0 means it was trained
            to cope with a missing modality).
        needed: the modalities the pipeline packs for the model.
        available: what the input carries (of ``known``).
        source: the input, for messages.
        known: the modalities whose presence the input says.
            Default :data:`KNOWN_MODALITIES`.

    Raises:
        ValueError: naming the missing modality, when the model was not
            trained to cope or nothing would be left.
    """
    missing = [m for m in needed if m in known and m not in available]
    if not missing:
        return []
    dropout = float(getattr(model, 'modality_dropout', 0.0))
    hint = {
        'audio': 'no audio track and no separate audio file (audio=...)',
        'rgb': 'no video stream or RGB frames (img_*.jpg)',
        'flow': 'no optical-flow frames (x_*.jpg / y_*.jpg)',
    }
    what = '; '.join(f'{m!r}: {hint.get(m, "absent")}' for m in missing)
    if dropout == 0:
        raise ValueError(
            f'the model needs modality {missing[0]!r} (needs '
            f'{list(needed)}), but {source} has {what}. Give it, or use a '
            'model trained to cope with a missing modality '
            f'(model.modality_dropout > 0; this one has {dropout})')
    if len(missing) == len(needed):
        raise ValueError(f'{source} carries none of the modalities the model '
                         f'needs {list(needed)}: {what}')
    return missing


def prepare_inputs(
    model: nn.Module,
    video: Union[str, Path, Mapping],
    audio: Optional[Union[str, Path]] = None,
    test_pipeline: Optional[Sequence[dict]] = None
) -> Tuple[dict, List[dict], str]:
    """The first results dict, the pipeline to run on it and the input kind.

    A path goes through :func:`~clcr_plugin.apis.input_kinds.find_input_kind`
    and the missing-modality check; a dict is taken as the results dict
    itself (e.g. a sentiment sample) and the pipeline says what it misses.
    """
    pipeline = list(test_pipeline or test_pipeline_config(model.cfg))
    if isinstance(video, Mapping):
        if audio is not None:
            raise ValueError('audio= goes with a file input; put the audio '
                             'into the results dict instead')
        results = dict(video)
        if 'modalities' in results:  # a sample that lists its modalities
            names = getattr(model, 'modalities', ())
            check_modalities(model, list(names),
                             frozenset(results['modalities']),
                             f"sample {results.get('id', '')!r}".strip(),
                             frozenset(names))
            results['modalities'] = [
                m for m in results['modalities'] if m in names
            ]
        return results, pipeline, 'results dict'
    path = str(video)
    kind = find_input_kind(path)
    audio = None if audio is None else str(audio)
    if audio is not None and not osp.isfile(audio):
        raise FileNotFoundError(f'audio file {audio} does not exist')
    needed = [
        m for m in packed_modalities(pipeline)
        if m in getattr(model, 'modalities', ())
    ]
    source = path if audio is None else f'{path} with {audio}'
    missing = check_modalities(model, needed, kind.available(path, audio),
                               source)
    if missing:
        pipeline = pipeline_without(pipeline, missing)
    return kind.results(path, audio), pipeline, kind.name


def predict_results(model: nn.Module, data: dict,
                    kind: str) -> ActionDataSample:
    """The model's test step on one pipeline output ``data`` (no gradients),
    its metainfo naming the input ``kind`` and the fused modalities."""
    with torch.no_grad():
        result = model.test_step(pseudo_collate([data]))[0]
    result.set_metainfo(
        dict(
            input_kind=kind,
            modalities=sorted(data['inputs']) if isinstance(
                data['inputs'], Mapping) else None))
    return result


def inference_recognizer(model: nn.Module,
                         video: Union[str, Path, Mapping],
                         audio: Optional[Union[str, Path]] = None,
                         test_pipeline: Optional[Sequence[dict]] = None
                         ) -> ActionDataSample:
    """Classify one input with the config's test pipeline.

    Args:
        model: from :func:`init_recognizer`.
        video: a video file (its own audio track feeds an ``audio``
            modality), a folder of extracted frames (``img_*.jpg``,
            ``x_*.jpg`` / ``y_*.jpg``), or the pipeline's results
            dict itself (any other sample, e.g. a sentiment sample from
            :func:`~clcr_plugin.apis.sentiment_sample`; a dict that lists
            its ``modalities`` is checked against the model's).
        audio: a separate audio file (wav, or any container with an audio
            stream) that replaces the video's own track. Default None.
        test_pipeline: pipeline config (list of dicts). Default None: the
            model config's ``test_pipeline``.

    Returns:
        mmaction2's ``ActionDataSample`` with ``pred_score``
        (num_classes,) and ``pred_label``; its metainfo has ``input_kind``
        and the ``modalities`` that were fused.

    Raises:
        ValueError: the input lacks a modality the model needs and the model
            was not trained to cope (the message names the modality).
        FileNotFoundError: the input or the audio file does not exist.
    """
    results, pipeline, kind = prepare_inputs(model, video, audio,
                                             test_pipeline)
    init_default_scope(model.cfg.get('default_scope', 'mmaction'))
    return predict_results(model, Compose(pipeline)(results), kind)


def segment_scores(result: ActionDataSample) -> Optional[torch.Tensor]:
    """Per-second scores ``(S, num_classes)`` of a localisation model, or
    None.

    A head that predicts one label per one-second segment (the AVE event
    localisation setting) sets ``pred_segment_scores`` on its data samples;
    the demo then draws the label of each second.
    """
    scores = result.get('pred_segment_scores')
    if scores is None:
        return None
    if scores.dim() != 2:
        raise ValueError('pred_segment_scores must be (segments, classes), '
                         f'got {tuple(scores.shape)}')
    return scores


def top_k(result: ActionDataSample,
          k: int = 5,
          classes: Optional[Sequence[str]] = None) -> List[Tuple[str, float]]:
    """The ``k`` best ``(label, score)`` pairs of ``result.pred_score``;
    labels are class names when ``classes`` is given, else indices."""
    scores = result.pred_score.detach().float().cpu()
    values, indices = scores.topk(min(k, scores.numel()))
    if classes is not None and len(classes) != scores.numel():
        raise ValueError(f'{len(classes)} class names for '
                         f'{scores.numel()} scores')
    return [(str(classes[i]) if classes is not None else str(int(i)), float(v))
            for v, i in zip(values.tolist(), indices.tolist())]
