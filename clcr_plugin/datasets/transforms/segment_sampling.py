"""Fixed time segments of a clip: frames and the audio window of each
segment.

``SampleSegmentFrames`` owns the segments (``num_segments`` consecutive
spans of ``segment_seconds`` from 0 s) and records them in
``results['segment_spans']``; ``SampleSegmentAudio`` cuts the audio of the
same spans, so the two modalities of a segment cover the same seconds. AVE's
per-second localisation uses 10 segments of 1 s; its clip classification one
segment of 10 s.
"""
from typing import Dict, Optional

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from .audio_transforms import require_key


def segment_frame_indices(spans: np.ndarray, frames_per_segment: int,
                          fps: float, total_frames: int,
                          random: bool) -> np.ndarray:
    """Frame indices inside each time segment.

    Each span ``[a, b)`` seconds is cut into ``frames_per_segment`` equal
    bins; each bin gives the frame shown at its middle or (``random``) a
    uniformly random frame whose start lies in it, drawn with numpy's global
    RNG (which mmengine seeds per worker). Indices are clamped to
    ``[0, total_frames - 1]``, so a video shorter than the segments repeats
    its last frame.

    Args:
        spans: (S, 2) ``[start, end)`` seconds.
        frames_per_segment: F, frames per segment.
        fps: frames per second of the video.
        total_frames: frames in the video.
        random: random frames (training) instead of the middle ones.

    Returns:
        (S * F,) int64 indices, segment-major.
    """
    edges = spans[:, :1] + (spans[:, 1:] - spans[:, :1]) * np.arange(
        frames_per_segment + 1) / frames_per_segment  # (S, F + 1) seconds
    if random:
        first = np.ceil(edges[:, :-1] * fps - 1e-9).astype(np.int64)
        last = np.maximum(
            np.ceil(edges[:, 1:] * fps - 1e-9).astype(np.int64) - 1, first)
        inds = np.random.randint(first, last + 1).astype(np.int64)
    else:
        times = (edges[:, :-1] + edges[:, 1:]) / 2
        inds = np.floor(times * fps).astype(np.int64)
    return np.clip(inds, 0, max(total_frames - 1, 0)).reshape(-1)


@TRANSFORMS.register_module()
class SampleSegmentFrames(BaseTransform):
    """Sample frames in each of ``num_segments`` consecutive time segments.

    Segment ``s`` spans ``[s * segment_seconds, (s + 1) * segment_seconds)``
    seconds of the video; see :func:`segment_frame_indices` for the frames
    taken in it (middle frames with ``test_mode``, random ones otherwise).
    The fps is ``results['avg_fps']`` (``DecordInit``), else
    ``fallback_fps``; ``results['total_frames']`` bounds the indices.

    Adds ``frame_inds`` ((S * F,) plus ``start_index``), ``clip_len`` = F,
    ``num_clips`` = S, ``frame_interval`` = None and ``segment_spans``
    ((S, 2) float64 seconds, read by ``SampleSegmentAudio``). After
    ``FormatShape('NCHW')`` the frames are ``(S * F, C, H, W)``; with the
    recognizer's ``frames_per_view=F`` every segment is one view, fused on
    its own.

    Args:
        num_segments: S. Default 10.
        segment_seconds: length of a segment. Default 1.0.
        frames_per_segment: F. Default 1.
        test_mode: middle frames instead of random ones. Default False.
        fallback_fps: fps when the results carry none. Default None (then a
            missing fps is a KeyError).
    """

    def __init__(self,
                 num_segments: int = 10,
                 segment_seconds: float = 1.0,
                 frames_per_segment: int = 1,
                 test_mode: bool = False,
                 fallback_fps: Optional[float] = None) -> None:
        for name, value in (('num_segments', num_segments), ('segment_seconds',
                                                             segment_seconds),
                            ('frames_per_segment', frames_per_segment)):
            if value <= 0:
                raise ValueError(
                    f'SampleSegmentFrames: {name} must be positive, got '
                    f'{value}')
        if fallback_fps is not None and fallback_fps <= 0:
            raise ValueError('SampleSegmentFrames: fallback_fps must be '
                             f'positive or None, got {fallback_fps}')
        self.num_segments = int(num_segments)
        self.segment_seconds = float(segment_seconds)
        self.frames_per_segment = int(frames_per_segment)
        self.test_mode = test_mode
        self.fallback_fps = fallback_fps

    def spans(self) -> np.ndarray:
        """(S, 2) ``[start, end)`` seconds of the segments."""
        starts = np.arange(self.num_segments) * self.segment_seconds
        return np.stack([starts, starts + self.segment_seconds], 1)

    def transform(self, results: Dict) -> Dict:
        fps = results.get('avg_fps') or self.fallback_fps
        if not fps:
            raise KeyError(
                "SampleSegmentFrames needs results['avg_fps'] (set by "
                "DecordInit) or fallback_fps=<the videos' fps>")
        total = int(
            require_key(results, 'total_frames', 'SampleSegmentFrames'))
        spans = self.spans()
        inds = segment_frame_indices(spans, self.frames_per_segment,
                                     float(fps), total, not self.test_mode)
        results['frame_inds'] = inds + int(results.get('start_index', 0))
        results['clip_len'] = self.frames_per_segment
        results['frame_interval'] = None
        results['num_clips'] = self.num_segments
        results['segment_spans'] = spans
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_segments={self.num_segments}, '
                f'segment_seconds={self.segment_seconds}, '
                f'frames_per_segment={self.frames_per_segment}, '
                f'test_mode={self.test_mode}, '
                f'fallback_fps={self.fallback_fps})')


