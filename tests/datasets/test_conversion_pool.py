"""process_items_in_pool: the same report and order as process_items."""
import pytest

from clcr_plugin.datasets.conversion import ConversionReport, SkipItem
from clcr_plugin.datasets.conversion_pool import process_items_in_pool


def square_unless_odd_or_four(item: int) -> int:
    if item % 2:
        raise SkipItem('odd', f'{item} is odd')
    if item == 4:
        raise ZeroDivisionError('four')
    return item * item


@pytest.mark.parametrize('workers', [1, 3])
def test_results_in_order_and_skips_reported_by_kind(tmp_path, workers):
    report = ConversionReport(str(tmp_path), 'pool')
    done = process_items_in_pool(
        list(range(9)),
        square_unless_odd_or_four,
        report,
        'test',
        source_of=lambda i: f'item{i}',
        progress=False,
        workers=workers)
    assert done == [(0, 0), (2, 4), (6, 36), (8, 64)]
    assert report.skipped_by_kind() == {'failed': 1, 'odd': 4}
    assert dict(
        source='item4', kind='failed',
        reason='ZeroDivisionError: four') in report.skipped
    assert dict(
        source='item7', kind='odd', reason='7 is odd') in report.skipped
