"""What every converter in ``tools/data/<set>/`` shares (no OpenMMLab
imports).

A converter lists its items, then hands each to :func:`process_items`, which
shows a progress bar and never stops halfway: an item whose work raises is
recorded in the :class:`ConversionReport` (with :class:`SkipItem`'s kind, e.g.
``'unreadable'``, ``'missing'``, ``'no audio stream'``) and skipped. The
report counts the kept clips per split and class and writes
``conversion_report.json`` / ``.txt`` into the output folder.

Outputs are resumable: files are written under a temporary name and renamed
(:func:`atomic_path`), rawframe folders get a completion marker
(:func:`extract_rawframes`), and a complete output is never redone. The media
helpers (:func:`probe_media`, :func:`extract_rawframes`,
:func:`extract_audio_feature`) read any container PyAV opens; the annotation
helpers write the JSON that ``AudioVisualDataset`` reads and ``classes.txt``.
"""
import json
import os
import os.path as osp
import shutil
from collections import Counter, defaultdict
from contextlib import contextmanager
from typing import (Any, Callable, Dict, Iterator, List, NamedTuple, Optional,
                    Sequence, Tuple, TypeVar)

import numpy as np

from .audio import AudioFeatureConfig, decode_audio, log_mel_spectrogram
from .audio_record import RECORD_NAME, check_record, read_record, write_record

REPORT_NAME = 'conversion_report'
CLASS_MAP_NAME = 'classes.txt'
FRAMES_DONE = '.frames_complete'  # marker in a finished rawframe folder
RAWFRAME_TEMPLATE = 'img_{:05d}.jpg'  # mmaction2's RawframeDataset default

Item = TypeVar('Item')
Result = TypeVar('Result')


