"""Optical flow for frame folders with OpenCV, in denseflow's layout.

    python tools/data/ucf101/extract_flow.py --frames data/ucf101/rawframes

Every folder under ``--frames`` that holds ``img_00001.jpg`` gets
``x_00001.jpg, y_00001.jpg ...``: flow ``t`` (frame ``t`` to ``t + 1``),
each component clipped to ``[-bound, bound]`` (default 20 px) and mapped
linearly to 0-255 (127.5 = no motion), as ``denseflow`` writes it. Method:
``tvl1`` (``cv2.optflow.DualTVL1OpticalFlow_create``, needs
opencv-contrib), ``farneback`` (plain OpenCV, faster, smoother), or
``auto`` (TV-L1 where present). Resumable: a finished folder carries the
marker ``.flow_complete`` and is skipped; an unfinished one is redone. A
folder whose frames cannot be read is reported and skipped. ``--workers N``
spreads the folders over N processes. Writes
``<frames>/conversion_report.{txt,json}``. Exit code 0 when every folder
has flow, 1 when some were skipped, 2 for bad arguments.
"""
import argparse
import os
import os.path as osp
import sys
from functools import partial
from typing import List, Optional, Sequence

from clcr_plugin.datasets.conversion import ConversionReport
from clcr_plugin.datasets.conversion_pool import process_items_in_pool
from clcr_plugin.datasets.media_extraction import RAWFRAME_TEMPLATE
from clcr_plugin.datasets.optical_flow import (FLOW_METHODS,
                                               extract_flow_folder,
                                               flow_estimator)


def frame_folders(root: str) -> List[str]:
    """Folders under ``root`` holding a first RGB frame, relative, sorted."""
    first = RAWFRAME_TEMPLATE.format(1)
    return sorted(
        osp.relpath(folder, root) for folder, _, files in os.walk(root)
        if first in files)


def flow_of_folder(rel: str, root: str, method: str, bound: float) -> int:
    """Flow of the folder ``root/rel``; returns the flow count."""
    return extract_flow_folder(osp.join(root, rel), method, bound)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--frames', required=True, help='root of the frame folders')
    parser.add_argument(
        '--method',
        choices=FLOW_METHODS,
        default='auto',
        help='flow algorithm (default auto: tvl1 if available)')
    parser.add_argument(
        '--bound',
        type=float,
        default=20.0,
        help='clipping bound in pixels (default 20)')
    parser.add_argument(
        '--workers', type=int, default=1, help='processes (default 1)')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the extractor; returns the exit code (see the module docstring)."""
    args = parse_args(argv)
    try:
        method, _ = flow_estimator(args.method)
        if not osp.isdir(args.frames):
            raise ValueError(f'--frames {args.frames} is not a folder')
        folders = frame_folders(args.frames)
        if not folders:
            raise ValueError(f'no folder under {args.frames} holds '
                             f'{RAWFRAME_TEMPLATE.format(1)}')
    except ValueError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    report = ConversionReport(args.frames, f'optical flow ({method})')
    done = process_items_in_pool(
        folders,
        partial(
            flow_of_folder, root=args.frames, method=method, bound=args.bound),
        report,
        desc=f'flow ({method})',
        progress=not args.no_progress,
        workers=args.workers)
    for rel, _ in done:
        report.add('flow', rel.split(os.sep)[0])
    report.write(echo=not args.no_progress)
    return 1 if report.skipped else 0


if __name__ == '__main__':
    sys.exit(main())
