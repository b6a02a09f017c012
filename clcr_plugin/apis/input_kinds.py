"""What a user can point a model at: each input kind turns a path (and an
optional separate audio file) into the pipeline's first results dict and says
which modalities the input carries.

Kinds are tried in :data:`INPUT_KINDS` order; a new one is added with
:func:`register_input_kind`. A sentiment sample is no file: build its
results dict with :func:`sentiment_sample`. A modality name that no
kind knows (neither ``rgb``, ``flow`` nor ``audio``) is taken as present: the
pipeline itself then says what it misses.
"""
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Callable, FrozenSet, List, Mapping, Optional

import numpy as np

#: The modality names whose presence the built-in kinds can check.
KNOWN_MODALITIES = frozenset({'rgb', 'flow', 'audio'})


@dataclass(frozen=True)
class InputKind:
    """One kind of input.

    Args:
        name: shown in messages and stored as ``input_kind`` in the result's
            metainfo.
        matches: ``matches(path) -> bool``, whether ``path`` is of this kind.
        results: ``results(path, audio) -> dict``, the pipeline's first
            results dict (``audio`` is a separate audio file or None).
        available: ``available(path, audio) -> frozenset`` of the
            :data:`KNOWN_MODALITIES` the input carries.
    """

    name: str
    matches: Callable[[str], bool]
    results: Callable[[str, Optional[str]], dict]
    available: Callable[[str, Optional[str]], FrozenSet[str]]


def media_streams(path: str) -> FrozenSet[str]:
    """``'video'`` and / or ``'audio'``: the kinds of streams a media file
    holds.

    Raises:
        RuntimeError naming ``path`` when PyAV cannot open it.
    """
    import av  # imported here: only media inputs need PyAV

    try:
        container = av.open(path)
    except Exception as exc:  # PyAV raises several error types
        raise RuntimeError(f'cannot open {path}: {exc}') from exc
    with container:
        kinds = set()
        if container.streams.video:
            kinds.add('video')
        if container.streams.audio:
            kinds.add('audio')
    return frozenset(kinds)


def _audio_available(audio: Optional[str]) -> FrozenSet[str]:
    if audio is None:
        return frozenset()
    if 'audio' not in media_streams(audio):
        raise ValueError(f'audio file {audio} has no audio stream')
    return frozenset({'audio'})


# --- a video file, with its own audio track or a separate audio file ------


def _video_results(path: str, audio: Optional[str]) -> dict:
    return dict(
        filename=path,
        audio_path=audio or path,
        label=-1,
        start_index=0,
        modality='RGB')


def _video_available(path: str, audio: Optional[str]) -> FrozenSet[str]:
    streams = media_streams(path)
    found = {'rgb'} if 'video' in streams else set()
    if audio is not None:
        found |= _audio_available(audio)
    elif 'audio' in streams:
        found.add('audio')
    return frozenset(found)


# --- a folder of extracted frames (mmaction2's rawframes layout) ----------

#: File names of mmaction2's ``tools/data/build_rawframes.py`` (denseflow).
RGB_FRAME = re.compile(r'^img_\d+\.(jpg|png)$')
FLOW_X_FRAME = re.compile(r'^(flow_x|x)_\d+\.(jpg|png)$')


def count_frames(frame_dir: str, pattern: re.Pattern) -> int:
    """How many files of ``frame_dir`` match ``pattern``."""
    return sum(1 for name in os.listdir(frame_dir) if pattern.match(name))


def _frames_results(path: str, audio: Optional[str]) -> dict:
    """The fields :class:`MultiModalRawframeDataset` gives a frame folder."""
    rgb = count_frames(path, RGB_FRAME)
    flow = count_frames(path, FLOW_X_FRAME)
    ext = next((name.rsplit('.', 1)[1]
                for name in sorted(os.listdir(path)) if RGB_FRAME.match(name)),
               'jpg')
    results = dict(
        frame_dir=path,
        total_frames=rgb or flow + 1,
        label=-1,
        start_index=1,
        filename_tmpl='img_{:05d}.' + ext,
        modality='RGB')
    if flow:
        prefix = 'flow_' if any(
            name.startswith('flow_x_') for name in os.listdir(path)) else ''
        ext = next(
            name.rsplit('.', 1)[1] for name in sorted(os.listdir(path))
            if FLOW_X_FRAME.match(name))
        results.update(
            flow_filename_tmpl=prefix + '{}_{:05d}.' + ext,
            total_flow_frames=flow)
    if audio is not None:
        results['audio_path'] = audio
    return results


def _frames_available(path: str, audio: Optional[str]) -> FrozenSet[str]:
    found = set()
    if count_frames(path, RGB_FRAME):
        found.add('rgb')
    if count_frames(path, FLOW_X_FRAME):
        found.add('flow')
    return frozenset(found) | _audio_available(audio)


INPUT_KINDS: List[InputKind] = [
    InputKind('frame folder', osp.isdir, _frames_results, _frames_available),
    InputKind('video file', osp.isfile, _video_results, _video_available),
]


def sentiment_sample(features: Mapping[str, np.ndarray],
                     sample_id: str = 'sample') -> dict:
    """The results dict of one sentiment sample, for
    ``PackSentimentInputs`` (the MOSI / MOSEI configs' pipeline).

    Args:
        features: ``{modality: (T, D) features}``, e.g. ``text`` (768-d BERT
            features), ``audio``, ``vision``; a ``text`` of BERT token ids is
            ``(3, T)`` integers (ids, attention mask, segment ids). Leave a
            modality out when the sample lacks it.
        sample_id: stored as ``id`` in the result's metainfo.

    Returns:
        ``dict(features, modalities=[...], seq_lengths={m: T_m},
        gt_regression=nan, id=sample_id)``: lengths are the row counts, or
        the attention mask's sum for token ids; no ground truth is known.
    """
    lengths = {}
    for m, x in features.items():
        x = np.asarray(x)
        if x.ndim != 2:
            raise ValueError(f'sentiment feature {m!r} must be (T, D) (or '
                             f'(3, T) token ids), got shape {x.shape}')
        token_ids = x.shape[0] == 3 and np.issubdtype(x.dtype, np.integer)
        lengths[m] = max(1, int(x[1].sum()) if token_ids else len(x))
    return dict({
        m: np.asarray(x)
        for m, x in features.items()
    },
                modalities=list(features),
                seq_lengths=lengths,
                gt_regression=float('nan'),
                id=sample_id)


def register_input_kind(kind: InputKind) -> None:
    """Try ``kind`` before the built-in ones."""
    INPUT_KINDS.insert(0, kind)


def find_input_kind(path: str) -> InputKind:
    """The first kind that matches ``path``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: no kind matches it (the message lists the kinds).
    """
    if not osp.exists(path):
        raise FileNotFoundError(f'input {path} does not exist')
    for kind in INPUT_KINDS:
        if kind.matches(path):
            return kind
    raise ValueError(f'{path} is none of the input kinds '
                     f'{[k.name for k in INPUT_KINDS]}')
