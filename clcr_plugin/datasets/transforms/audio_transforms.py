"""``SampleAudioWindows``: one audio window per sampled video clip (and the
shared helpers of the audio transforms)."""
from typing import Dict, Optional

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from ..bad_data import (EVENTS_KEY, handle_bad_data, is_unavailable,
                        mark_unavailable, policy_of)


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
