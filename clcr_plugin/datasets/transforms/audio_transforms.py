"""Audio transforms: whole-clip log-mel, then one window per sampled video
clip."""
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
from ..bad_data import (EVENTS_KEY, BadDataError, handle_bad_data,
                        is_unavailable, mark_unavailable, policy_of)

# a log-mel whose values all lie within this of each other is digital silence
SILENCE_SPREAD = 1e-3


def require_key(results: Dict, key: str, transform: str) -> object:
    """``results[key]``, or a KeyError naming ``transform`` and the keys
    present."""
    if key not in results:
        raise KeyError(f'{transform} needs results[{key!r}]; available keys: '
                       f'{sorted(results)}')
    return results[key]


def _reader_fps(reader: object) -> Optional[float]:
    """Average fps of an open decord, PyAV or mmcv video reader (None if
    unknown)."""
    if hasattr(reader, 'get_avg_fps'):  # decord.VideoReader
        return float(reader.get_avg_fps())
    if hasattr(reader,
               'streams') and reader.streams.video:  # av container (PyAVInit)
        rate = reader.streams.video[0].average_rate
        return float(rate) if rate else None
    fps = getattr(reader, 'fps', None)  # mmcv.VideoReader (OpenCVInit)
    return float(fps) if fps else None


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


@TRANSFORMS.register_module()
class SampleAudioWindows(BaseTransform):
    """Cut the audio window of every video clip that a frame sampler chose.

    Clip ``i`` holds frames ``frame_inds[i * clip_len:(i + 1) * clip_len]``
    (as ``SampleFrames`` and its relatives lay them out) and so spans
    ``[first / fps, (last + 1) / fps)`` seconds (indices less
    ``start_index``). With ``window_seconds`` the window is that long and
    centred on the span; with ``window_seconds=None`` it is the span itself.
    The cut is then centre-cropped or right-padded to ``window_frames`` (when
    given; it is ``window_seconds`` long otherwise). Feature frames before
    0 s or after the audio's end are padded (log floor or edge), so windows
    stay aligned in time. Without ``frame_inds`` (audio-only pipelines)
    ``num_clips`` windows are spaced evenly over the audio.

    The fps is ``results['avg_fps']`` (``DecordInit``), else that of a still
    open ``results['video_reader']`` (``PyAVInit``/``OpenCVInit`` set none, so
    put this transform before their Decode step), else ``fallback_fps``.

    Output ``audios``: (num_clips, 1, n_mels, window_frames) float32, in the
    clips' order, so multi-clip test views stay aligned with the video views.

    Where the video's duration is known (``total_frames`` and an fps), the
    audio must last at least ``min_audio_coverage`` of it (the dataset's
    policy, default 0.9), else the ``short_audio`` case applies (``'pad'``
    keeps the padded windows, ``'mark_missing'`` zeroes them); a ``.npy``
    without a settings record that lasts more than ``1 / min_audio_coverage``
    times the video is a ``feature_settings_mismatch``. A placeholder
    feature (``LoadAudioLogMel`` under ``'mark_missing'``) gives zero windows,
    listed in ``results['unavailable_keys']``.

    Args:
        window_seconds: window length in seconds; None to use each clip's
            span. Default 1.0.
        window_frames: output length in feature frames. Default None:
            ``round(window_seconds * audio_frame_rate)``; required when
            ``window_seconds`` is None.
        num_clips: windows for audio-only pipelines. Default 1.
        fallback_fps: video fps when the results carry none. Default None
            (then a missing fps is a KeyError).
        pad_mode: ``'constant'`` or ``'edge'``. Default ``'constant'``.
        pad_value: constant padding. Default None: the feature's minimum,
            i.e. the clip's silence level in the log domain.
    """

    def __init__(self,
                 window_seconds: Optional[float] = 1.0,
                 window_frames: Optional[int] = None,
                 num_clips: int = 1,
                 fallback_fps: Optional[float] = None,
                 pad_mode: str = 'constant',
                 pad_value: Optional[float] = None) -> None:
        if window_seconds is None and window_frames is None:
            raise ValueError(
                'window_seconds=None (windows = clip spans) needs '
                'window_frames')
        if window_seconds is not None and window_seconds <= 0:
            raise ValueError('window_seconds must be positive or None, got '
                             f'{window_seconds}')
        if window_frames is not None and window_frames <= 0:
            raise ValueError(
                f'window_frames must be positive or None, got {window_frames}')
        if num_clips <= 0:
            raise ValueError(f'num_clips must be positive, got {num_clips}')
        if fallback_fps is not None and fallback_fps <= 0:
            raise ValueError(
                f'fallback_fps must be positive or None, got {fallback_fps}')
        if pad_mode not in ('constant', 'edge'):
            raise ValueError(
                f"pad_mode must be 'constant' or 'edge', got {pad_mode!r}")
        self.window_seconds = window_seconds
        self.window_frames = window_frames
        self.num_clips = num_clips
        self.fallback_fps = fallback_fps
        self.pad_mode = pad_mode
        self.pad_value = pad_value

    def video_fps(self, results: Dict) -> float:
        """The fps that maps ``frame_inds`` to seconds."""
        fps = results.get('avg_fps')
        if not fps and results.get('video_reader') is not None:
            fps = _reader_fps(results['video_reader'])
        fps = fps or self.fallback_fps
        if not fps:
            raise KeyError(
                "SampleAudioWindows needs results['avg_fps'] (set by "
                "DecordInit), an open "
                "results['video_reader'], or fallback_fps=<the videos' fps>")
        return float(fps)

    def clip_spans(self, results: Dict, duration: float) -> np.ndarray:
        """Time span of every sampled clip.

        Args:
            results: the pipeline's dict (``frame_inds``, ``num_clips``,
                ``clip_len``, fps keys), or one without ``frame_inds``.
            duration: audio length in seconds (for audio-only spacing).

        Returns:
            (num_clips, 2) float64 ``[start, end)`` seconds.
        """
        if 'frame_inds' not in results:
            edges = np.arange(self.num_clips + 1) * duration / self.num_clips
            return np.stack([edges[:-1], edges[1:]], 1)
        inds = np.asarray(results['frame_inds']).reshape(-1) - int(
            results.get('start_index', 0))
        num_clips = int(
            require_key(results, 'num_clips', 'SampleAudioWindows'))
        clip_len = int(results.get('clip_len', len(inds) // num_clips))
        if len(inds) != num_clips * clip_len:
            raise ValueError(
                f'SampleAudioWindows: {len(inds)} frame_inds are not '
                f'num_clips={num_clips} clips '
                f'of clip_len={clip_len} frames')
        clips = inds.reshape(num_clips, clip_len)
        fps = self.video_fps(results)
        return np.stack([clips.min(1), clips.max(1) + 1], 1) / fps

    def transform(self, results: Dict) -> Dict:
        feature = np.asarray(
            require_key(results, 'audio_feature',
                        'SampleAudioWindows'))  # (n_mels, n_frames)
        rate = float(
            require_key(results, 'audio_frame_rate', 'SampleAudioWindows'))
        n_mels, n_frames = feature.shape
        missing = is_unavailable(
            results, 'audio_feature') or (self._short_audio(
                results, n_frames / rate) == 'mark_missing')
        spans = self.clip_spans(
            results,
            n_frames / rate) * rate  # (num_clips, 2) in feature frames
        # widen (or narrow) every span to window_seconds
        if self.window_seconds is not None:
            width = max(1, int(round(self.window_seconds * rate)))
            starts = np.round(spans.mean(1) - width / 2).astype(int)
            stops = starts + width
            length = self.window_frames or width
        else:
            starts = np.round(spans[:, 0]).astype(int)
            stops = np.maximum(np.round(spans[:, 1]).astype(int), starts + 1)
            length = self.window_frames
        pad_value = float(
            feature.min()) if self.pad_value is None else self.pad_value
        windows = [
            self._cut(feature, a, b, length, pad_value)
            for a, b in zip(starts, stops)
        ]
        audios = np.stack(windows)[:, None].astype(
            np.float32)  # (num_clips, 1, n_mels, length)
        if missing:
            audios[:] = 0
            mark_unavailable(results, 'audios')
        results['audios'] = audios
        return results

    def _short_audio(self, results: Dict,
                     audio_seconds: float) -> Optional[str]:
        """Compare the audio's duration with the video's; the policy's action
        when the audio is too short, else None.

        Raises:
            BadDataError: the policy says ``'error'`` or ``'skip'``, or an
                unrecorded ``.npy`` is far longer than the video.
        """
        if 'total_frames' not in results or 'frame_inds' not in results:
            return None  # no video to compare with
        if any(e['kind'] == 'short_audio'
               for e in results.get(EVENTS_KEY, [])):
            return 'pad'  # LoadAudioLogMel found it truncated and kept it
        video_seconds = int(results['total_frames']) / self.video_fps(results)
        coverage = policy_of(results).min_audio_coverage
        path = str(results.get('audio_path') or results.get('filename'))
        unchecked = results.get('audio_feature_unchecked', False)
        if audio_seconds < coverage * video_seconds:
            hint = (' (or the .npy was made with a longer hop or a lower '
                    'sample rate than the pipeline\'s: it has no settings '
                    'record)' if unchecked else '')
            return handle_bad_data(
                results, 'short_audio', path,
                f'the audio lasts {audio_seconds:.2f} s, less than '
                f'min_audio_coverage={coverage} of the video\'s '
                f'{video_seconds:.2f} s{hint}')
        if unchecked and audio_seconds * coverage > video_seconds:
            handle_bad_data(
                results, 'feature_settings_mismatch', path,
                f'the .npy lasts {audio_seconds:.2f} s at the pipeline\'s '
                f'{float(results["audio_frame_rate"]):g} frames/s, the video '
                f'{video_seconds:.2f} s: made with a shorter hop or a higher '
                'sample rate? (it has no settings record)')
        return None

    def _cut(self, feature: np.ndarray, start: int, stop: int, length: int,
             pad_value: float) -> np.ndarray:
        """Frames ``[start, stop)`` of ``feature`` (n_mels, n_frames), fitted
        to (n_mels, length).

        A longer span is centre-cropped, a shorter one padded on the right;
        frames outside the feature are padded in place.
        """
        idx = np.arange(start, stop)
        if len(idx) > length:
            offset = (len(idx) - length) // 2
            idx = idx[offset:offset + length]
        inside = (idx >= 0) & (idx < feature.shape[1])
        if len(idx) < length:
            idx = np.concatenate([idx,
                                  np.full(length - len(idx),
                                          idx[-1])])  # repeats the last frame
            inside = np.concatenate(
                [inside, np.zeros(length - len(inside), bool)])
        window = feature[:, np.clip(idx, 0,
                                    feature.shape[1] - 1)]  # edge padding
        if self.pad_mode == 'constant':
            window[:, ~inside] = pad_value
        return window

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(window_seconds={self.window_seconds}, '
            f'window_frames={self.window_frames}, num_clips={self.num_clips}, '
            f'fallback_fps={self.fallback_fps}, pad_mode={self.pad_mode!r}, '
            f'pad_value={self.pad_value})')