@TRANSFORMS.register_module()
class SampleSegmentAudio(BaseTransform):
    """Cut the audio of every segment that ``SampleSegmentFrames`` chose.

    Reads ``results['segment_spans']`` ((S, 2) seconds), the whole clip's
    ``audio_feature`` (n_mels, n_frames) and ``audio_frame_rate``
    (``LoadAudioLogMel``). Segment ``[a, b)`` becomes feature frames
    ``[round(a * rate), round(a * rate) + window_frames)``; frames after the
    audio's end (a clip shorter than its segments) are padded.

    Output ``audios``: (S, 1, n_mels, window_frames) float32, one window per
    segment in the segments' order.

    Args:
        window_frames: frames per window. Default None: the segment length
            times the frame rate, rounded.
        pad_mode: ``'constant'`` (``pad_value``) or ``'edge'`` (repeat the
            last frame). Default ``'constant'``.
        pad_value: constant padding. Default None: the feature's minimum,
            the clip's silence level in the log domain.
    """

    def __init__(self,
                 window_frames: Optional[int] = None,
                 pad_mode: str = 'constant',
                 pad_value: Optional[float] = None) -> None:
        if window_frames is not None and window_frames <= 0:
            raise ValueError('SampleSegmentAudio: window_frames must be '
                             f'positive or None, got {window_frames}')
        if pad_mode not in ('constant', 'edge'):
            raise ValueError("SampleSegmentAudio: pad_mode must be 'constant' "
                             f"or 'edge', got {pad_mode!r}")
        self.window_frames = window_frames
        self.pad_mode = pad_mode
        self.pad_value = pad_value

    def transform(self, results: Dict) -> Dict:
        name = 'SampleSegmentAudio'
        spans = np.asarray(require_key(results, 'segment_spans', name), float)
        feature = np.asarray(require_key(results, 'audio_feature', name))
        rate = float(require_key(results, 'audio_frame_rate', name))
        n_frames = feature.shape[1]
        width = self.window_frames or max(
            1, int(round((spans[0, 1] - spans[0, 0]) * rate)))
        # (S, width) feature-frame indices of every window
        idx = np.round(spans[:, :1] * rate).astype(int) + np.arange(width)
        windows = feature[:, np.clip(idx, 0, n_frames - 1)]  # (M, S, width)
        if self.pad_mode == 'constant':
            pad = float(
                feature.min()) if self.pad_value is None else self.pad_value
            windows[:, (idx < 0) | (idx >= n_frames)] = pad
        results['audios'] = np.ascontiguousarray(
            windows.transpose(1, 0, 2)[:, None], dtype=np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f'window_frames={self.window_frames}, '
                f'pad_mode={self.pad_mode!r}, pad_value={self.pad_value})')
