"""Convert mmaction2 annotation lists (your own data) to our JSON lists and
audio features.

    python tools/data/from_mmaction_list.py --type video \\
        --list train=data/mine/train_list.txt \\
        --list val=data/mine/val_list.txt \\
        --video-root data/mine/videos --classes data/mine/classes.txt \\
        --out data/mine

``--type video``: lines ``<path> <label>`` (mmaction2's ``VideoDataset``);
``--type rawframes``: lines ``<frame_dir> <total_frames> <label>``
(``RawframeDataset``, frames ``img_00001.jpg`` ... in each folder). Paths are
relative to ``--video-root``; blank lines and ``#`` comments are skipped.
The audio of a clip is its video's own track (video lists only), or with
``--audio-root`` a separate file per clip named by ``--audio-pattern``
(default ``{stem}.wav``; fields ``{path}`` the listed path without its
extension, ``{stem}`` its last part, ``{label}``). ``--classes``: one name
per line (mmaction2's label map format); default ``class_<i>``.

Writes ``<out>/<split>.json`` (``AudioVisualDataset``; ``video`` relative to
``--video-root``, ``audio`` relative to ``<out>/audio_logmel``),
``classes.txt``, the features ``audio_logmel/<source>.npy`` (``(n_mels,
n_frames)``, what ``LoadAudioLogMel`` reads, with its settings record) and
``conversion_report.json/.txt``. With ``--mmaction-audio`` also the same
features transposed, ``(n_frames, n_mels)``, in ``audio_feature_mmaction/``
(the layout of mmaction2's ``LoadAudioFeature`` and its
``build_audio_features.py``) and ``<split>_audio_feature_list.txt``
(``<path> <n_frames> <label>``, mmaction2's ``AudioDataset`` list).
Resumable; exit code 0, 1 when clips were skipped, 2 for bad arguments.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np

from clcr_plugin.datasets.clip_conversion import (add_output_options,
                                                  audio_config_from_args,
                                                  convert_av_clip,
                                                  feature_path_of)
from clcr_plugin.datasets.conversion import (CLASS_MAP_NAME, ConversionReport,
                                             SkipItem, atomic_path,
                                             process_items, read_class_map,
                                             write_annotation, write_class_map)
from clcr_plugin.datasets.media_extraction import (RAWFRAME_TEMPLATE,
                                                   extract_audio_feature,
                                                   npy_loads,
                                                   prepare_feature_dir)

FEATURES = 'audio_logmel'
MMACTION_FEATURES = 'audio_feature_mmaction'
# (path, total_frames or None, label, source 'file:line')
Clip = Tuple[str, Optional[int], int, str]


def read_list(path: str, kind: str) -> List[Clip]:
    """The clips of an mmaction2 list of ``kind`` ``'video'`` or
    ``'rawframes'``.

    Raises:
        ValueError naming ``path``, the line and the expected fields when a
        line does not parse.
    """
    expected = ('<path> <label>'
                if kind == 'video' else '<frame_dir> <total_frames> <label>')
    clips = []
    with open(path, encoding='utf-8-sig') as f:
        for line_no, line in enumerate(f, 1):
            fields = line.split()
            if not fields or fields[0].startswith('#'):
                continue
            try:
                if kind == 'video' and len(fields) == 2:
                    clips.append(
                        (fields[0], None, int(fields[1]), f'{path}:{line_no}'))
                    continue
                if kind == 'rawframes' and len(fields) == 3:
                    clips.append((fields[0], int(fields[1]), int(fields[2]),
                                  f'{path}:{line_no}'))
                    continue
            except ValueError:
                pass
            raise ValueError(
                f'{path}: line {line_no} is {line.rstrip()!r}; a {kind} list '
                f'needs {expected} (one label per clip)')
    return clips


def audio_source(args: argparse.Namespace, clip: Clip) -> Optional[str]:
    """The separate audio file of ``clip``, or None for the video's track."""
    if args.audio_root is None:
        return None
    rel = osp.splitext(clip[0])[0]
    return osp.join(
        args.audio_root,
        args.audio_pattern.format(
            path=rel, stem=osp.basename(rel), label=clip[2]))


