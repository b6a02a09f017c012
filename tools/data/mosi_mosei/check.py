"""Validate a CMU-MOSI / CMU-MOSEI processed pickle and print counts per
split, as ``SentimentPickleDataset`` will read it.

Usage::

    python tools/data/mosi_mosei/check.py data/mosi/unaligned_50.pkl
    python tools/data/mosi_mosei/check.py data/mosei/aligned_50.pkl \\
        --text-key text --strict

Exit status 0 when every split reads, 1 (with the error naming the split and
key) when one does not.
"""
import argparse
import sys
from typing import List, Optional

import numpy as np

from clcr_plugin.datasets.sentiment_pickle import (SPLITS, load_pickle,
                                                   read_split)

# released feature widths (audio, vision)
KNOWN_DIMS = {(5, 20): 'CMU-MOSI', (74, 35): 'CMU-MOSEI'}


def describe(path: str, text_key: str, strict: bool) -> List[str]:
    """One line per split (counts, shapes, labels, cleaning), and a verdict.

    Raises:
        FileNotFoundError, KeyError, ValueError: as
            :func:`~clcr_plugin.datasets.sentiment_pickle.read_split`.
    """
    data = load_pickle(path)
    lines, dims = [], set()
    for split in SPLITS:
        part = read_split(data, split, ('text', 'audio', 'vision'), text_key,
                          'error' if strict else 'zero', path)
        labels = part.labels
        shapes = {m: tuple(f.shape[1:]) for m, f in part.features.items()}
        dims.add((shapes['audio'][-1], shapes['vision'][-1]))
        lines.append(f'{split:5s}: {len(part):6d} samples; ' +
                     ', '.join(f'{m} {s}' for m, s in shapes.items()) +
                     f'; labels [{labels.min():.2f}, {labels.max():.2f}] '
                     f'neg/zero/pos {int((labels < 0).sum())}/'
                     f'{int((labels == 0).sum())}/{int((labels > 0).sum())}; '
                     f'mean length ' +
                     ', '.join(f'{m} {np.mean(v):.1f}'
                               for m, v in part.lengths.items()) +
                     f'; non-finite set to 0 {part.cleaned}; '
                     f'lengths clipped {part.clipped}')
    names = {KNOWN_DIMS.get(d, f'unknown widths {d}') for d in dims}
    lines.append(f'OK: {path} looks like {", ".join(sorted(names))} '
                 f'(audio, vision widths {sorted(dims)})')
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('pickle', help='aligned_50.pkl or unaligned_50.pkl')
    parser.add_argument(
        '--text-key',
        default='text_bert',
        choices=['text', 'text_bert'],
        help='the text field the config reads (default: text_bert, BERT)')
    parser.add_argument(
        '--strict',
        action='store_true',
        help='fail on non-finite feature values instead of counting them')
    args = parser.parse_args(argv)
    try:
        lines = describe(args.pickle, args.text_key, args.strict)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        print(f'ERROR: {exc}', file=sys.stderr)
        return 1
    print('\n'.join(lines))
    return 0


if __name__ == '__main__':
    sys.exit(main())
