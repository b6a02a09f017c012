"""One audio-visual clip through the converter toolkit, and the command-line
options every converter shares (no OpenMMLab imports).

:func:`convert_av_clip` is what ``tools/data/cremad``, ``kinetics_sounds`` and
``from_mmaction_list.py`` do per clip: check the video, extract the audio
features (from a separate file or the video's own track), optionally the
rawframes, and return the annotation fields. :func:`add_audio_options` /
:func:`audio_config_from_args` turn the fields of ``AudioFeatureConfig`` into
``--n-mels``-style options, so every tool offers the same settings.
"""
import argparse
import os.path as osp
from typing import Any, Dict, Optional

from .audio import AudioFeatureConfig, audio_settings
from .conversion import SkipItem
from .media_extraction import (RAWFRAME_TEMPLATE, extract_audio_feature,
                               extract_rawframes, probe_media)


def convert_av_clip(video_path: str,
                    feature_path: str,
                    cfg: AudioFeatureConfig,
                    audio_path: Optional[str] = None,
                    frame_dir: Optional[str] = None,
                    short_side: Optional[int] = None) -> Dict[str, Any]:
    """Prepare one clip; returns the fields it adds to its annotation entry.

    Args:
        video_path: the clip's video (any container PyAV opens).
        feature_path: where its log-mel ``.npy`` goes (kept if complete).
        cfg: the audio feature settings.
        audio_path: a separate audio file. Default None: the video's own
            audio track.
        frame_dir: extract rawframes (``img_00001.jpg`` ...) here. Default
            None: keep the video only.
        short_side: rawframes' short side in pixels. Default None: original.

    Returns:
        ``total_frames`` (the rawframe count, or the video's frame count from
        its duration and fps) and ``audio_frames`` (the feature's length);
        with ``frame_dir`` also ``frame_dir`` and ``filename_tmpl``.

    Raises:
        SkipItem: the video is missing, unreadable, has no video stream, or
            the audio source is missing, unreadable or silent (no stream);
            its ``kind`` says which, the message names the file.
    """
    info = probe_media(video_path)
    if not info.has_video:
        raise SkipItem('no video stream', f'{video_path} has no video stream')
    if audio_path is None and not info.has_audio:
        raise SkipItem('no audio stream', f'{video_path} has no audio stream')
    _, audio_frames = extract_audio_feature(audio_path or video_path,
                                            feature_path, cfg)
    fields: Dict[str, Any] = dict(audio_frames=int(audio_frames))
    if frame_dir is not None:
        fields.update(
            frame_dir=frame_dir,
            filename_tmpl=RAWFRAME_TEMPLATE,
            total_frames=extract_rawframes(video_path, frame_dir, short_side))
    elif info.duration and info.fps:
        fields['total_frames'] = int(round(info.duration * info.fps))
    return fields


def feature_path_of(feature_root: str, media_rel: str) -> str:
    """``<feature_root>/<media_rel>.npy``: the layout of
    ``tools/data/extract_audio_features.py`` (``a/b.wav`` ->
    ``a/b.wav.npy``)."""
    return osp.join(feature_root, media_rel + '.npy')


def add_audio_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--sample-rate``, ``--n-mels`` ... (one option per field of
    ``AudioFeatureConfig``, documented as the field is) to ``parser``."""
    group = parser.add_argument_group(
        'feature settings (the fields of AudioFeatureConfig)')
    for setting in audio_settings():
        group.add_argument(
            '--' + setting.name.replace('_', '-'),
            dest=setting.name,
            type=setting.type,
            default=setting.default,
            help=setting.doc.replace('%', '%%'))


def audio_config_from_args(args: argparse.Namespace) -> AudioFeatureConfig:
    """The ``AudioFeatureConfig`` of options added by
    :func:`add_audio_options`."""
    return AudioFeatureConfig(
        **{s.name: getattr(args, s.name)
           for s in audio_settings()})


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """Add the options every converter shares: ``--rawframes``,
    ``--short-side``, ``--no-progress`` and the audio settings."""
    parser.add_argument(
        '--rawframes',
        action='store_true',
        help='also extract rawframes (img_00001.jpg ...) to <out>/rawframes '
        '(default: keep the videos, which the configs read with decord)')
    parser.add_argument(
        '--short-side',
        type=int,
        default=None,
        help='resize rawframes to this short side (default: original size)')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bars')
    add_audio_options(parser)
