"""Sentiment regression metrics as the MOSI / MOSEI literature computes them
(MMSA's ``eval_mosi_regression``, MulT's ``eval_mosei_senti``), and
``SentimentMetric`` registered in mmaction2's ``METRICS``."""
from typing import Dict, List, Optional, Sequence

import torch
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric
from torch import Tensor


def weighted_binary_f1(pred: Tensor, target: Tensor) -> float:
    """F1 of both classes of two (N,) bool tensors, averaged with weights of
    the true class sizes (scikit-learn's ``f1_score(target, pred,
    average='weighted')``); a class never predicted nor true has F1 0."""
    total = 0.0
    for positive in (True, False):
        p, t = pred == positive, target == positive
        tp = (p & t).sum().item()
        denominator = p.sum().item() + t.sum().item()  # 2 TP + FP + FN
        f1 = 2 * tp / denominator if denominator else 0.0
        total += f1 * t.sum().item()
    return total / max(len(target), 1)


def class_accuracy(pred: Tensor, target: Tensor, bound: float) -> float:
    """Accuracy of the classes ``round(clip(y, -bound, bound))``
    (round-half-to-even, as numpy's ``np.round``)."""
    return (pred.clamp(-bound, bound).round() == target.clamp(
        -bound, bound).round()).double().mean().item()


def pearson(pred: Tensor, target: Tensor) -> float:
    """Pearson correlation; NaN when either side is constant (as
    ``np.corrcoef``)."""
    p, t = pred - pred.mean(), target - target.mean()
    denominator = (p.square().sum() * t.square().sum()).sqrt()
    if denominator == 0:
        return float('nan')
    return ((p * t).sum() / denominator).item()


def sentiment_scores(pred: Tensor, target: Tensor) -> Dict[str, float]:
    """MOSI / MOSEI scores of (N,) predicted and true sentiment.

    * ``mae``: mean absolute error (unclipped); ``corr``: Pearson r.
    * ``acc2_has0`` / ``f1_has0``: negative (< 0) vs non-negative (>= 0),
      every sample; a 0 is non-negative on either side.
    * ``acc2_non0`` / ``f1_non0``: negative vs positive, samples whose true
      value is 0 left out; a predicted 0 counts as negative (``pred > 0``).
    * ``acc5`` / ``acc7``: accuracy of the classes ``round(clip(y, -2, 2))``
      / ``round(clip(y, -3, 3))``, ties rounded half to even.

    F1 is the support-weighted F1 of both classes. Accuracies and F1 are
    fractions in [0, 1]; the non-0 pair is NaN when every true value is 0.

    Raises:
        ValueError: shapes differ or are not (N,), or N is 0.
    """
    if pred.dim() != 1 or pred.shape != target.shape or not len(pred):
        raise ValueError(f'pred and target must both be (N,) with N > 0, '
                         f'got {tuple(pred.shape)} and {tuple(target.shape)}')
    pred, target = pred.double(), target.double()
    non0 = target != 0
    nan = float('nan')
    return dict(
        mae=(pred - target).abs().mean().item(),
        corr=pearson(pred, target),
        acc2_has0=((pred >= 0) == (target >= 0)).double().mean().item(),
        f1_has0=weighted_binary_f1(pred >= 0, target >= 0),
        acc2_non0=((pred[non0] > 0) == (
            target[non0] > 0)).double().mean().item() if non0.any() else nan,
        f1_non0=weighted_binary_f1(pred[non0] > 0, target[non0] > 0)
        if non0.any() else nan,
        acc5=class_accuracy(pred, target, 2.0),
        acc7=class_accuracy(pred, target, 3.0))


@METRICS.register_module()
class SentimentMetric(BaseMetric):
    """MAE, Pearson correlation, Acc-2 and F1 (has-0 and non-0), Acc-5 and
    Acc-7 of ``pred_regression`` against ``gt_regression`` (see
    :func:`sentiment_scores`).

    Args:
        collect_device (str): ``'cpu'`` or ``'gpu'``. Default 'cpu'.
        prefix (str, optional): metric name prefix. Default None.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(
                (float(sample['pred_regression'].reshape(())),
                 float(torch.as_tensor(sample['gt_regression']).reshape(()))))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        if not results:
            raise ValueError('SentimentMetric got no samples to evaluate')
        pred, target = torch.tensor(results, dtype=torch.float64).unbind(1)
        return sentiment_scores(pred, target)
