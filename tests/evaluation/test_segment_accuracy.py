"""SegmentAccuracy: AVE's per-second accuracy, against hand-computed
examples with background seconds."""
import math

import pytest
import torch

from clcr_plugin.evaluation import SegmentAccuracy, segment_accuracy

BG = 3  # three events (0, 1, 2) and the background


def sample(pred, target, num_classes=BG + 1):
    pred = torch.tensor(pred)
    return dict(
        pred_segment_labels=pred,
        pred_segment_scores=torch.nn.functional.one_hot(pred, num_classes),
        segment_labels=list(target))


def test_segment_accuracy_counts_every_second_background_included():
    # clip 1: event 0 in seconds 1-3; 5 of 5 seconds right
    # clip 2: event 2 in seconds 0-1; seconds 1 (event missed) and 4
    # (background called event 1) wrong: 3 of 5
    pred = torch.tensor([[BG, 0, 0, 0, BG], [2, BG, BG, BG, 1]])
    target = torch.tensor([[BG, 0, 0, 0, BG], [2, 2, BG, BG, BG]])
    result = segment_accuracy(pred, target, BG)
    assert result['segment_acc'] == pytest.approx(8 / 10)
    # event seconds: 3 of clip 1 right, 1 of 2 of clip 2: 4 of 5
    assert result['segment_acc_event'] == pytest.approx(4 / 5)


def test_segment_accuracy_without_event_seconds_is_nan_for_events():
    result = segment_accuracy(
        torch.tensor([[BG, 0]]), torch.tensor([[BG, BG]]), BG)
    assert result['segment_acc'] == 0.5
    assert math.isnan(result['segment_acc_event'])


def test_segment_accuracy_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r'\(1, 2\) and \(2, 1\)'):
        segment_accuracy(torch.zeros(1, 2), torch.zeros(2, 1), BG)
    with pytest.raises(ValueError, match='non-empty'):
        segment_accuracy(torch.zeros(0, 10), torch.zeros(0, 10), BG)


def test_metric_averages_over_all_seconds_not_over_clips():
    """A clip of 2 right seconds and one with 1 wrong of 4: 5/6 over
    seconds (not 0.875, the mean of per-clip accuracies)."""
    metric = SegmentAccuracy()
    metric.process(None, [sample([0, 0], [0, 0])])
    metric.process(None, [sample([1, 1, 1, BG], [1, 1, 1, 1])])
    result = metric.compute_metrics(metric.results)
    assert result['segment_acc'] == pytest.approx(5 / 6)
    assert result['segment_acc_event'] == pytest.approx(5 / 6)
    metric = SegmentAccuracy()
    metric.process(None, [
        sample([0, 0, BG], [0, 0, BG]),
        sample([1, BG, BG], [1, 1, BG]),
        sample([BG, BG, 2], [BG, BG, BG])
    ])
    result = metric.compute_metrics(metric.results)
    assert result == pytest.approx({
        'segment_acc': 7 / 9,
        'segment_acc_event': 3 / 4
    })


def test_metric_takes_background_from_the_last_score_column_or_argument():
    samples = [sample([0, 1], [0, 1], num_classes=2)]
    metric = SegmentAccuracy()  # background = 1: one event second, right
    metric.process(None, samples)
    assert metric.compute_metrics(metric.results)['segment_acc_event'] == 1
    metric = SegmentAccuracy(background_index=0)
    metric.process(None, samples)
    assert metric.compute_metrics(metric.results)['segment_acc_event'] == 1
    metric = SegmentAccuracy(background_index=5)  # both seconds are events
    metric.process(None, [sample([0, 0], [0, 1], num_classes=2)])
    assert metric.compute_metrics(metric.results)['segment_acc_event'] == 0.5


def test_metric_names_missing_fields():
    metric = SegmentAccuracy()
    with pytest.raises(KeyError, match=r"lacks \['segment_labels'\]"):
        metric.process(None,
                       [dict(pred_segment_labels=1, pred_segment_scores=1)])
    with pytest.raises(ValueError, match=r'\(2,\) predicted and \(3,\) true'):
        metric.process(None, [sample([0, 0], [0, 0, 0])])
    with pytest.raises(ValueError, match='no samples'):
        metric.compute_metrics([])
