"""Prepare UCF101 (RGB frames + optical flow) for mmaction2 from the official
release.

    python tools/data/ucf101/convert.py --root data/ucf101_raw \\
        --out data/ucf101 --split 1

``--root`` holds ``UCF-101/<Class>/v_<Class>_gXX_cYY.avi`` and
``ucfTrainTestlist/`` (``classInd.txt``, ``trainlist0N.txt``,
``testlist0N.txt``) as shipped. Writes, in mmaction2's layout::

    <out>/rawframes/<Class>/v_<Class>_gXX_cYY/img_00001.jpg ...
                                              x_00001.jpg, y_00001.jpg ...
    <out>/ucf101_train_split_N_rawframes.txt   'frame_dir total_frames label'
    <out>/ucf101_val_split_N_rawframes.txt     (the test list)
    <out>/classes.txt                          one class a line, 0-based
    <out>/conversion_report.{txt,json}         skipped videos, counts

Flow (``--flow``, default ``auto``: TV-L1 where opencv-contrib is present,
else Farneback; ``none`` to bring your own, e.g. from denseflow) is computed
between consecutive extracted frames by ``extract_flow.py``'s code, ``N - 1``
flows per ``N`` frames. Resumable: finished frame and flow folders carry a
marker and are not redone; ``--workers N`` spreads the videos over N
processes. A missing or unreadable video is reported and
skipped, never a crash halfway; the lists hold the videos that were
converted. Exit code 0 when every video was converted, 1 when some were
skipped, 2 for bad arguments or annotation files.
"""
import argparse
import os.path as osp
import sys
from functools import partial
from typing import List, Optional, Sequence, Tuple

from clcr_plugin.datasets.conversion import (CLASS_MAP_NAME, ConversionReport,
                                             SkipItem, atomic_path,
                                             write_class_map)
from clcr_plugin.datasets.conversion_pool import process_items_in_pool
from clcr_plugin.datasets.media_extraction import extract_rawframes
from clcr_plugin.datasets.optical_flow import (FLOW_METHODS,
                                               extract_flow_folder,
                                               flow_estimator)
from clcr_plugin.datasets.ucf101 import (SplitEntry, rawframe_list_name,
                                         read_class_index, read_split_list,
                                         split_list_names)

Job = Tuple[str, SplitEntry]  # (split name, entry)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--root',
        required=True,
        help='folder holding UCF-101/ and ucfTrainTestlist/')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--split', type=int, default=1, help='official split 1-3 (default 1)')
    parser.add_argument(
        '--flow',
        choices=FLOW_METHODS + ('none', ),
        default='auto',
        help='flow method (default auto: tvl1 if available, else farneback)')
    parser.add_argument(
        '--bound',
        type=float,
        default=20.0,
        help='flow clipping bound in pixels (default 20, denseflow\'s)')
    parser.add_argument(
        '--short-side',
        type=int,
        default=None,
        help='resize frames to this short side (default: keep 320x240)')
    parser.add_argument(
        '--workers', type=int, default=1, help='processes (default 1)')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def read_jobs(root: str, split: int) -> Tuple[List[str], List[Job]]:
    """Classes and ``(split name, entry)`` of the train then the test list."""
    lists = osp.join(root, 'ucfTrainTestlist')
    classes = read_class_index(osp.join(lists, 'classInd.txt'))
    jobs = []
    for name, filename in split_list_names(split).items():
        path = osp.join(lists, filename)
        if not osp.isfile(path):
            raise ValueError(f'{path} does not exist')
        jobs += [(name, e) for e in read_split_list(path, classes)]
    return classes, jobs


def convert_video(job: Job, args: argparse.Namespace) -> int:
    """Frames (and flow) of one video; returns its frame count."""
    video = osp.join(args.root, 'UCF-101', job[1].video)
    if not osp.isfile(video):
        raise SkipItem('missing', f'{video} ({job[1].where}) does not exist')
    frame_dir = osp.join(args.out, 'rawframes', osp.splitext(job[1].video)[0])
    num_frames = extract_rawframes(video, frame_dir, args.short_side)
    if args.flow != 'none':
        if num_frames < 2:
            raise SkipItem('too short', f'{video} has {num_frames} frame')
        extract_flow_folder(frame_dir, args.flow, args.bound)
    return num_frames


def video_of(job: Job) -> str:
    """The report's name of a job: its path under ``UCF-101/``."""
    return job[1].video


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the converter; returns the exit code (see the module docstring)."""
    args = parse_args(argv)
    try:
        if args.flow != 'none':  # resolve 'auto', refuse tvl1 without contrib
            args.flow = flow_estimator(args.flow)[0]
        classes, jobs = read_jobs(args.root, args.split)
    except (OSError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    report = ConversionReport(args.out,
                              f'UCF101 split {args.split}, flow {args.flow}')
    done = process_items_in_pool(
        jobs,
        partial(convert_video, args=args),
        report,
        desc='UCF101',
        source_of=video_of,
        progress=not args.no_progress,
        workers=args.workers)
    write_class_map(osp.join(args.out, CLASS_MAP_NAME), classes)
    for name in ('train', 'test'):
        lines = []
        for (split_name, entry), num_frames in done:
            if split_name == name:
                report.add(name, classes[entry.label])
                lines.append(f'{osp.splitext(entry.video)[0]} {num_frames} '
                             f'{entry.label}\n')
        path = osp.join(args.out, rawframe_list_name(name, args.split))
        with atomic_path(path) as tmp, open(tmp, 'w') as f:
            f.writelines(lines)
    report.write(echo=not args.no_progress)
    return 1 if report.skipped else 0


if __name__ == '__main__':
    sys.exit(main())