class SkipItem(Exception):
    """Raised by a converter's work on one item to skip it with a reason.

    Args:
        kind: the report's category, e.g. ``'missing'``, ``'unreadable'``,
            ``'no audio stream'``.
        reason: what is wrong, naming the file.
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


class UnreadableMediaError(SkipItem):
    """A media file that PyAV cannot open or decode."""

    def __init__(self, reason: str) -> None:
        super().__init__('unreadable', reason)


class ConversionReport:
    """Skipped sources with reasons and kept clips per split and class.

    Args:
        out_dir: where :meth:`write` puts ``conversion_report.json/.txt``.
        title: the first line of the summary, e.g. ``'CREMA-D'``.
    """

    def __init__(self, out_dir: str, title: str) -> None:
        self.out_dir = out_dir
        self.title = title
        self.skipped: List[Dict[str, str]] = []
        self.counts: Dict[str, Counter] = defaultdict(Counter)

    def skip(self, source: str, kind: str, reason: str) -> None:
        """Record that ``source`` was left out, as ``kind``, for ``reason``."""
        self.skipped.append(dict(source=str(source), kind=kind, reason=reason))

    def add(self, split: str, class_name: str) -> None:
        """Count one kept clip of ``class_name`` in ``split``."""
        self.counts[split][class_name] += 1

    def skipped_by_kind(self) -> Dict[str, int]:
        """``{kind: number of skipped sources}``, kinds sorted."""
        return dict(sorted(Counter(s['kind'] for s in self.skipped).items()))

    def summary(self) -> str:
        """A table of clips per class (rows) and split (columns), totals,
        then the skipped sources grouped by kind."""
        splits = list(self.counts)
        classes = sorted(
            {c
             for counts in self.counts.values()
             for c in counts})
        width = max([len('class'), len('total')] + [len(c) for c in classes])
        cols = [max(len(s), 5) for s in splits]
        line = ' '.join(['class'.ljust(width)] +
                        [s.rjust(w) for s, w in zip(splits, cols)])
        rows = [self.title, line, '-' * len(line)]
        for name in classes + ['total']:
            values = [
                sum(self.counts[s].values())
                if name == 'total' else self.counts[s][name] for s in splits
            ]
            rows.append(
                ' '.join([name.ljust(width)] +
                         [str(v).rjust(w) for v, w in zip(values, cols)]))
        rows.append(f'skipped: {len(self.skipped)}' +
                    ''.join(f'\n  {kind}: {n}'
                            for kind, n in self.skipped_by_kind().items()))
        rows += [
            f'  {s["kind"]}: {s["source"]}: {s["reason"]}'
            for s in self.skipped
        ]
        return '\n'.join(rows)

    def write(self, echo: bool = True) -> Tuple[str, str]:
        """Write ``conversion_report.json`` and ``.txt`` to ``out_dir``
        (printing the summary when ``echo``); returns both paths."""
        os.makedirs(self.out_dir, exist_ok=True)
        base = osp.join(self.out_dir, REPORT_NAME)
        text = self.summary()
        write_json(
            base + '.json',
            dict(
                title=self.title,
                counts={
                    s: dict(c)
                    for s, c in self.counts.items()
                },
                skipped_by_kind=self.skipped_by_kind(),
                skipped=self.skipped))
        with atomic_path(base + '.txt') as tmp, open(tmp, 'w') as f:
            f.write(text + '\n')
        if echo:
            print(text)
        return base + '.json', base + '.txt'


def process_items(items: Sequence[Item],
                  work: Callable[[Item], Result],
                  report: ConversionReport,
                  desc: str,
                  source_of: Callable[[Item], str] = str,
                  progress: bool = True) -> List[Tuple[Item, Result]]:
    """Run ``work`` on every item under a tqdm bar; returns the
    ``(item, result)`` pairs that succeeded, in order.

    An item whose work raises :class:`SkipItem` is recorded under its kind,
    any other exception under ``'failed'`` (with the exception's type); the
    loop goes on either way. ``source_of(item)`` names the item in the report.
    """
    from tqdm import tqdm

    done = []
    for item in tqdm(items, desc=desc, disable=not progress, unit='clip'):
        try:
            done.append((item, work(item)))
        except SkipItem as exc:
            report.skip(source_of(item), exc.kind, str(exc))
        except Exception as exc:  # one bad item must not stop the run
            report.skip(
                source_of(item), 'failed', f'{type(exc).__name__}: {exc}')
    return done


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path beside ``path``; on success rename it to
    ``path``, on error remove it. The temporary name keeps the extension
    (``a.npy`` -> ``a.part.npy``), so writers that add one do not change it.
    """
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    stem, ext = osp.splitext(path)
    tmp = f'{stem}.part{ext}'
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def write_json(path: str, obj: Any) -> None:
    """Write ``obj`` as indented json to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        json.dump(obj, f, indent=1)


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


def write_class_map(path: str, classes: Sequence[str]) -> None:
    """Write ``classes.txt``: one name per line, the label is the line
    index."""
    bad = [c for c in classes if not c or '\n' in c or c != c.strip()]
    if bad or len(set(classes)) != len(classes):
        raise ValueError(
            f'class names must be unique, non-empty single lines without '
            f'outer spaces; got {list(classes)}')
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        f.writelines(f'{c}\n' for c in classes)


def read_class_map(path: str) -> List[str]:
    """The class names of a ``classes.txt`` (blank lines are errors).

    Raises:
        ValueError naming ``path`` and the line of a blank or repeated name.
    """
    with open(path) as f:
        names = f.read().splitlines()
    for i, name in enumerate(names):
        if not name.strip() or name in names[:i]:
            raise ValueError(
                f'{path}: line {i + 1} is {name!r}; expected one unique, '
                'non-empty class name per line')
    return [n.strip() for n in names]


def write_annotation(path: str, data_list: Sequence[Dict[str, Any]],
                     classes: Sequence[str], dataset: str,
                     **metainfo: Any) -> None:
    """Write the JSON that ``AudioVisualDataset`` reads.

    ``{"metainfo": {"classes": [...], "dataset": dataset, **metainfo},
    "data_list": [{"video": ..., "label": ..., "audio": ...}, ...]}``

    Raises:
        ValueError: an entry has no ``video`` path or a label that is not an
            int in ``[0, len(classes))``; the message names its index.
    """
    for i, entry in enumerate(data_list):
        label = entry.get('label')
        if not entry.get('video') or isinstance(label, bool) or not isinstance(
                label, int) or not 0 <= label < len(classes):
            raise ValueError(
                f'{path}: data_list[{i}] = {entry!r} needs a "video" path and '
                f'an int "label" in [0, {len(classes)})')
    write_json(
        path,
        dict(
            metainfo=dict(classes=list(classes), dataset=dataset, **metainfo),
            data_list=list(data_list)))
