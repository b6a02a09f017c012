"""Convert the CREMA-D release to our annotation lists and audio features.

    python tools/data/cremad/convert.py --root data/cremad

``--root`` holds the release as shipped: ``VideoFlash/<name>.flv`` (video
with audio) and ``AudioWAV/<name>.wav``, ``<name>`` being
``<actor>_<sentence>_<emotion>_<level>`` (``1001_DFA_ANG_XX``). The label is
the emotion code, one of ANG DIS FEA HAP NEU SAD (index = position).

Splits: ``--split train=train.csv --split test=test.csv`` (any split names)
reads csv files of ``name,emotion`` rows (a header line, a BOM, CRLF line
ends, blank lines and names with an extension are accepted; a row whose
emotion differs from its file name's code is reported and left out).
Without ``--split``: a seeded actor-disjoint split, ``--val-actors`` and
``--test-actors`` of the 91 actors (default 10 % each, at least one) drawn
with ``numpy.random.RandomState(--seed)`` from the sorted actor ids; every
clip of an actor lands in the same split.

Writes to ``--out`` (default ``--root``): ``<split>.json`` (the
``AudioVisualDataset`` format; ``video`` relative to ``--root``, ``audio``
relative to ``<out>/audio_logmel``), ``classes.txt``, the log-mel features
``audio_logmel/AudioWAV/<name>.wav.npy`` with their settings record,
``rawframes/<name>/img_00001.jpg ...`` with ``--rawframes``, and
``conversion_report.json/.txt`` (clips per split and emotion; every skipped
file with its reason). Resumable: finished features and frame folders are
kept. Exit code 0, or 1 when some clips were skipped, 2 for bad arguments.
"""
import argparse
import csv
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from clcr_plugin.datasets.clip_conversion import (add_output_options,
                                                  audio_config_from_args,
                                                  convert_av_clip,
                                                  feature_path_of)
from clcr_plugin.datasets.conversion import (CLASS_MAP_NAME, ConversionReport,
                                             process_items, write_annotation,
                                             write_class_map)
from clcr_plugin.datasets.media_extraction import prepare_feature_dir

EMOTIONS = ('ANG', 'DIS', 'FEA', 'HAP', 'NEU', 'SAD')
FEATURES = 'audio_logmel'


def parse_name(name: str) -> Tuple[str, str]:
    """``(actor, emotion)`` of ``<actor>_<sentence>_<emotion>_<level>``.

    Raises:
        ValueError naming ``name`` when it does not follow the pattern.
    """
    parts = name.split('_')
    if len(parts) != 4 or not parts[0].isdigit() or parts[2] not in EMOTIONS:
        raise ValueError(
            f'{name!r} is not <actor>_<sentence>_<emotion>_<level> with an '
            f'emotion in {list(EMOTIONS)}')
    return parts[0], parts[2]


def read_split_csv(path: str) -> List[Tuple[str, str]]:
    """``(name, emotion)`` rows of a split csv, header and quirks removed.

    Raises:
        ValueError naming ``path`` and the line of a row that is not
        ``name,emotion``.
    """
    with open(path, newline='', encoding='utf-8-sig') as f:
        rows = list(csv.reader(f))
    out = []
    for line, row in enumerate(rows, 1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) < 2:
            raise ValueError(f'{path}: line {line} is {row!r}, expected '
                             'name,emotion')
        if line == 1 and cells[1].upper() not in EMOTIONS:
            continue  # a header such as name,label or name,emotion
        out.append((osp.splitext(osp.basename(cells[0]))[0], cells[1].upper()))
    return out


def actor_split(actors: Sequence[str], val_actors: int, test_actors: int,
                seed: int) -> Dict[str, str]:
    """``{actor: split}``: ``test_actors`` then ``val_actors`` actors drawn
    with ``RandomState(seed)`` from the sorted ids go to test / val, the
    rest to train."""
    order = np.random.RandomState(seed).permutation(sorted(actors))
    split = {a: 'train' for a in order}
    split.update({a: 'test' for a in order[:test_actors]})
    split.update(
        {a: 'val'
         for a in order[test_actors:test_actors + val_actors]})
    return split


def list_clips(root: str) -> List[str]:
    """Clip names found in ``VideoFlash`` or ``AudioWAV``, sorted."""
    names = set()
    for folder, ext in (('VideoFlash', '.flv'), ('AudioWAV', '.wav')):
        if osp.isdir(osp.join(root, folder)):
            names |= {
                f[:-len(ext)]
                for f in os.listdir(osp.join(root, folder))
                if f.lower().endswith(ext)
            }
    return sorted(names)


