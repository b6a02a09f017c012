"""Convert the official AVE release into our annotation lists and audio
features.

    python tools/data/ave/convert.py --src data/ave [--out data/ave]

``--src`` is the release as downloaded and unpacked: ``AVE/*.mp4``,
``Annotations.txt``, ``trainSet.txt``, ``valSet.txt``, ``testSet.txt``.
``--out`` (default: ``--src``) receives ``train.json`` / ``val.json`` /
``test.json`` (clip label and 10 per-second labels, background = 28),
``classes.txt``, the whole-clip log-mel features
(``audio_logmel/AVE/<VideoID>.mp4.npy`` with ``audio_feature_config.json``)
and ``conversion_report.json`` / ``.txt`` (samples per split and class,
skipped videos and rows with the reason). The videos stay where they are; the
lists point at them relative to ``--out``. ``--rawframes`` also extracts
mmaction2's ``rawframes/<VideoID>/img_00001.jpg`` layout (``--short-side``).

Resumable: finished features and frame folders are kept, the lists are
rewritten. The audio options are the fields of ``AudioFeatureConfig`` (see
``--help``); the AVE configs' ``LoadAudioLogMel`` uses the defaults and
checks the record.

Exit code: 0 when every listed video was converted, 1 when some were skipped
(all others converted, see the report), 2 for a missing release file or
settings that differ from features already in ``--out``.
"""
import argparse
import sys
from typing import Optional, Sequence

from clcr_plugin.datasets.ave import convert
from clcr_plugin.datasets.clip_conversion import (add_output_options,
                                                  audio_config_from_args)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--src', required=True, help='the AVE release folder')
    parser.add_argument(
        '--out', default=None, help='output folder (default: --src)')
    add_output_options(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the converter; returns the exit code (see the module docstring)."""
    args = parse_args(argv)
    try:
        report, kept = convert(
            args.src,
            args.out or args.src,
            audio_config_from_args(args),
            rawframes=args.rawframes,
            short_side=args.short_side,
            progress=not args.no_progress)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    report.write(echo=True)
    print('samples kept: ' + ', '.join(f'{s} {n}' for s, n in kept.items()))
    return 1 if report.skipped else 0


if __name__ == '__main__':
    sys.exit(main())
