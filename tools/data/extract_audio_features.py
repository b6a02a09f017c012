"""Extract whole-clip log-mel spectrograms to ``.npy`` (what
``LoadAudioLogMel`` loads).

    python tools/data/extract_audio_features.py \\
        --src data/cremad/VideoFlash --dst data/cremad/audio_logmel \\
        --ext flv --n-mels 128 --workers 4

``--src`` is a folder (searched recursively for ``--ext``) or a list file
whose lines start with a path relative to ``--root`` (default: the list
file's folder), e.g. an mmaction2 video list ``a/b.mp4 3``. Audio is decoded
from any container with PyAV and resampled; each input ``a/b.mp4`` becomes
``<dst>/a/b.mp4.npy``, a (n_mels, n_frames) float32 array. The feature
options are the fields of ``AudioFeatureConfig`` (``--hop-length`` for
``hop_length`` ...; see ``--help``); pass ``LoadAudioLogMel`` the same
settings, which it checks against the record below.

Resumable: outputs that exist and load are skipped; each file is written to a
temporary name and renamed, so a killed run leaves no half-written output.
The resolved settings are recorded in ``<dst>/audio_feature_config.json``;
a rerun with different ones into the same ``--dst`` is refused. Unreadable
inputs are printed, listed in ``<dst>/failed.txt`` (``path<TAB>error``) and
skipped; the others are still processed. Needs numpy and PyAV, not
OpenMMLab.

Exit code: 0 when every input is extracted (now or before), 1 when some
failed (after processing all the others), 2 for bad arguments (no inputs, a
path outside the source root, settings that differ from the recorded ones).
"""
import argparse
import os
import os.path as osp
import sys
from multiprocessing import Pool
from typing import List, Optional, Sequence, Tuple

from clcr_plugin.datasets.audio import AudioFeatureConfig
from clcr_plugin.datasets.clip_conversion import (add_audio_options,
                                                  audio_config_from_args)
from clcr_plugin.datasets.media_extraction import (extract_audio_feature,
                                                   npy_loads,
                                                   prepare_feature_dir)

DEFAULT_EXTS = ('mp4', 'avi', 'mkv', 'flv', 'webm', 'mov', 'wav', 'mp3',
                'flac', 'm4a')
FAILED_NAME = 'failed.txt'


def list_inputs(src: str, exts: Sequence[str], root: str) -> List[str]:
    """Input paths relative to ``root``: files under folder ``src`` with one of
    ``exts`` (``root`` is then ``src``), or the first field of each line of
    the list file ``src``.

    Raises:
        ValueError when a listed path lies outside ``root`` (its output would
        land outside ``--dst``).
    """
    if osp.isfile(src):
        with open(src) as f:
            listed = [line.split()[0] for line in f if line.strip()]
        rels = [
            osp.normpath(osp.relpath(p, root) if osp.isabs(p) else p)
            for p in listed
        ]
        outside = [p for p in rels if p == '..' or p.startswith('..' + os.sep)]
        if outside:
            raise ValueError(
                f'{len(outside)} listed paths lie outside --root {root}, e.g. '
                f'{outside[0]}')
        return rels
    if not osp.isdir(src):
        raise ValueError(f'--src {src} is neither a folder nor a list file')
    suffixes = tuple('.' + e.lower().lstrip('.') for e in exts)
    found = []
    for folder, _, files in os.walk(src):
        found += [
            osp.relpath(osp.join(folder, name), src) for name in files
            if name.lower().endswith(suffixes)
        ]
    return sorted(found)


def extract_one(job: Tuple[str, str,
                           AudioFeatureConfig]) -> Tuple[str, Optional[str]]:
    """Extract one file; returns ``(input path, error message or None)``."""
    src_path, dst_path, cfg = job
    try:
        extract_audio_feature(src_path, dst_path, cfg)
        return src_path, None
    except Exception as exc:  # report and carry on with the other files
        return src_path, f'{type(exc).__name__}: {exc}'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--src',
        required=True,
        help='folder of media files, or a list file of paths')
    parser.add_argument(
        '--root',
        default=None,
        help="with a list file: the folder its paths are relative to "
        "(default: the list file's folder)")
    parser.add_argument(
        '--dst', required=True, help='output folder (mirrors the source tree)')
    parser.add_argument(
        '--ext',
        nargs='+',
        default=list(DEFAULT_EXTS),
        help=('extensions to take from a folder '
              f'(default: {" ".join(DEFAULT_EXTS)})'))
    add_audio_options(parser)
    parser.add_argument(
        '--workers', type=int, default=1, help='processes (default: 1)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the extractor; returns the exit code (see the module docstring)."""
    args = parse_args(argv)
    try:
        cfg = audio_config_from_args(args)
        root = args.src if osp.isdir(
            args.src) else args.root or osp.dirname(osp.abspath(args.src))
        inputs = list_inputs(args.src, args.ext, root)
        if not inputs:
            raise ValueError(
                f'no inputs in {args.src} (extensions: {" ".join(args.ext)})')
        prepare_feature_dir(
            args.dst, cfg, remedy='use another --dst or the same settings')
    except (KeyError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    jobs = [(osp.join(root, rel), osp.join(args.dst, rel + '.npy'), cfg)
            for rel in inputs]
    todo = [job for job in jobs if not npy_loads(job[1])]
    print(
        f'{len(inputs)} inputs, {len(inputs) - len(todo)} already extracted, '
        f'{len(todo)} to do')
    failed = []
    if todo:
        pool = Pool(args.workers) if args.workers > 1 else None
        try:
            results = pool.imap_unordered(extract_one, todo) if pool else map(
                extract_one, todo)
            for done, (path, error) in enumerate(results, 1):
                if error:
                    failed.append((path, error))
                print(f'\r{done}/{len(todo)} done', end='', flush=True)
        finally:
            if pool:
                pool.close()
                pool.join()
        print()
    failed_list = osp.join(args.dst, FAILED_NAME)
    if not failed:
        if osp.exists(failed_list):
            os.remove(
                failed_list)  # a previous run's failures are now extracted
        return 0
    failed.sort()
    with open(failed_list, 'w') as f:
        f.writelines(f'{path}\t{error}\n' for path, error in failed)
    for path, error in failed:
        print(f'FAILED {path}: {error}', file=sys.stderr)
    print(
        f'{len(failed)} of {len(todo)} files failed; listed in {failed_list}',
        file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main())
