"""CMU-MOSI / CMU-MOSEI processed pickles (``aligned_50.pkl``,
``unaligned_50.pkl``): reading, validation and cleaning, numpy only.

The layout (the one most sentiment code uses, e.g. MMSA) is a dict with the
splits ``train``, ``valid``, ``test``; each split holds numpy arrays::

    text               (N, 50, 768)  BERT features of the 50 word tokens
    text_bert          (N, 3, 50)    token ids, attention mask, segment ids
    audio              (N, Ta, Da)   Da = 5 (MOSI, COVAREP) / 74 (MOSEI)
    vision             (N, Tv, Dv)   Dv = 20 (MOSI, Facet) / 35 (MOSEI)
    regression_labels  (N,)          sentiment in [-3, 3]
    id, raw_text       (N,)
    audio_lengths, vision_lengths    (N,), unaligned files only

Cleaning and length rules (:func:`read_split`):

* every non-finite feature value (``-inf`` in COVAREP audio, ``NaN``) is set
  to 0, the value of the zero padding (MMSA sets ``-inf`` to 0 likewise);
  the count per key is returned so that it can be logged.
  ``nonfinite='error'`` raises instead, naming the key, split and sample.
* text length: the number of ones in the attention mask ``text_bert[:, 1]``
  when the split has ``text_bert``, else the whole padded length.
* audio / vision length: ``audio_lengths`` / ``vision_lengths`` when present
  (unaligned files), else the text length (aligned files: the three
  modalities share the word time axis).
* every length is clipped to ``[1, T]`` (a zero length keeps one zero step,
  so no sequence is empty; some released lengths exceed the padded ``T``);
  how many were clipped is returned.
"""
import pickle
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, Mapping, Sequence, Tuple

import numpy as np

SPLITS = ('train', 'valid', 'test')
MODALITIES = ('text', 'audio', 'vision')
TEXT_KEYS = ('text', 'text_bert')
LABEL_KEY = 'regression_labels'
NONFINITE_POLICIES = ('zero', 'error')


@dataclass
class SentimentSplit:
    """One split, cleaned.

    features: ``{modality: (N, T_m, D_m) float32}``, or ``(N, 3, 50)`` int64
        token ids / mask / segment ids for ``text`` read from ``text_bert``.
    lengths: ``{modality: (N,) int64}`` valid steps, in ``[1, T_m]``.
    labels: ``(N,) float32`` sentiment.
    ids: ``(N,)`` sample ids as str.
    cleaned: ``{key: number of non-finite values set to 0}``.
    clipped: ``{modality: number of lengths clipped to [1, T]}``.
    """

    features: Dict[str, np.ndarray]
    lengths: Dict[str, np.ndarray]
    labels: np.ndarray
    ids: np.ndarray
    cleaned: Dict[str, int] = field(default_factory=dict)
    clipped: Dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)


@lru_cache(maxsize=1)
def _load_cached(path: str, mtime: float) -> dict:
    with open(path, 'rb') as f:
        return pickle.load(f)


