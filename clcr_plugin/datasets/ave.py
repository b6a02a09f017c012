"""AVE (Tian et al., ECCV 2018): the official release to our annotation lists
(no OpenMMLab imports; ``tools/data/ave/convert.py`` is the command line).

The release holds ``AVE/<VideoID>.mp4`` (10 s videos with their audio),
``Annotations.txt`` (a header line, then one row per event) and the splits
``trainSet.txt`` / ``valSet.txt`` / ``testSet.txt`` (rows of the same form,
3,339 / 402 / 402). A row is ``Category&VideoID&Quality&StartTime&EndTime``
with whole seconds; seconds outside ``[start, end)`` are background.

Quirks of the real files, handled here:

* category names hold commas, spaces and brackets
  (``Male speech, man speaking``, ``Frying (food)``): only ``&`` separates
  fields, and a row is split at its last four ``&``;
* a header line (``Category&VideoID&...``) opens ``Annotations.txt``; copies
  circulate with and without it, and with a UTF-8 byte-order mark or Windows
  line ends: all are accepted;
* some rows have an empty event (``...&good&0&0``): the clip keeps its
  category, every second is background (as the AVE code builds its labels);
  such rows are counted in the metainfo (``empty_event_rows``);
* one video can hold several events, so a ``VideoID`` can appear in several
  rows (of different categories): each row is a sample, the video and its
  audio feature are shared.

Rows that cannot be read (wrong field count, non-integer or out-of-range
times, a category missing from ``Annotations.txt``) and videos that are
missing, unreadable or without an audio stream are listed in the conversion
report and left out; the run never stops halfway.
"""
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from .audio import AudioFeatureConfig
from .clip_conversion import convert_av_clip
from .conversion import (CLASS_MAP_NAME, ConversionReport,
                         UnreadableMediaError, process_items, write_annotation,
                         write_class_map)
from .media_extraction import prepare_feature_dir

CLIP_SECONDS = 10
HEADER_FIELDS = ('category', 'videoid', 'quality', 'starttime', 'endtime')
ANNOTATIONS = 'Annotations.txt'
SPLIT_FILES = {
    'train': 'trainSet.txt',
    'val': 'valSet.txt',
    'test': 'testSet.txt'
}
VIDEO_DIR = 'AVE'
FEATURE_DIR = 'audio_logmel'
RAWFRAME_DIR = 'rawframes'


class AVERow(NamedTuple):
    """One annotation row: an event of ``category`` in ``[start, end)`` s."""

    category: str
    video_id: str
    quality: str
    start: int
    end: int
    source: str  # 'file:line'


def read_lines(path: str) -> List[str]:
    """The lines of a text file in UTF-8 (a BOM dropped), else Latin-1,
    with any line ends."""
    with open(path, 'rb') as f:
        data = f.read()
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError:
        text = data.decode('latin-1')
    return text.splitlines()


def is_header(line: str) -> bool:
    """Whether ``line`` is the ``Category&VideoID&...`` header."""
    fields = tuple(f.strip().lower() for f in line.split('&'))
    return fields == HEADER_FIELDS


def parse_row(line: str, source: str) -> AVERow:
    """Parse ``Category&VideoID&Quality&StartTime&EndTime``.

    Raises:
        ValueError: not five fields, an empty category or id, or times that
            are not whole seconds with ``0 <= start <= end <= 10``; the
            message quotes the line.
    """
    fields = [f.strip() for f in line.rsplit('&', 4)]
    if len(fields) != 5 or not fields[0] or not fields[1]:
        raise ValueError(
            f'{line!r} is not Category&VideoID&Quality&StartTime&EndTime')
    category, video_id, quality, start, end = fields
    try:
        times = [float(start), float(end)]
    except ValueError:
        times = []
    if len(times) != 2 or any(
            t != int(t)
            for t in times) or not (0 <= times[0] <= times[1] <= CLIP_SECONDS):
        raise ValueError(
            f'{line!r}: start/end {start!r}/{end!r} are not whole seconds '
            f'with 0 <= start <= end <= {CLIP_SECONDS}')
    return AVERow(category, video_id, quality, int(times[0]), int(times[1]),
                  source)


def read_rows(path: str,
              report: Optional[ConversionReport] = None) -> List[AVERow]:
    """Rows of ``Annotations.txt`` or a split file; a header line and blank
    lines are skipped, bad rows reported (kind ``'bad annotation'``) or,
    without a report, raised as a ValueError naming ``file:line``."""
    rows = []
    name = osp.basename(path)
    for number, line in enumerate(read_lines(path), 1):
        if not line.strip() or (number == 1 and is_header(line)):
            continue
        try:
            rows.append(parse_row(line, f'{name}:{number}'))
        except ValueError as exc:
            if report is None:
                raise ValueError(f'{name}:{number}: {exc}') from exc
            report.skip(f'{name}:{number}', 'bad annotation', str(exc))
    return rows


def class_names(rows: Sequence[AVERow]) -> List[str]:
    """Categories in order of first appearance (the order of the AVE code
    and of the literature's class indices)."""
    return list(dict.fromkeys(row.category for row in rows))


def segment_labels(start: int, end: int, label: int,
                   background: int) -> List[int]:
    """Per-second labels of a 10 s clip: ``label`` in ``[start, end)``,
    ``background`` elsewhere."""
    return [
        label if start <= s < end else background for s in range(CLIP_SECONDS)
    ]