def assign_splits(args: argparse.Namespace, names: Sequence[str],
                  report: ConversionReport) -> List[Tuple[str, str]]:
    """``(name, split)`` of every clip to convert; bad names and csv rows are
    reported."""
    valid = {}
    for name in names:
        try:
            valid[name] = parse_name(name)
        except ValueError as exc:
            report.skip(name, 'bad name', str(exc))
    if not args.split:
        actors = sorted({actor for actor, _ in valid.values()})
        share = max(1, int(round(0.1 * len(actors))))
        val_n = share if args.val_actors is None else args.val_actors
        test_n = share if args.test_actors is None else args.test_actors
        by_actor = actor_split(actors, val_n, test_n, args.seed)
        return [(n, by_actor[actor]) for n, (actor, _) in valid.items()]
    jobs = []
    for split, path in args.split:
        for name, emotion in read_split_csv(path):
            if name not in valid:
                report.skip(
                    name, 'missing', f'listed in {path}, but neither '
                    f'VideoFlash/{name}.flv nor AudioWAV/{name}.wav '
                    'exists or its name is not a CREMA-D name')
            elif emotion != valid[name][1]:
                report.skip(
                    name, 'label mismatch',
                    f'{path} says {emotion}, the file name says '
                    f'{valid[name][1]}')
            else:
                jobs.append((name, split))
    return jobs


def split_option(text: str) -> Tuple[str, str]:
    split, sep, path = text.partition('=')
    if not sep or not split or not path:
        raise argparse.ArgumentTypeError(
            f'expected SPLIT=CSV (e.g. train=train.csv), got {text!r}')
    return split, path


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--root', required=True, help='folder with VideoFlash/, AudioWAV/')
    parser.add_argument('--out', help='output folder (default: --root)')
    parser.add_argument(
        '--split',
        type=split_option,
        action='append',
        help='SPLIT=CSV of name,emotion rows; repeat per split '
        '(default: a seeded actor-disjoint split)')
    parser.add_argument(
        '--val-actors',
        type=int,
        help='actors in val without --split (default: 10%%, at least 1)')
    parser.add_argument(
        '--test-actors',
        type=int,
        help='actors in test without --split (default: 10%%, at least 1)')
    parser.add_argument(
        '--seed', type=int, default=0, help='split seed (default 0)')
    add_output_options(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the converter; returns the exit code (see the module
    docstring)."""
    args = parse_args(argv)
    out = args.out or args.root
    names = list_clips(args.root)
    try:
        cfg = audio_config_from_args(args)
        if not names:
            raise ValueError(f'no VideoFlash/*.flv or AudioWAV/*.wav in '
                             f'{args.root}')
        prepare_feature_dir(osp.join(out, FEATURES), cfg)
        for _, path in args.split or []:
            if not osp.isfile(path):
                raise ValueError(f'split csv {path} does not exist')
    except (KeyError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    report = ConversionReport(out, 'CREMA-D')
    jobs = assign_splits(args, names, report)

    def convert(job: Tuple[str, str]) -> dict:
        name, split = job
        video, audio = f'VideoFlash/{name}.flv', f'AudioWAV/{name}.wav'
        fields = convert_av_clip(
            osp.join(args.root, video),
            feature_path_of(osp.join(out, FEATURES), audio),
            cfg,
            audio_path=osp.join(args.root, audio),
            frame_dir=osp.join(out, 'rawframes', name)
            if args.rawframes else None,
            short_side=args.short_side)
        actor, emotion = parse_name(name)
        return dict(
            video=video,
            audio=audio + '.npy',
            label=EMOTIONS.index(emotion),
            actor=actor,
            **fields)

    done = process_items(
        jobs,
        convert,
        report,
        'CREMA-D',
        source_of=lambda job: job[0],
        progress=not args.no_progress)
    splits = dict.fromkeys(split for _, split in jobs)
    for split in splits:
        entries = [entry for (_, s), entry in done if s == split]
        for entry in entries:
            report.add(split, EMOTIONS[entry['label']])
        write_annotation(
            osp.join(out, f'{split}.json'),
            entries,
            EMOTIONS,
            'cremad',
            split=split,
            audio_features=FEATURES)
    write_class_map(osp.join(out, CLASS_MAP_NAME), EMOTIONS)
    report.write()
    return 1 if report.skipped else 0


if __name__ == '__main__':
    sys.exit(main())
