"""Frames and audio features out of media files, for the converters (no
OpenMMLab imports).

:func:`probe_media`, :func:`extract_rawframes` and
:func:`extract_audio_feature` read any container PyAV opens. Outputs are
resumable: rawframe folders get a completion marker and feature files are
written atomically (:func:`~.conversion.atomic_path`); a complete output is
never redone. An unreadable file raises :class:`~.conversion.SkipItem`'s
kinds, which :func:`~.conversion.process_items` records and skips.
"""
import os
import os.path as osp
import shutil
from typing import NamedTuple, Optional, Tuple

import numpy as np

from .audio import AudioFeatureConfig, decode_audio, log_mel_spectrogram
from .audio_record import RECORD_NAME, check_record, read_record, write_record
from .conversion import SkipItem, UnreadableMediaError, atomic_path

FRAMES_DONE = '.frames_complete'  # marker in a finished rawframe folder
RAWFRAME_TEMPLATE = 'img_{:05d}.jpg'  # mmaction2's RawframeDataset default


class MediaInfo(NamedTuple):
    """What :func:`probe_media` found in a file."""

    has_video: bool
    has_audio: bool
    duration: Optional[float]  # seconds; None when the container has none
    fps: Optional[float]  # average video frame rate; None without video


def probe_media(path: str) -> MediaInfo:
    """Open ``path`` with PyAV and describe its streams (nothing decoded).

    Raises:
        SkipItem (kind ``'missing'``): ``path`` does not exist.
        UnreadableMediaError: PyAV cannot open it; the message names it.
    """
    import av

    if not osp.isfile(path):
        raise SkipItem('missing', f'{path} does not exist')
    try:
        container = av.open(path)
    except Exception as exc:  # PyAV raises many error types
        raise UnreadableMediaError(f'cannot open {path}: {exc}') from exc
    with container:
        video = container.streams.video
        duration = None
        if container.duration is not None:
            duration = container.duration / av.time_base
        elif video and video[0].duration is not None:
            duration = float(video[0].duration * video[0].time_base)
        rate = video[0].average_rate if video else None
        return MediaInfo(
            has_video=bool(video),
            has_audio=bool(container.streams.audio),
            duration=duration,
            fps=float(rate) if rate else None)


def rawframes_done(frame_dir: str) -> Optional[int]:
    """The frame count of a finished rawframe folder, None if unfinished."""
    marker = osp.join(frame_dir, FRAMES_DONE)
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        return int(f.read())


def mark_rawframes_done(frame_dir: str, num_frames: int) -> None:
    """Write the completion marker (last, after every frame)."""
    with atomic_path(osp.join(frame_dir, FRAMES_DONE)) as tmp:
        with open(tmp, 'w') as f:
            f.write(str(num_frames))


def short_side_size(height: int, width: int,
                    short_side: int) -> Tuple[int, int]:
    """``(new_height, new_width)`` with the short side ``short_side`` and the
    aspect ratio kept (rounded)."""
    scale = short_side / min(height, width)
    return (max(1,
                int(round(height * scale))), max(1, int(round(width * scale))))


def extract_rawframes(video_path: str,
                      frame_dir: str,
                      short_side: Optional[int] = None,
                      template: str = RAWFRAME_TEMPLATE) -> int:
    """Decode every frame of ``video_path`` to ``frame_dir/img_00001.jpg``...
    (mmaction2's rawframe layout, numbered from 1); returns the count.

    A folder with the completion marker is not redone (its count is
    returned); an unfinished one is cleared first.

    Args:
        video_path: any video PyAV opens.
        frame_dir: the clip's frame folder.
        short_side: resize so the short side has this many pixels (aspect
            kept). Default None: original size.
        template: file name of frame ``i`` (from 1). Default
            ``'img_{:05d}.jpg'``.

    Raises:
        UnreadableMediaError: the file cannot be opened or decoded, or holds
            no video frame.
    """
    import av
    import cv2

    done = rawframes_done(frame_dir)
    if done is not None:
        return done
    if osp.isdir(frame_dir):
        shutil.rmtree(frame_dir)
    os.makedirs(frame_dir)
    count = 0
    try:
        with av.open(video_path) as container:
            if not container.streams.video:
                raise UnreadableMediaError(f'{video_path} has no video stream')
            for frame in container.decode(video=0):
                bgr = frame.to_ndarray(format='bgr24')  # (H, W, 3) uint8
                if short_side is not None:
                    h, w = short_side_size(*bgr.shape[:2], short_side)
                    bgr = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_AREA)
                count += 1
                cv2.imwrite(osp.join(frame_dir, template.format(count)), bgr)
    except UnreadableMediaError:
        raise
    except Exception as exc:
        raise UnreadableMediaError(
            f'cannot decode the video of {video_path} (after {count} frames): '
            f'{exc}') from exc
    if count == 0:
        raise UnreadableMediaError(f'{video_path} holds no video frame')
    mark_rawframes_done(frame_dir, count)
    return count


def npy_loads(path: str) -> bool:
    """Whether ``path`` exists and loads as a ``.npy`` (a complete output)."""
    try:
        np.load(path, mmap_mode='r')
        return True
    except (ValueError, OSError):
        return False


def prepare_feature_dir(
        feature_dir: str,
        cfg: AudioFeatureConfig,
        remedy: str = 'use another output folder or the same settings'
) -> None:
    """Record ``cfg`` in ``feature_dir/audio_feature_config.json`` (the record
    ``LoadAudioLogMel`` checks), or raise ValueError if the folder holds
    features made with other settings (the message ends with ``remedy``)."""
    path = osp.join(feature_dir, RECORD_NAME)
    if osp.isfile(path):
        check_record(
            path, read_record(path), cfg, asker='this run', remedy=remedy)
    else:
        write_record(feature_dir, cfg)


def extract_audio_feature(media_path: str, npy_path: str,
                          cfg: AudioFeatureConfig) -> Tuple[int, int]:
    """Write the log-mel of ``media_path``'s audio (a wav, or a video's own
    track) to ``npy_path``; returns its shape ``(n_mels, n_frames)``.

    An existing loadable ``npy_path`` is kept (its shape returned). Call
    :func:`prepare_feature_dir` on the features' root once, so the settings
    are recorded where ``LoadAudioLogMel`` looks.

    Raises:
        SkipItem (kind ``'missing'``): ``media_path`` does not exist.
        SkipItem (kind ``'no audio stream'``): it has no (or an empty) audio
            stream.
        UnreadableMediaError: it cannot be opened or decoded.
    """
    if npy_loads(npy_path):
        return tuple(np.load(npy_path, mmap_mode='r').shape)
    if not osp.isfile(media_path):
        raise SkipItem('missing', f'{media_path} does not exist')
    try:
        wave = decode_audio(media_path, cfg.sample_rate)
    except ValueError as exc:  # no audio stream, or an empty one
        raise SkipItem('no audio stream', str(exc)) from exc
    except RuntimeError as exc:
        raise UnreadableMediaError(str(exc)) from exc
    feature = log_mel_spectrogram(wave, cfg)  # (n_mels, n_frames)
    with atomic_path(npy_path) as tmp:
        np.save(tmp, feature)
    return feature.shape
