import pytest
import torch
from mmaction.registry import METRICS

from clcr_plugin.evaluation import MacroF1Metric, macro_f1


def labels(*values: int) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.long)


def test_class_in_target_but_never_predicted_counts_with_f1_zero():
    # class 0: TP 1, FP 2, FN 1 -> 2/5; class 1: TP 2, FP 1 -> 4/5; class 2:
    # never predicted -> 0;
    # class 3: in neither -> left out of the mean
    pred, target = labels(0, 1, 1, 1, 0, 0), labels(0, 0, 1, 1, 2, 2)
    assert macro_f1(
        pred, target, num_classes=4) == pytest.approx((0.4 + 0.8 + 0.0) / 3)


def test_class_predicted_but_absent_from_target_counts_with_f1_zero():
    # class 0: TP 1, FN 1 -> 2/3; class 1: FP 1 -> 0
    assert macro_f1(
        labels(0, 1), labels(0, 0), num_classes=2) == pytest.approx(1 / 3)


def test_perfect_and_all_wrong_predictions():
    target = labels(2, 0, 1, 2)
    assert macro_f1(target.clone(), target, num_classes=3) == 1.0
    assert macro_f1((target + 1) % 3, target, num_classes=3) == 0.0
    assert macro_f1(
        labels(), labels(), num_classes=3) == 0.0  # nothing to average


def test_macro_f1_differs_from_accuracy_on_an_imbalanced_set():
    # 9 of class 0 and 1 of class 1, always predicting 0: accuracy 0.9, F1
    # (2*9/19 + 0) / 2
    target = labels(*[0] * 9, 1)
    assert macro_f1(
        torch.zeros(10, dtype=torch.long), target,
        num_classes=2) == pytest.approx(9 / 19)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(
            ValueError,
            match=r'pred and target must both be \(N,\), got \(3,\) and \(2,\)'
    ):
        macro_f1(labels(0, 1, 1), labels(0, 1), num_classes=2)
    with pytest.raises(ValueError, match=r'got \(1, 2\) and \(1, 2\)'):
        macro_f1(labels(0, 1)[None], labels(0, 1)[None], num_classes=2)
    with pytest.raises(ValueError, match='num_classes must be >= 1, got 0'):
        macro_f1(labels(0), labels(0), num_classes=0)
    with pytest.raises(
            ValueError,
            match=r'target holds class indices outside \[0, 2\): \[2, 5\]'):
        macro_f1(labels(0, 1, 1), labels(5, 2, 1), num_classes=2)
    with pytest.raises(
            ValueError,
            match=r'pred holds class indices outside \[0, 2\): \[-1\]'):
        macro_f1(labels(-1, 1), labels(0, 1), num_classes=2)


def sample(scores, label):
    return dict(
        pred_score=torch.tensor(scores), gt_label=torch.tensor([label]))


def test_metric_scores_the_argmax_of_each_sample():
    metric = METRICS.build(dict(type='MacroF1Metric'))
    assert isinstance(metric, MacroF1Metric)
    # arg-max predictions 0, 1, 1 for targets 0, 0, 1 over 3 classes (class 2
    # in neither)
    metric.process(None,
                   [sample([0.7, 0.2, 0.1], 0),
                    sample([0.1, 0.8, 0.1], 0)])
    metric.process(None, [sample([0.2, 0.5, 0.3], 1)])
    assert metric.evaluate(3) == {
        'macro_f1': pytest.approx((2 / 3 + 2 / 3) / 2)
    }
    prefixed = MacroF1Metric(prefix='val')
    prefixed.process(None, [sample([0.9, 0.1], 0)])
    assert prefixed.evaluate(1) == {'val/macro_f1': 1.0}


def test_metric_without_samples_raises():
    with pytest.raises(
            ValueError, match='MacroF1Metric got no samples to evaluate'):
        MacroF1Metric().compute_metrics([])
