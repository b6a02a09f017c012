"""Sliding-window inference over a long video (like mmaction2's long-video
demo)."""
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Union

from mmaction.structures import ActionDataSample
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from torch import nn

from .inference import predict_results, prepare_inputs

#: Steps that depend on the whole file, not on a time window: run once per
#: video by :func:`inference_windows`.
ONCE_PER_FILE = frozenset(
    {'DecordInit', 'PyAVInit', 'OpenCVInit', 'LoadAudioLogMel'})


@dataclass
class WindowPrediction:
    """The prediction of one time window ``[start, end)`` seconds."""

    start: float
    end: float
    result: ActionDataSample


def window_starts(total_frames: int, window: int, stride: int) -> List[int]:
    """First frames of windows of ``window`` frames every ``stride`` frames;
    the last window ends at the last frame (one window if the video is
    shorter)."""
    if window < 1 or stride < 1:
        raise ValueError(f'window ({window}) and stride ({stride}) must be at '
                         'least one frame')
    last = max(total_frames - window, 0)
    starts = list(range(0, last + 1, stride))
    if starts[-1] != last:
        starts.append(last)
    return starts


def inference_windows(model: nn.Module,
                      video: Union[str, Path],
                      audio: Optional[Union[str, Path]] = None,
                      window_seconds: float = 2.0,
                      stride_seconds: Optional[float] = None,
                      test_pipeline: Optional[Sequence[dict]] = None,
                      progress: bool = False) -> List[WindowPrediction]:
    """Classify a long video window by window (like mmaction2's long-video
    demo).

    The file-level steps (:data:`ONCE_PER_FILE`: opening the video, the
    whole clip's log-mel) run once; every window then runs the rest of the
    test pipeline with ``total_frames`` set to the window's length and the
    sampled frame indices shifted to the window, so the audio windows
    follow the frames.

    Args:
        model, video, audio, test_pipeline: as :func:`inference_recognizer`
            (``video`` must be a video file).
        window_seconds: window length. Default 2.0.
        stride_seconds: step between window starts. Default None: the
            window length (no overlap).
        progress: show a progress bar. Default False.

    Returns:
        One :class:`WindowPrediction` per window, in time order.
    """
    results, pipeline, kind = prepare_inputs(model, video, audio,
                                             test_pipeline)
    if kind != 'video file':
        raise ValueError(f'sliding windows need a video file, got a {kind}')
    init_default_scope(model.cfg.get('default_scope', 'mmaction'))
    once = [s for s in pipeline if s.get('type') in ONCE_PER_FILE]
    per_window = Compose(
        [s for s in pipeline if s.get('type') not in ONCE_PER_FILE])
    results = Compose(once)(results)
    fps = float(results['avg_fps'])
    window = max(1, round(window_seconds * fps))
    stride = max(1, round((stride_seconds or window_seconds) * fps))
    starts = window_starts(int(results['total_frames']), window, stride)
    if progress:
        from tqdm import tqdm
        starts = tqdm(starts, desc='windows', unit='window')
    predictions = []
    length = min(window, int(results['total_frames']))
    for start in starts:
        item = dict(results, total_frames=length)
        for step in per_window.transforms:
            had_inds = 'frame_inds' in item
            item = step(item)
            if not had_inds and 'frame_inds' in item:
                item['frame_inds'] = item['frame_inds'] + start
        predictions.append(
            WindowPrediction(start / fps, (start + length) / fps,
                             predict_results(model, item, kind)))
    return predictions
