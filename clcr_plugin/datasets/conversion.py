"""What every converter in ``tools/data/<set>/`` shares (no OpenMMLab
imports).

A converter lists its items, then hands each to :func:`process_items`, which
shows a progress bar and never stops halfway: an item whose work raises is
recorded in the :class:`ConversionReport` (with :class:`SkipItem`'s kind, e.g.
``'unreadable'``, ``'missing'``, ``'no audio stream'``) and skipped. The
report counts the kept clips per split and class and writes
``conversion_report.json`` / ``.txt`` into the output folder.

Outputs are resumable: files are written under a temporary name and renamed
(:func:`atomic_path`) and a complete output is never redone. The media
helpers are in :mod:`.media_extraction`; the annotation helpers here write
the JSON that ``AudioVisualDataset`` reads and ``classes.txt``.
"""
import json
import os
import os.path as osp
from collections import Counter, defaultdict
from contextlib import contextmanager
from typing import (Any, Callable, Dict, Iterator, List, Sequence, Tuple,
                    TypeVar)

REPORT_NAME = 'conversion_report'
CLASS_MAP_NAME = 'classes.txt'

Item = TypeVar('Item')
Result = TypeVar('Result')


class SkipItem(Exception):
    """Raised by a converter's work on one item to skip it with a reason.

    Args:
        kind: the report's category, e.g. ``'missing'``, ``'unreadable'``,
            ``'no audio stream'``.
        reason: what is wrong, naming the file.
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


class UnreadableMediaError(SkipItem):
    """A media file that PyAV cannot open or decode."""

    def __init__(self, reason: str) -> None:
        super().__init__('unreadable', reason)


class ConversionReport:
    """Skipped sources with reasons and kept clips per split and class.

    Args:
        out_dir: where :meth:`write` puts ``conversion_report.json/.txt``.
        title: the first line of the summary, e.g. ``'CREMA-D'``.
    """

    def __init__(self, out_dir: str, title: str) -> None:
        self.out_dir = out_dir
        self.title = title
        self.skipped: List[Dict[str, str]] = []
        self.counts: Dict[str, Counter] = defaultdict(Counter)

    def skip(self, source: str, kind: str, reason: str) -> None:
        """Record that ``source`` was left out, as ``kind``, for ``reason``."""
        self.skipped.append(dict(source=str(source), kind=kind, reason=reason))

    def add(self, split: str, class_name: str) -> None:
        """Count one kept clip of ``class_name`` in ``split``."""
        self.counts[split][class_name] += 1

    def skipped_by_kind(self) -> Dict[str, int]:
        """``{kind: number of skipped sources}``, kinds sorted."""
        return dict(sorted(Counter(s['kind'] for s in self.skipped).items()))

    def summary(self) -> str:
        """A table of clips per class (rows) and split (columns), totals,
        then the skipped sources grouped by kind."""
        splits = list(self.counts)
        classes = sorted(
            {c
             for counts in self.counts.values()
             for c in counts})
        width = max([len('class'), len('total')] + [len(c) for c in classes])
        cols = [max(len(s), 5) for s in splits]
        line = ' '.join(['class'.ljust(width)] +
                        [s.rjust(w) for s, w in zip(splits, cols)])
        rows = [self.title, line, '-' * len(line)]
        for name in classes + ['total']:
            values = [
                sum(self.counts[s].values())
                if name == 'total' else self.counts[s][name] for s in splits
            ]
            rows.append(
                ' '.join([name.ljust(width)] +
                         [str(v).rjust(w) for v, w in zip(values, cols)]))
        rows.append(f'skipped: {len(self.skipped)}' +
                    ''.join(f'\n  {kind}: {n}'
                            for kind, n in self.skipped_by_kind().items()))
        rows += [
            f'  {s["kind"]}: {s["source"]}: {s["reason"]}'
            for s in self.skipped
        ]
        return '\n'.join(rows)

    def write(self, echo: bool = True) -> Tuple[str, str]:
        """Write ``conversion_report.json`` and ``.txt`` to ``out_dir``
        (printing the summary when ``echo``); returns both paths."""
        os.makedirs(self.out_dir, exist_ok=True)
        base = osp.join(self.out_dir, REPORT_NAME)
        text = self.summary()
        write_json(
            base + '.json',
            dict(
                title=self.title,
                counts={
                    s: dict(c)
                    for s, c in self.counts.items()
                },
                skipped_by_kind=self.skipped_by_kind(),
                skipped=self.skipped))
        with atomic_path(base + '.txt') as tmp, open(tmp, 'w') as f:
            f.write(text + '\n')
        if echo:
            print(text)
        return base + '.json', base + '.txt'


def process_items(items: Sequence[Item],
                  work: Callable[[Item], Result],
                  report: ConversionReport,
                  desc: str,
                  source_of: Callable[[Item], str] = str,
                  progress: bool = True) -> List[Tuple[Item, Result]]:
    """Run ``work`` on every item under a tqdm bar; returns the
    ``(item, result)`` pairs that succeeded, in order.

    An item whose work raises :class:`SkipItem` is recorded under its kind,
    any other exception under ``'failed'`` (with the exception's type); the
    loop goes on either way. ``source_of(item)`` names the item in the report.
    """
    from tqdm import tqdm

    done = []
    for item in tqdm(items, desc=desc, disable=not progress, unit='clip'):
        try:
            done.append((item, work(item)))
        except SkipItem as exc:
            report.skip(source_of(item), exc.kind, str(exc))
        except Exception as exc:  # one bad item must not stop the run
            report.skip(
                source_of(item), 'failed', f'{type(exc).__name__}: {exc}')
    return done


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path beside ``path``; on success rename it to
    ``path``, on error remove it. The temporary name keeps the extension
    (``a.npy`` -> ``a.part.npy``), so writers that add one do not change it.
    """
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    stem, ext = osp.splitext(path)
    tmp = f'{stem}.part{ext}'
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def write_json(path: str, obj: Any) -> None:
    """Write ``obj`` as indented json to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        json.dump(obj, f, indent=1)


def write_class_map(path: str, classes: Sequence[str]) -> None:
    """Write ``classes.txt``: one name per line, the label is the line
    index."""
    bad = [c for c in classes if not c or '\n' in c or c != c.strip()]
    if bad or len(set(classes)) != len(classes):
        raise ValueError(
            f'class names must be unique, non-empty single lines without '
            f'outer spaces; got {list(classes)}')
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        f.writelines(f'{c}\n' for c in classes)


def read_class_map(path: str) -> List[str]:
    """The class names of a ``classes.txt`` (blank lines are errors).

    Raises:
        ValueError naming ``path`` and the line of a blank or repeated name.
    """
    with open(path) as f:
        names = f.read().splitlines()
    for i, name in enumerate(names):
        if not name.strip() or name in names[:i]:
            raise ValueError(
                f'{path}: line {i + 1} is {name!r}; expected one unique, '
                'non-empty class name per line')
    return [n.strip() for n in names]


def write_annotation(path: str, data_list: Sequence[Dict[str, Any]],
                     classes: Sequence[str], dataset: str,
                     **metainfo: Any) -> None:
    """Write the JSON that ``AudioVisualDataset`` reads.

    ``{"metainfo": {"classes": [...], "dataset": dataset, **metainfo},
    "data_list": [{"video": ..., "label": ..., "audio": ...}, ...]}``

    Raises:
        ValueError: an entry has no ``video`` path or a label that is not an
            int in ``[0, len(classes))``; the message names its index.
    """
    for i, entry in enumerate(data_list):
        label = entry.get('label')
        if not entry.get('video') or isinstance(label, bool) or not isinstance(
                label, int) or not 0 <= label < len(classes):
            raise ValueError(
                f'{path}: data_list[{i}] = {entry!r} needs a "video" path and '
                f'an int "label" in [0, {len(classes)})')
    write_json(
        path,
        dict(
            metainfo=dict(classes=list(classes), dataset=dataset, **metainfo),
            data_list=list(data_list)))
