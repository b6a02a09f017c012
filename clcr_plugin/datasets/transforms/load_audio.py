"""``LoadAudioLogMel``: the whole clip's log-mel, checked for bad audio."""
import os.path as osp
import warnings
from typing import Any, Dict, Optional

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from ..audio import (AudioFeatureConfig, decode_audio, document_settings,
                     log_mel_spectrogram)
from ..audio_duration import declared_audio_seconds
from ..audio_record import RECORD_NAME, RecordFinder, check_record
from ..bad_data import (BadDataError, handle_bad_data, mark_unavailable,
                        policy_of)
from .audio_transforms import require_key

# a log-mel whose values all lie within this of each other is digital silence
SILENCE_SPREAD = 1e-3


@TRANSFORMS.register_module()
@document_settings
class LoadAudioLogMel(BaseTransform):
    """Load the whole clip's log-mel spectrogram.

    From ``results['audio_path']`` (falling back to ``results['filename']``):
    a ``.npy`` written by ``tools/data/extract_audio_features.py`` is loaded,
    any other file (wav, mp4, flv, avi ...) is decoded with PyAV on the fly.
    Adds ``audio_feature`` (n_mels, n_frames) float32 and
    ``audio_frame_rate`` (feature frames per second).

    A ``.npy`` is checked against the ``audio_feature_config.json`` the
    extractor wrote, the nearest one in its folder or above (read once per
    folder): features made with other settings raise a ValueError naming
    the json file and both values. Features without such a record (made by
    other tools) are loaded with one warning per transform and flagged
    (``audio_feature_unchecked``), so ``SampleAudioWindows`` compares their
    duration with the video's.

    Bad audio follows the dataset's policy (``results['bad_data_policy']``,
    see :mod:`clcr_plugin.datasets.bad_data`; every case is an error
    without one): ``no_audio`` (file missing or unreadable, no audio stream,
    or ``audio_available=False`` from the dataset), ``nonfinite_features``
    (NaN/inf), ``silent_audio`` (a constant log-mel) and
    ``feature_settings_mismatch``. Under ``'mark_missing'`` the feature is
    a zero placeholder of one frame, listed in ``results['unavailable_keys']``.

    Args:
        <audio settings>
    """

    def __init__(self, **settings: Any) -> None:
        self.cfg = AudioFeatureConfig.from_dict(
            settings, source='LoadAudioLogMel')
        self._records = RecordFinder()
        self._warned_unrecorded = False

    def transform(self, results: Dict) -> Dict:
        path = str(
            results.get('audio_path')
            or require_key(results, 'filename', 'LoadAudioLogMel'))
        feature = self._checked_feature(results, path)
        if feature is None:  # marked missing: a zero placeholder
            feature = np.zeros((self.cfg.n_mels, 1), np.float32)
            mark_unavailable(results, 'audio_feature')
        results['audio_feature'] = feature  # (n_mels, n_frames)
        results['audio_frame_rate'] = self.cfg.frame_rate
        return results

    def _checked_feature(self, results: Dict,
                         path: str) -> Optional[np.ndarray]:
        """The feature of ``path`` after the bad-data checks; None when the
        policy marks the audio missing."""
        if results.get('audio_available') is False:
            detail = 'the audio file does not exist (found at load time)'
        elif not osp.isfile(path):
            detail = 'the audio file does not exist'
        else:
            try:
                feature = self._load(path, results)
            except (RuntimeError, ValueError, OSError, EOFError) as exc:
                if isinstance(exc, BadDataError):
                    raise
                # decode_audio names the fault and the file
                detail = str(exc).replace(path, 'the file')
            else:
                if feature is None:
                    return None
                return self._check_values(results, path, feature)
        handle_bad_data(results, 'no_audio', path, detail)
        return None  # mark_missing is the only other action of no_audio

    def _load(self, path: str, results: Dict) -> Optional[np.ndarray]:
        """The log-mel of ``path``; None when the policy marks a truncated
        file's audio missing."""
        if path.endswith('.npy'):
            return self._load_npy(path, results)
        wave = decode_audio(path, self.cfg.sample_rate)
        declared = declared_audio_seconds(path)
        decoded = len(wave) / self.cfg.sample_rate
        coverage = policy_of(results).min_audio_coverage
        if declared and decoded < coverage * declared and handle_bad_data(
                results, 'short_audio', path,
                f'its header declares {declared:.2f} s of audio, only '
                f'{decoded:.2f} s decode (a truncated file?)'
        ) == 'mark_missing':
            return None
        return log_mel_spectrogram(wave, self.cfg)

    def _check_values(self, results: Dict, path: str,
                      feature: np.ndarray) -> Optional[np.ndarray]:
        """NaN/inf and silence checks; None when the policy marks the audio
        missing."""
        bad = int(np.size(feature) - np.isfinite(feature).sum())
        if bad:
            handle_bad_data(
                results, 'nonfinite_features', path,
                f'{bad} of {feature.size} log-mel values are NaN or inf')
            return None  # mark_missing is the only other action
        spread = float(feature.max() - feature.min())
        if spread < SILENCE_SPREAD and handle_bad_data(
                results, 'silent_audio', path,
                f'the log-mel is constant ({float(feature.max()):.4g} over '
                f'{feature.shape[1]} frames): digital silence'
        ) == 'mark_missing':
            return None
        return feature

    def _load_npy(self, path: str, results: Dict) -> np.ndarray:
        """Load an extracted feature after checking its settings record."""
        record = self._records.find(path)
        if record is not None:
            try:
                check_record(
                    *record,
                    self.cfg,
                    asker='the pipeline (LoadAudioLogMel)',
                    remedy=('give LoadAudioLogMel the recorded settings or '
                            "re-extract the features with the pipeline's"))
            except ValueError as exc:
                handle_bad_data(results, 'feature_settings_mismatch', path,
                                str(exc))
        else:
            results['audio_feature_unchecked'] = True
            if not self._warned_unrecorded:
                self._warned_unrecorded = True
                warnings.warn(
                    f'no {RECORD_NAME} in the folder of {path} or above, so '
                    'its settings cannot be checked against the pipeline\'s '
                    f'({self.cfg}) beyond its duration; extract features '
                    'with tools/data/extract_audio_features.py to record '
                    'them (warned once)')
        feature = np.load(path).astype(np.float32, copy=False)
        if feature.ndim != 2 or feature.shape[0] != self.cfg.n_mels:
            handle_bad_data(
                results, 'feature_settings_mismatch', path,
                f'expected a ({self.cfg.n_mels}, n_frames) log-mel, got '
                f'{feature.shape}; was it extracted with the same n_mels?')
        return feature

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.cfg})'
