"""Per-segment accuracy of event localisation (AVE's metric)."""
from typing import Dict, List, Optional, Sequence

import torch
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric


def segment_accuracy(pred: torch.Tensor, target: torch.Tensor,
                     background_index: int) -> Dict[str, float]:
    """Accuracy over every segment, and over the event segments only.

    AVE's localisation accuracy (Tian et al., ECCV 2018) is the fraction of
    all seconds of a split whose predicted label, background included,
    equals the true one: ``mean(pred == target)`` over every second (not a
    mean of per-clip accuracies). The event accuracy is the same mean over
    the seconds whose true label is an event (not ``background_index``); it
    is NaN when the split has none.

    Args:
        pred: predicted labels, one per second, any shape (e.g. (N, S)).
        target: true labels, the same shape.
        background_index: the background label.

    Returns:
        ``{'segment_acc': float, 'segment_acc_event': float}``.

    Raises:
        ValueError: the shapes differ or hold no second.
    """
    if pred.shape != target.shape or not pred.numel():
        raise ValueError(
            'pred and target must have the same non-empty shape, got '
            f'{tuple(pred.shape)} and {tuple(target.shape)}')
    correct = (pred == target).double()
    event = target != background_index
    return {
        'segment_acc':
        float(correct.mean()),
        'segment_acc_event':
        float(correct[event].mean()) if event.any() else float('nan')
    }


@METRICS.register_module()
class SegmentAccuracy(BaseMetric):
    """AVE's per-second accuracy (keys ``segment_acc``, ``segment_acc_event``;
    see :func:`segment_accuracy`).

    Reads ``pred_segment_labels`` and ``pred_segment_scores`` (set by
    ``SegmentClsHead``) and ``segment_labels`` of every data sample.

    Args:
        background_index (int, optional): the background label. Default
            None: the last score column, as ``SegmentClsHead`` orders
            classes (events, then background).
        collect_device: ``'cpu'`` or ``'gpu'``. Default ``'cpu'``.
        prefix: metric name prefix. Default None.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 background_index: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.background_index = background_index

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for i, sample in enumerate(data_samples):
            missing = [
                key for key in ('pred_segment_labels', 'pred_segment_scores',
                                'segment_labels') if key not in sample
            ]
            if missing:
                raise KeyError(
                    f'SegmentAccuracy: data sample {i} lacks {missing} (a '
                    'SegmentClsHead predicts per segment; the pipeline packs '
                    "algorithm_keys=('segment_labels',))")
            pred = torch.as_tensor(sample['pred_segment_labels']).cpu()
            target = torch.as_tensor(sample['segment_labels']).cpu()
            if pred.shape != target.shape:
                raise ValueError(
                    f'SegmentAccuracy: data sample {i} has '
                    f'{tuple(pred.shape)} predicted and {tuple(target.shape)}'
                    ' true segment labels')
            self.results.append((pred.long(), target.long(),
                                 int(sample['pred_segment_scores'].shape[-1])))

    def compute_metrics(self, results: List[tuple]) -> dict:
        if not results:
            raise ValueError('SegmentAccuracy got no samples to evaluate (is '
                             'the evaluation dataloader empty?)')
        # every second of the split (clips may differ in length)
        pred = torch.cat([r[0].flatten() for r in results])
        target = torch.cat([r[1].flatten() for r in results])
        background = self.background_index
        if background is None:
            background = results[0][2] - 1
        return segment_accuracy(pred, target, background)