def check_first_frame(video: str) -> None:
    """Decode the first frame of ``video`` (an existing file).

    Raises:
        UnreadableMediaError: it cannot be opened or its video not decoded.
    """
    import av

    try:
        with av.open(video) as container:
            next(container.decode(video=0))
    except Exception as exc:  # PyAV raises many error types
        raise UnreadableMediaError(
            f'cannot decode a frame of {video}: {exc}') from exc


def convert(src: str,
            out: str,
            cfg: AudioFeatureConfig,
            rawframes: bool = False,
            short_side: Optional[int] = None,
            progress: bool = True) -> Tuple[ConversionReport, Dict[str, int]]:
    """Convert the AVE release in ``src`` into ``out``.

    Writes ``out/{train,val,test}.json`` (``SegmentAudioVisualDataset``:
    ``video`` and ``audio`` relative to ``out``, clip ``label``, 10
    ``segment_labels`` with background ``len(classes)``, ``video_id``,
    ``event_seconds``, ``source``, ``total_frames``, ``audio_frames``),
    ``out/classes.txt``, the whole-clip log-mel features under
    ``out/audio_logmel/AVE/<VideoID>.mp4.npy`` with their settings record,
    with ``rawframes`` the frames under ``out/rawframes/<VideoID>/``
    (``frame_dir`` relative to ``out``, ``filename_tmpl``), and
    ``conversion_report.json`` / ``.txt``. Every video is checked (opened,
    its audio extracted, its first frame decoded). Complete features and
    frame folders are not redone, so a stopped run resumes.

    Args:
        src: the release folder.
        out: the output folder.
        cfg: the audio feature settings.
        rawframes: also extract rawframes. Default False (the configs read
            the videos).
        short_side: the rawframes' short side. Default None: original.
        progress: show a progress bar. Default True.

    Returns:
        The report and ``{split: samples kept}``.

    Raises:
        FileNotFoundError: ``Annotations.txt`` or a split file is missing.
        ValueError: ``Annotations.txt`` holds no row, or ``out`` holds
            features made with other settings.
    """
    for name in [ANNOTATIONS, *SPLIT_FILES.values()]:
        if not osp.isfile(osp.join(src, name)):
            raise FileNotFoundError(
                f'{osp.join(src, name)} does not exist: --src must be the '
                f'AVE release folder ({ANNOTATIONS}, '
                f'{", ".join(SPLIT_FILES.values())}, {VIDEO_DIR}/)')
    report = ConversionReport(out, 'AVE (samples per class and split)')
    classes = class_names(read_rows(osp.join(src, ANNOTATIONS), report))
    if not classes:
        raise ValueError(
            f'{osp.join(src, ANNOTATIONS)} holds no annotation row')
    index = {c: i for i, c in enumerate(classes)}
    splits = {}
    for split, name in SPLIT_FILES.items():
        splits[split] = []
        for row in read_rows(osp.join(src, name), report):
            if row.category in index:
                splits[split].append(row)
            else:
                report.skip(
                    row.source, 'unknown class',
                    f'category {row.category!r} is not in {ANNOTATIONS}')
    feature_root = osp.join(out, FEATURE_DIR)
    prepare_feature_dir(
        feature_root,
        cfg,
        remedy='use another --out or the same audio settings')

    def video_path(video_id: str) -> str:
        return osp.join(src, VIDEO_DIR, f'{video_id}.mp4')

    def npy_path(video_id: str) -> str:
        return osp.join(feature_root, VIDEO_DIR, f'{video_id}.mp4.npy')

    def prepare(video_id: str) -> dict:
        """Check one video, extract its features; its entries' fields."""
        video = video_path(video_id)
        fields = convert_av_clip(
            video,
            npy_path(video_id),
            cfg,
            frame_dir=osp.join(out, RAWFRAME_DIR, video_id)
            if rawframes else None,
            short_side=short_side)
        check_first_frame(video)
        if rawframes:
            fields['frame_dir'] = osp.relpath(fields['frame_dir'], out)
        return fields

    video_ids = list(
        dict.fromkeys(row.video_id for rows in splits.values()
                      for row in rows))
    usable = dict(
        process_items(
            video_ids,
            prepare,
            report,
            desc='AVE videos',
            source_of=video_path,
            progress=progress))
    os.makedirs(out, exist_ok=True)
    write_class_map(osp.join(out, CLASS_MAP_NAME), classes)
    kept = {}
    for split, rows in splits.items():
        data_list, empty = [], 0
        for row in rows:
            if row.video_id not in usable:
                continue  # reported once per video
            label = index[row.category]
            empty += row.start == row.end
            data_list.append(
                dict(
                    video=osp.relpath(video_path(row.video_id), out),
                    audio=osp.relpath(npy_path(row.video_id), out),
                    label=label,
                    segment_labels=segment_labels(row.start, row.end, label,
                                                  len(classes)),
                    video_id=row.video_id,
                    event_seconds=[row.start, row.end],
                    source=row.source,
                    **usable[row.video_id]))
            report.add(split, row.category)
        write_annotation(
            osp.join(out, f'{split}.json'),
            data_list,
            classes,
            'AVE',
            background_index=len(classes),
            num_segments=CLIP_SECONDS,
            segment_seconds=1.0,
            empty_event_rows=empty)
        kept[split] = len(data_list)
    return report, kept
