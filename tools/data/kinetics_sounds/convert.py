"""Convert Kinetics-400 videos of the Kinetics-Sounds classes to our
annotation lists and audio features.

    python tools/data/kinetics_sounds/convert.py \\
        --csv data/kinetics400/annotations/kinetics_train.csv \\
              data/kinetics400/annotations/kinetics_val.csv \\
        --videos data/kinetics400 --out data/kinetics_sounds

``--csv``: Kinetics-400 annotation files, ``label,youtube_id,time_start,
time_end,split[,is_cc]`` with a header line (the column order may differ;
labels with underscores, as mmaction2's renamed folders, are accepted).
Rows whose label is not a Kinetics-Sounds class (``--classes``, default the
31 classes in ``classes.txt`` beside this script; see the README for their
source) are dropped; rows without a label (the K400 test csv) too.
``--videos``: searched recursively for ``<youtube_id>_<start:06d>_<end:06d>``
files (the official / cvdfoundation naming) or ``<youtube_id>.<ext>``, in any
sub-folders. The audio is the video's own track: clips without an audio
stream are reported (``no audio stream``) and left out, as are missing and
unreadable videos.

Splits (the protocol of OGM-GE and its followers): K400 ``train`` rows give
train and val (``--val-fraction`` of each class, default 0.1, drawn with
``numpy.random.RandomState(--seed)``), K400 ``val``/``validate`` rows give
test. Writes ``train.json``, ``val.json``, ``test.json`` (``video`` relative
to ``--videos``, ``audio`` relative to ``<out>/audio_logmel``),
``classes.txt``, the features ``audio_logmel/<video path>.npy`` with their
settings record, rawframes with ``--rawframes``, and
``conversion_report.json/.txt``. Resumable. Exit code 0, 1 when some clips
were skipped, 2 for bad arguments.
"""
import argparse
import csv
import os
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from clcr_plugin.datasets.clip_conversion import (add_output_options,
                                                  audio_config_from_args,
                                                  convert_av_clip,
                                                  feature_path_of)
from clcr_plugin.datasets.conversion import (CLASS_MAP_NAME, ConversionReport,
                                             SkipItem, process_items,
                                             read_class_map, write_annotation,
                                             write_class_map)
from clcr_plugin.datasets.media_extraction import prepare_feature_dir

CLASSES = osp.join(osp.dirname(osp.abspath(__file__)), 'classes.txt')
FEATURES = 'audio_logmel'
COLUMNS = ('label', 'youtube_id', 'time_start', 'time_end', 'split')
VIDEO_EXTS = ('.mp4', '.mkv', '.webm', '.avi', '.mov', '.flv')
TEST_SPLITS = ('val', 'validate', 'valid')

# One csv row: label, youtube_id, start, end, split (K400's) and source
# (file:line).
Row = Dict[str, object]


def normalise(label: str) -> str:
    """``'playing_bagpipes'`` and ``' Playing bagpipes'`` ->
    ``'playing bagpipes'``."""
    return ' '.join(label.replace('_', ' ').split()).lower()


def read_kinetics_csv(path: str) -> List[Row]:
    """The rows of a Kinetics csv (header required; labels may be absent).

    Raises:
        ValueError naming ``path`` when a column is missing from the header
        or a time is not a number (with its line).
    """
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        missing = [c for c in COLUMNS[1:] if c not in header]
        if missing:
            raise ValueError(
                f'{path}: header {header} lacks {missing}; expected '
                f'{",".join(COLUMNS)}')
        rows = []
        for line, raw in enumerate(reader, 2):
            try:
                start, end = (
                    int(float(raw[k])) for k in ('time_start', 'time_end'))
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f'{path}: line {line}: time_start/time_end must be '
                    f'numbers, got {raw["time_start"]!r}, '
                    f'{raw["time_end"]!r}') from exc
            rows.append(
                dict(
                    label=normalise(raw.get('label') or ''),
                    youtube_id=raw['youtube_id'].strip(),
                    start=start,
                    end=end,
                    split=raw['split'].strip().lower(),
                    source=f'{path}:{line}'))
    return rows


def index_videos(root: str) -> Dict[str, str]:
    """``{stem: path relative to root}`` of every video under ``root``."""
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            stem, ext = osp.splitext(name)
            if ext.lower() in VIDEO_EXTS:
                found.setdefault(stem,
                                 osp.relpath(osp.join(folder, name), root))
    return found


