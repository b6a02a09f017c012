"""Fixtures of the dataset tests: fake CMU-MOSI / CMU-MOSEI processed pickles
with the real keys, feature widths and padded lengths (random values, a few
-inf / NaN), and the real broken media files (``bad_media``)."""
import pickle
from pathlib import Path
from typing import Dict, Tuple

import numpy as np
import pytest
from bad_media import bad_media  # noqa: F401

# feature widths (audio, vision) and unaligned padded lengths (text, audio,
# vision) of the released pickles (MMSA's configs)
DIMS = {'mosi': (5, 20), 'mosei': (74, 35)}
UNALIGNED_STEPS = {'mosi': (50, 500, 375), 'mosei': (50, 500, 500)}
SPLIT_SIZES = {'train': 6, 'valid': 4, 'test': 4}


def fake_split(rng: np.random.Generator, n: int, dataset: str,
               aligned: bool) -> Dict[str, np.ndarray]:
    """One split: the released keys and shapes, valid tokens first."""
    da, dv = DIMS[dataset]
    tt, ta, tv = (50, 50, 50) if aligned else UNALIGNED_STEPS[dataset]
    text_len = rng.integers(5, tt, n)
    mask = (np.arange(tt) < text_len[:, None]).astype(np.float32)
    ids = rng.integers(1000, 2000, (n, tt)) * mask
    split = dict(
        text=rng.standard_normal((n, tt, 768)).astype(np.float32),
        text_bert=np.stack([ids, mask, np.zeros_like(mask)], 1),
        audio=rng.standard_normal((n, ta, da)).astype(np.float32),
        vision=rng.standard_normal((n, tv, dv)).astype(np.float32),
        regression_labels=rng.uniform(-3, 3, n).astype(np.float32),
        id=np.array([f'{dataset}_{i:03d}$_$1' for i in range(n)]),
        raw_text=np.array([f'utterance {i}' for i in range(n)]))
    split['audio'][0, 0, 0] = -np.inf  # COVAREP's -inf
    split['vision'][0, 1, 0] = np.nan
    if not aligned:
        split['audio_lengths'] = rng.integers(1, ta, n)
        split['vision_lengths'] = rng.integers(1, tv, n)
        for m in ('audio', 'vision'):  # zero padding past each length
            steps = np.arange(split[m].shape[1])
            split[m] *= (steps < split[f'{m}_lengths'][:, None])[..., None]
    return split


def write_fake_pickle(path: Path,
                      dataset: str = 'mosi',
                      aligned: bool = False,
                      seed: int = 0) -> Path:
    """Write ``{train, valid, test}`` to ``path``; returns it."""
    rng = np.random.default_rng(seed)
    data = {
        s: fake_split(rng, n, dataset, aligned)
        for s, n in SPLIT_SIZES.items()
    }
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    return path


@pytest.fixture(scope='session')
def sentiment_pickles(tmp_path_factory) -> Dict[Tuple[str, bool], Path]:
    """``{(dataset, aligned): path}`` for MOSI and MOSEI, aligned and not."""
    root = tmp_path_factory.mktemp('sentiment')
    paths = {}
    for dataset in DIMS:
        (root / dataset).mkdir()
        for aligned in (False, True):
            name = 'aligned_50.pkl' if aligned else 'unaligned_50.pkl'
            paths[dataset,
                  aligned] = write_fake_pickle(root / dataset / name, dataset,
                                               aligned)
    return paths
