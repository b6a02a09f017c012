"""Classification metrics registered in mmaction2's ``METRICS``."""
from typing import List, Optional, Sequence

import torch
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric


def macro_f1(pred: torch.Tensor, target: torch.Tensor,
             num_classes: int) -> float:
    """Unweighted mean of per-class F1 over classes that occur in ``target`` or
    ``pred``.

    A class in ``target`` that is never predicted counts with F1 0; a class
    in neither is left out of the mean (it has no F1).

    Args:
        pred: (N,) predicted class indices.
        target: (N,) true class indices.
        num_classes: number of classes.

    Returns:
        The macro F1 in [0, 1]; 0.0 when N is 0.

    Raises:
        ValueError: the shapes differ or are not (N,), ``num_classes < 1``,
            or an index lies outside ``[0, num_classes)`` (the message names
            the offending values).
    """
    if pred.dim() != 1 or pred.shape != target.shape:
        raise ValueError(
            f'pred and target must both be (N,), got {tuple(pred.shape)} and '
            f'{tuple(target.shape)}')
    if num_classes < 1:
        raise ValueError(f'num_classes must be >= 1, got {num_classes}')
    for name, labels in (('pred', pred), ('target', target)):
        outside = labels[(labels < 0) | (labels >= num_classes)]
        if outside.numel():
            raise ValueError(
                f'{name} holds class indices outside [0, {num_classes}): '
                f'{outside.unique().tolist()}')
    confusion = torch.bincount(
        target * num_classes + pred,
        minlength=num_classes**2).reshape(num_classes, num_classes)
    tp = confusion.diag().double()
    support = confusion.sum(1).double() + confusion.sum(
        0).double()  # 2 TP + FP + FN
    seen = support > 0
    return float((2 * tp[seen] / support[seen]).mean()) if seen.any() else 0.0


@METRICS.register_module()
class MacroF1Metric(BaseMetric):
    """Macro-averaged F1 of the arg-max prediction (key ``macro_f1``, see
    :func:`macro_f1`).

    The number of classes is the length of ``pred_score``.

    Args:
        collect_device: ``'cpu'`` or ``'gpu'`` for distributed collection.
            Default ``'cpu'``.
        prefix: metric name prefix. Default None.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(
                (int(sample['pred_score'].argmax()), int(sample['gt_label']),
                 int(sample['pred_score'].numel())))

    def compute_metrics(self, results: List[tuple]) -> dict:
        if not results:
            raise ValueError(
                'MacroF1Metric got no samples to evaluate (is the evaluation '
                'dataloader empty?)')
        pred, target, num_classes = (
            torch.tensor(col) for col in zip(*results))
        return {'macro_f1': macro_f1(pred, target, int(num_classes.max()))}
