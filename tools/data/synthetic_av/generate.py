"""Generate the synthetic audio-visual set (16 classes, fixed by design; see
README.md beside this file).

    python tools/data/synthetic_av/generate.py --out data/synthetic_av
    python tools/data/synthetic_av/generate.py --out /tmp/av \\
        --per-class 2 1 1 --size 32 --seed 3
    # -> data/synthetic_av_hard (README: "Harder variant")
    python tools/data/synthetic_av/generate.py --variant hard

Writes <out>/{train,val,test}/NNNNNN.mp4 (MPEG-4 video + AAC audio),
<out>/{train,val,test}.json (mmengine annotation format) and
<out>/manifest.json; does nothing when the manifest shows the same settings.
"""
import argparse
import time
from typing import List, Optional

from clcr_plugin.datasets.synthetic_av import (CLASSES, VARIANTS,
                                               SyntheticAVConfig, generate,
                                               is_generated)

DEFAULT_OUT = {
    'default': 'data/synthetic_av',
    'hard': 'data/synthetic_av_hard'
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    d = SyntheticAVConfig()
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--out',
        help=f'output folder (the data root); default {DEFAULT_OUT}[variant]')
    parser.add_argument(
        '--variant',
        choices=VARIANTS,
        default=d.variant,
        help=('default, or hard: the same factors at different levels '
              'per modality, with lures'))
    parser.add_argument(
        '--per-class',
        type=int,
        nargs=3,
        metavar=('TRAIN', 'VAL', 'TEST'),
        default=(d.train_per_class, d.val_per_class, d.test_per_class),
        help=f'clips per class in each split ({len(CLASSES)} classes)')
    parser.add_argument('--seed', type=int, default=d.seed)
    parser.add_argument(
        '--size',
        type=int,
        default=d.size,
        help='frame height = width, even, >= 16')
    parser.add_argument('--fps', type=int, default=d.fps)
    parser.add_argument(
        '--seconds', type=float, default=d.seconds, help='clip length')
    parser.add_argument(
        '--sample-rate',
        type=int,
        default=d.sample_rate,
        help='audio rate in Hz')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='regenerate even if the set exists')
    parser.add_argument(
        '--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    args.out = args.out or DEFAULT_OUT[args.variant]
    train, val, test = args.per_class
    try:
        cfg = SyntheticAVConfig(
            seed=args.seed,
            train_per_class=train,
            val_per_class=val,
            test_per_class=test,
            size=args.size,
            fps=args.fps,
            seconds=args.seconds,
            sample_rate=args.sample_rate,
            variant=args.variant)
    except ValueError as exc:
        raise SystemExit(f'generate.py: error: {exc}') from exc
    if not args.overwrite and is_generated(args.out, cfg):
        print(f'{args.out}: a synthetic set with these settings exists; '
              'skipping (use --overwrite to redo)')
        return
    start = time.perf_counter()
    anns = generate(
        args.out, cfg, overwrite=True, progress=not args.no_progress)
    total = len(CLASSES) * (train + val + test)
    print(f'wrote {total} clips and {", ".join(anns.values())} in '
          f'{time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