def load_pickle(path: str) -> dict:
    """Load a processed pickle (the latest one is cached, so the train, val
    and test datasets of one run read the file once).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not a dict holding at least one split.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f'sentiment pickle {path} does not exist')
    data = _load_cached(str(p.resolve()), p.stat().st_mtime)
    if not isinstance(data, dict) or not set(SPLITS) & set(data):
        found = sorted(data) if isinstance(data, dict) else type(data)
        raise ValueError(f'{path}: expected a dict with splits {SPLITS}, '
                         f'found {found}')
    return data


def _array(split: Mapping, key: str, where: str) -> np.ndarray:
    if key not in split:
        raise KeyError(f'{where} has no key {key!r}; it holds '
                       f'{sorted(split)}')
    return np.asarray(split[key])


def _clean(x: np.ndarray, key: str, where: str,
           nonfinite: str) -> Tuple[np.ndarray, int]:
    """Float32 copy with non-finite values set to 0, and their count."""
    x = np.array(x, dtype=np.float32)
    bad = ~np.isfinite(x)
    count = int(bad.sum())
    if count and nonfinite == 'error':
        first = int(np.argwhere(bad)[0][0])
        raise ValueError(
            f"{where}[{key!r}] holds {count} non-finite values (first in "
            f"sample {first}); use nonfinite='zero' to set them to 0")
    x[bad] = 0.0
    return x, count


def text_lengths(part: Mapping, where: str) -> np.ndarray:
    """Valid text tokens per sample: the sum of the attention mask
    ``text_bert[:, 1]``, else the padded length of ``text``."""
    if 'text_bert' in part:
        return np.asarray(part['text_bert'])[:, 1].sum(-1).astype(np.int64)
    if 'text' in part:
        n, steps = np.asarray(part['text']).shape[:2]
        return np.full(n, steps, dtype=np.int64)
    raise KeyError(f"{where} has neither 'text_bert' nor 'text' to take the "
                   f'text lengths from; it holds {sorted(part)}')


def check_arguments(split: str, modalities: Sequence[str], text_key: str,
                    nonfinite: str) -> None:
    """Raise a ValueError naming the argument whose value is not allowed."""
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    if not modalities or not set(modalities) <= set(MODALITIES):
        raise ValueError(f'modalities must be a non-empty subset of '
                         f'{MODALITIES}, got {list(modalities)}')
    if text_key not in TEXT_KEYS:
        raise ValueError(
            f'text_key must be one of {TEXT_KEYS}, got {text_key!r}')
    if nonfinite not in NONFINITE_POLICIES:
        raise ValueError(f'nonfinite must be one of {NONFINITE_POLICIES}, '
                         f'got {nonfinite!r}')


def read_labels(part: Mapping, where: str) -> np.ndarray:
    """``(N,)`` float32 labels; a ValueError naming the first non-finite."""
    labels = _array(part, LABEL_KEY, where).astype(np.float32).reshape(-1)
    if not np.isfinite(labels).all():
        first = int(np.flatnonzero(~np.isfinite(labels))[0])
        raise ValueError(f'{where}[{LABEL_KEY!r}][{first}] is '
                         f'{labels[first]}; labels must be finite')
    return labels


def read_modality(part: Mapping, modality: str, key: str, where: str,
                  nonfinite: str) -> Tuple[np.ndarray, np.ndarray, int, int]:
    """Features of ``modality`` from ``part[key]``, their lengths in
    ``[1, T]``, the number of non-finite values set to 0 and of lengths
    clipped."""
    raw = _array(part, key, where)
    if key == 'text_bert':
        if raw.ndim != 3 or raw.shape[1] != 3:
            raise ValueError(f'{where}[{key!r}] must be (N, 3, L) token ids, '
                             f'mask and segment ids, got shape {raw.shape}')
        features, cleaned, steps = raw.astype(np.int64), 0, raw.shape[-1]
    else:
        if raw.ndim != 3:
            raise ValueError(f'{where}[{key!r}] must be (N, T, D), got '
                             f'shape {raw.shape}')
        features, cleaned = _clean(raw, key, where, nonfinite)
        steps = raw.shape[1]
    length_key = f'{modality}_lengths'
    if modality != 'text' and length_key in part:
        raw_len = np.asarray(part[length_key]).reshape(-1)
    else:  # text, or aligned audio / vision on the word time axis
        raw_len = text_lengths(part, where)
    if len(raw_len) != len(raw):
        raise ValueError(f'{where}[{length_key!r}] has {len(raw_len)} '
                         f'samples, {where}[{key!r}] has {len(raw)}')
    lengths = np.clip(raw_len.astype(np.int64), 1, steps)
    return features, lengths, cleaned, int((lengths != raw_len).sum())


def read_split(data: Mapping,
               split: str,
               modalities: Sequence[str] = MODALITIES,
               text_key: str = 'text',
               nonfinite: str = 'zero',
               source: str = 'pickle') -> SentimentSplit:
    """Validate and clean one split of a processed pickle.

    Args:
        data: the loaded pickle.
        split: ``'train'``, ``'valid'`` or ``'test'``.
        modalities: which of ``text``, ``audio``, ``vision`` to read.
        text_key: ``'text'`` (768-d BERT features) or ``'text_bert'`` (token
            ids for a BERT backbone).
        nonfinite: ``'zero'`` (set to 0, counted) or ``'error'``.
        source: the file name, for error messages.

    Raises:
        KeyError: the split or a needed key is missing (names both).
        ValueError: unknown argument values, arrays of the wrong rank or
            whose sample counts disagree, or a non-finite label (names key
            and sample).
    """
    check_arguments(split, modalities, text_key, nonfinite)
    if split not in data:
        raise KeyError(f'{source} has no split {split!r}; it holds '
                       f'{sorted(data)}')
    where = f'{source}[{split!r}]'
    part = data[split]
    labels = read_labels(part, where)
    ids = _array(part, 'id', where).astype(str).reshape(-1)
    out = SentimentSplit({}, {}, labels, ids)
    for m in modalities:
        key = text_key if m == 'text' else m
        features, lengths, cleaned, clipped = read_modality(
            part, m, key, where, nonfinite)
        if len(features) != len(labels):
            raise ValueError(f'{where}[{key!r}] has {len(features)} samples, '
                             f'{LABEL_KEY!r} has {len(labels)}')
        out.features[m], out.lengths[m] = features, lengths
        out.clipped[m] = clipped
        if key != 'text_bert':
            out.cleaned[key] = cleaned
    if len(ids) != len(labels):
        raise ValueError(f"{where}['id'] has {len(ids)} samples, "
                         f'{LABEL_KEY!r} has {len(labels)}')
    return out