def convert_clip(args: argparse.Namespace, cfg, clip: Clip) -> dict:
    """Features (and for video lists the video check) of one clip; returns
    its entry."""
    rel, total_frames, label, _ = clip
    audio = audio_source(args, clip)
    media_rel = osp.relpath(audio, args.audio_root) if audio else rel
    feature = feature_path_of(osp.join(args.out, FEATURES), media_rel)
    entry = dict(video=rel, label=label, audio=media_rel + '.npy')
    if args.type == 'video':
        entry.update(
            convert_av_clip(
                osp.join(args.video_root, rel),
                feature,
                cfg,
                audio_path=audio,
                frame_dir=osp.join(args.out, 'rawframes',
                                   osp.splitext(rel)[0])
                if args.rawframes else None,
                short_side=args.short_side))
    else:
        frame_dir = osp.join(args.video_root, rel)
        first = osp.join(frame_dir, args.filename_tmpl.format(1))
        if not osp.isfile(first):
            raise SkipItem('missing', f'{first} does not exist')
        _, audio_frames = extract_audio_feature(audio, feature, cfg)
        entry.update(
            frame_dir=frame_dir,
            total_frames=total_frames,
            filename_tmpl=args.filename_tmpl,
            audio_frames=audio_frames)
    if args.mmaction_audio:
        mm_path = feature_path_of(
            osp.join(args.out, MMACTION_FEATURES), media_rel)
        if not npy_loads(mm_path):
            with atomic_path(mm_path) as tmp:
                np.save(tmp, np.load(feature).T)  # (n_frames, n_mels)
    return entry


def split_option(text: str) -> Tuple[str, str]:
    split, sep, path = text.partition('=')
    if not sep or not split or not path:
        raise argparse.ArgumentTypeError(
            f'expected SPLIT=LIST (e.g. train=train_list.txt), got {text!r}')
    return split, path


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--type',
        choices=('video', 'rawframes'),
        required=True,
        help='the kind of mmaction2 list')
    parser.add_argument(
        '--list',
        type=split_option,
        action='append',
        required=True,
        help='SPLIT=LIST; repeat per split')
    parser.add_argument(
        '--video-root',
        required=True,
        help='the folder the listed paths are relative to')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--classes', help='class names, one per line (default class_<i>)')
    parser.add_argument(
        '--audio-root',
        help='folder of separate audio files (default: the video track)')
    parser.add_argument(
        '--audio-pattern',
        default='{stem}.wav',
        help='audio file of a clip under --audio-root (default {stem}.wav)')
    parser.add_argument(
        '--filename-tmpl',
        default=RAWFRAME_TEMPLATE,
        help='frame names of a rawframe list (default img_{:05d}.jpg)')
    parser.add_argument(
        '--mmaction-audio',
        action='store_true',
        help="also write the features in mmaction2's (n_frames, n_mels) "
        'layout and AudioDataset lists')
    add_output_options(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the converter; returns the exit code (see the module
    docstring)."""
    args = parse_args(argv)
    try:
        cfg = audio_config_from_args(args)
        if args.type == 'rawframes' and args.audio_root is None:
            raise ValueError('a rawframe list has no audio track: give '
                             '--audio-root (and --audio-pattern)')
        lists = {
            split: read_list(path, args.type)
            for split, path in args.list
        }
        top = max(c[2] for clips in lists.values() for c in clips)
        classes = (
            read_class_map(args.classes)
            if args.classes else [f'class_{i}' for i in range(top + 1)])
        if top >= len(classes):
            raise ValueError(f'label {top} is listed, but {args.classes} '
                             f'names {len(classes)} classes')
        prepare_feature_dir(osp.join(args.out, FEATURES), cfg)
    except (OSError, KeyError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    report = ConversionReport(args.out, 'mmaction2 lists')
    for split, clips in lists.items():
        done = process_items(
            clips,
            lambda clip: convert_clip(args, cfg, clip),
            report,
            split,
            source_of=lambda clip: clip[3],
            progress=not args.no_progress)
        entries = [entry for _, entry in done]
        for entry in entries:
            report.add(split, classes[entry['label']])
        write_annotation(
            osp.join(args.out, f'{split}.json'),
            entries,
            classes,
            'mmaction-list',
            split=split,
            audio_features=FEATURES)
        if args.mmaction_audio:
            with atomic_path(
                    osp.join(args.out,
                             f'{split}_audio_feature_list.txt')) as tmp:
                with open(tmp, 'w') as f:
                    f.writelines(
                        f'{e["audio"]} {e["audio_frames"]} {e["label"]}\n'
                        for e in entries)
    write_class_map(osp.join(args.out, CLASS_MAP_NAME), classes)
    report.write()
    return 1 if report.skipped else 0


if __name__ == '__main__':
    sys.exit(main())
