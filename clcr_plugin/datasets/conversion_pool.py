""":func:`~.conversion.process_items` with the work spread over processes.

Same report, same order of results, same never-stop-halfway rule; the
progress bar advances as results arrive in order. ``work`` must pickle (a
module-level function, or a ``functools.partial`` of one).
"""
from functools import partial
from multiprocessing import Pool
from typing import (Any, Callable, Iterable, Iterator, List, Optional,
                    Sequence, Tuple, TypeVar)

from .conversion import ConversionReport, SkipItem, process_items

Item = TypeVar('Item')
Result = TypeVar('Result')
# (result, None) on success, (None, (kind, reason)) when skipped
Outcome = Tuple[Any, Optional[Tuple[str, str]]]


def _outcome(work: Callable[[Item], Result], item: Item) -> Outcome:
    """Run ``work`` in a worker; exceptions become picklable outcomes."""
    try:
        return work(item), None
    except SkipItem as exc:
        return None, (exc.kind, str(exc))
    except Exception as exc:  # one bad item must not stop the run
        return None, ('failed', f'{type(exc).__name__}: {exc}')


def _unpack(pair: Tuple[Item, Outcome]) -> Any:
    result, skipped = pair[1]
    if skipped is not None:
        raise SkipItem(*skipped)
    return result


class _Sized:
    """A lazy iterable with a known length (for the progress bar's total)."""

    def __init__(self, pairs: Iterable, length: int) -> None:
        self.pairs, self.length = pairs, length

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator:
        return iter(self.pairs)


def process_items_in_pool(items: Sequence[Item],
                          work: Callable[[Item], Result],
                          report: ConversionReport,
                          desc: str,
                          source_of: Callable[[Item], str] = str,
                          progress: bool = True,
                          workers: int = 1) -> List[Tuple[Item, Result]]:
    """:func:`~.conversion.process_items` on ``workers`` processes (in this
    process when ``workers <= 1``); returns the ``(item, result)`` pairs that
    succeeded, in order."""
    if workers <= 1:
        return process_items(items, work, report, desc, source_of, progress)
    with Pool(workers) as pool:
        outcomes = pool.imap(partial(_outcome, work), items)
        done = process_items(
            _Sized(zip(items, outcomes), len(items)), _unpack, report, desc,
            lambda pair: source_of(pair[0]), progress)
    return [(item, result) for (item, _), result in done]
