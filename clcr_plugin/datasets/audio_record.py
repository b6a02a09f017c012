"""The settings record that travels with extracted ``.npy`` features (no
OpenMMLab imports).

``tools/data/extract_audio_features.py`` writes the :class:`AudioFeatureConfig`
it used to ``<dst>/audio_feature_config.json`` (:func:`write_record`); the
``LoadAudioLogMel`` transform finds the record that governs a feature file,
the nearest one in the file's folder or above (:class:`RecordFinder`), and
refuses features made with other settings (:func:`check_record`).
"""
import json
import os
import os.path as osp
from typing import Dict, Optional, Tuple

from .audio import AudioFeatureConfig

RECORD_NAME = 'audio_feature_config.json'


def write_record(folder: str, cfg: AudioFeatureConfig) -> str:
    """Write ``cfg``'s resolved settings to
    ``<folder>/audio_feature_config.json``; returns its path."""
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, RECORD_NAME)
    with open(path, 'w') as f:
        json.dump(cfg.to_dict(), f, indent=2)
    return path


def read_record(path: str) -> AudioFeatureConfig:
    """The settings recorded in the json file ``path`` (settings it lacks take
    their defaults).

    Raises:
        ValueError: ``path`` is not a json object.
        KeyError: it holds a key that is not a setting (both name ``path``).
    """
    try:
        with open(path) as f:
            recorded = json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f'{path} is not valid json: {exc}') from exc
    if not isinstance(recorded, dict):
        raise ValueError(
            f'{path} should hold a json object of audio settings, got '
            f'{type(recorded).__name__}')
    return AudioFeatureConfig.from_dict(recorded, source=path)


def check_record(path: str, recorded: AudioFeatureConfig,
                 wanted: AudioFeatureConfig, asker: str, remedy: str) -> None:
    """Raise ValueError unless ``recorded`` (read from ``path``) equals
    ``wanted``.

    The message names the features' folder, the record file, and every
    setting that differs with both values, e.g. ``features in /x/feats were
    made with hop_length=160 (/x/feats/audio_feature_config.json), the
    pipeline asks for hop_length=320``.

    Args:
        path: the record file.
        recorded: the settings it holds.
        wanted: the settings asked for.
        asker: who asks, e.g. ``'the pipeline (LoadAudioLogMel)'``.
        remedy: what to do about a mismatch, appended to the message.
    """
    have, want = recorded.to_dict(), wanted.to_dict()
    differ = [name for name in want if have[name] != want[name]]
    if differ:
        made = ', '.join(f'{name}={have[name]!r}' for name in differ)
        asked = ', '.join(f'{name}={want[name]!r}' for name in differ)
        raise ValueError(
            f'features in {osp.dirname(path)} were made with {made} ({path}), '
            f'{asker} asks for {asked}; '
            f'{remedy}')


class RecordFinder:
    """Finds the record governing a feature file: the nearest
    ``audio_feature_config.json`` in its folder or above.

    Each folder is looked at, and each record read, once: the answers are
    cached per folder (a data loader worker asks for thousands of files in
    the same few folders).
    """

    def __init__(self) -> None:
        self._by_folder: Dict[str, Optional[Tuple[str,
                                                  AudioFeatureConfig]]] = {}

    def find(self,
             feature_path: str) -> Optional[Tuple[str, AudioFeatureConfig]]:
        """``(record path, its settings)`` for ``feature_path``, or None when
        no folder above holds a record."""
        folder = osp.dirname(osp.abspath(feature_path))
        visited = []
        while folder not in self._by_folder:
            visited.append(folder)
            candidate = osp.join(folder, RECORD_NAME)
            if osp.isfile(candidate):
                self._by_folder[folder] = (candidate, read_record(candidate))
                break
            parent = osp.dirname(folder)
            if parent == folder:  # the file system's root
                self._by_folder[folder] = None
                break
            folder = parent
        found = self._by_folder[folder]
        for seen in visited:
            self._by_folder[seen] = found
        return found