def find_video(row: Row, videos: Dict[str, str]) -> Optional[str]:
    """The video of ``row``: ``<id>_<start:06d>_<end:06d>`` or ``<id>``."""
    clip = f'{row["youtube_id"]}_{row["start"]:06d}_{row["end"]:06d}'
    return videos.get(clip) or videos.get(row['youtube_id'])


def assign_splits(rows: Sequence[Row], classes: Sequence[str],
                  val_fraction: float, seed: int) -> List[Tuple[Row, str]]:
    """``(row, split)`` for the rows of the classes: K400 val -> test, K400
    train -> train or val (``val_fraction`` per class, seeded)."""
    rng = np.random.RandomState(seed)
    train_by_class = defaultdict(list)
    jobs = []
    for row in rows:
        if row['label'] not in classes:
            continue
        if row['split'] in TEST_SPLITS:
            jobs.append((row, 'test'))
        elif row['split'] == 'train':
            train_by_class[row['label']].append(row)
    for label in sorted(train_by_class):
        members = train_by_class[label]
        val = set(
            rng.permutation(
                len(members))[:int(round(val_fraction *
                                         len(members)))].tolist())
        jobs += [(row, 'val' if i in val else 'train')
                 for i, row in enumerate(members)]
    return jobs


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--csv', nargs='+', required=True, help='Kinetics-400 csv files')
    parser.add_argument(
        '--videos', required=True, help='folder of the Kinetics-400 videos')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--classes',
        default=CLASSES,
        help='class list, one per line (default: the 31 Kinetics-Sounds '
        'classes beside this script)')
    parser.add_argument(
        '--val-fraction',
        type=float,
        default=0.1,
        help='share of each class of K400 train held out as val '
        '(default 0.1)')
    parser.add_argument(
        '--seed', type=int, default=0, help='split seed (default 0)')
    add_output_options(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the converter; returns the exit code (see the module
    docstring)."""
    args = parse_args(argv)
    try:
        cfg = audio_config_from_args(args)
        classes = [normalise(c) for c in read_class_map(args.classes)]
        rows = [row for path in args.csv for row in read_kinetics_csv(path)]
        if not 0 <= args.val_fraction < 1:
            raise ValueError(
                f'--val-fraction must be in [0, 1), got {args.val_fraction}')
        if not osp.isdir(args.videos):
            raise ValueError(f'--videos {args.videos} is not a folder')
        prepare_feature_dir(osp.join(args.out, FEATURES), cfg)
    except (OSError, KeyError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    report = ConversionReport(args.out, 'Kinetics-Sounds')
    videos = index_videos(args.videos)
    jobs = assign_splits(rows, classes, args.val_fraction, args.seed)
    print(f'{len(jobs)} of {len(rows)} csv rows are Kinetics-Sounds clips')

    def convert(job: Tuple[Row, str]) -> dict:
        row, _ = job
        rel = find_video(row, videos)
        if rel is None:
            raise SkipItem(
                'missing', f'no video {row["youtube_id"]}_{row["start"]:06d}_'
                f'{row["end"]:06d}.* or {row["youtube_id"]}.* under '
                f'{args.videos} (row {row["source"]})')
        stem = osp.splitext(rel)[0]
        fields = convert_av_clip(
            osp.join(args.videos, rel),
            feature_path_of(osp.join(args.out, FEATURES), rel),
            cfg,
            frame_dir=osp.join(args.out, 'rawframes', stem)
            if args.rawframes else None,
            short_side=args.short_side)
        return dict(
            video=rel,
            label=classes.index(row['label']),
            youtube_id=row['youtube_id'],
            **fields)

    def source_of(job: Tuple[Row, str]) -> str:
        return job[0]['source']

    done = process_items(
        jobs,
        convert,
        report,
        'Kinetics-Sounds',
        source_of=source_of,
        progress=not args.no_progress)
    for split in ('train', 'val', 'test'):
        entries = [entry for (_, s), entry in done if s == split]
        for entry in entries:
            report.add(split, classes[entry['label']])
        write_annotation(
            osp.join(args.out, f'{split}.json'),
            [dict(entry, audio=entry['video'] + '.npy') for entry in entries],
            classes,
            'kinetics-sounds',
            split=split,
            audio_features=FEATURES)
    write_class_map(osp.join(args.out, CLASS_MAP_NAME), classes)
    report.write()
    return 1 if report.skipped else 0


if __name__ == '__main__':
    sys.exit(main())
