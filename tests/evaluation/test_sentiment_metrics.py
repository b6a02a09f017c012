"""Sentiment metrics against values computed by hand, ties at zero
included."""
import math

import numpy as np
import pytest
import torch
from mmaction.registry import METRICS

import clcr_plugin  # noqa: F401
from clcr_plugin.evaluation.sentiment_metrics import (sentiment_scores,
                                                      weighted_binary_f1)

# a predicted 0 (index 2), a true 0 (index 1), ties at .5 (indices 2, 3, 4)
PRED = [1.4, -0.6, 0.0, 2.5, -3.7, 0.2]
TRUE = [1.0, 0.0, -0.5, 3.0, -2.5, -0.2]


def test_scores_equal_the_hand_computed_values():
    scores = sentiment_scores(torch.tensor(PRED), torch.tensor(TRUE))
    expected = dict(
        mae=3.6 / 6,
        # non-negative? pred T F T T F T, true T T F T F F
        acc2_has0=3 / 6,
        # F1(T) = 2*2/(4+3), F1(F) = 2*1/(2+3), weighted by 3 and 3
        f1_has0=17 / 35,
        # true 0 left out; predicted 0 is negative: agrees with -0.5
        acc2_non0=4 / 5,
        f1_non0=0.8,
        # round(clip(., -2, 2)): 1 -1 0 2 -2 0 vs 1 0 0 2 -2 0
        acc5=5 / 6,
        # round(clip(., -3, 3)), half to even: 1 -1 0 2 -3 0 vs 1 0 0 3 -2 0
        acc7=3 / 6,
        corr=np.corrcoef(PRED, TRUE)[0, 1])
    assert scores.keys() == expected.keys()
    for key, value in expected.items():
        assert scores[key] == pytest.approx(value, abs=1e-6), key


def test_weighted_f1_weights_by_true_class_size():
    pred = torch.tensor([True, True, True, False])
    true = torch.tensor([True, False, False, False])
    # F1(T) = 2/(3+1) = 0.5 (1 true), F1(F) = 2/(1+3) = 0.5 (3 true)
    assert weighted_binary_f1(pred, true) == pytest.approx(0.5)
    assert weighted_binary_f1(true, true) == 1.0


def test_undefined_scores_are_nan_and_bad_shapes_raise():
    scores = sentiment_scores(torch.ones(3), torch.zeros(3))
    assert math.isnan(scores['corr'])
    assert math.isnan(scores['acc2_non0']) and math.isnan(scores['f1_non0'])
    assert scores['acc2_has0'] == 1.0 and scores['mae'] == 1.0
    with pytest.raises(ValueError, match=r'\(N,\) with N > 0'):
        sentiment_scores(torch.ones(3), torch.ones(2))


def test_registered_metric_reads_the_sample_fields():
    metric = METRICS.build(dict(type='SentimentMetric'))
    metric.process({}, [
        dict(
            pred_regression=torch.tensor([p]), gt_regression=torch.tensor([t]))
        for p, t in zip(PRED, TRUE)
    ])
    result = metric.evaluate(len(PRED))
    assert result['mae'] == pytest.approx(0.6)
    assert result['acc7'] == pytest.approx(0.5)
