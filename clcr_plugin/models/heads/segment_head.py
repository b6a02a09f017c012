"""``SegmentClsHead``: one class score per time segment (event
localisation)."""
from typing import Dict, List

import torch
import torch.nn.functional as F
from mmaction.models.heads import BaseHead
from mmaction.registry import MODELS
from mmengine.model.weight_init import normal_init
from torch import Tensor, nn


def fold_segments(scores: Tensor, num_samples: int) -> Tensor:
    """``(N * S, C)`` segment scores, sample-major, -> ``(N, S, C)``.

    Raises:
        ValueError: ``N * S`` is not a multiple of ``num_samples``.
    """
    if num_samples <= 0 or scores.shape[0] % num_samples:
        raise ValueError(
            f'{scores.shape[0]} segment scores do not split evenly over '
            f'{num_samples} samples')
    return scores.reshape(num_samples, -1, scores.shape[-1])


@MODELS.register_module()
class SegmentClsHead(BaseHead):
    """Classify every time segment of a clip (e.g. AVE's seconds).

    The recognizer fuses each segment on its own (segments travel on the
    view axis: ``SampleSegmentFrames`` + ``frames_per_view``), so the head
    gets ``(N * S, D[, 1, 1])`` fused features, sample-major, with ``S``
    segments per sample; ``S`` is the number of fused rows over the number
    of data samples. Scores stay per segment (no consensus over segments).

    ``loss`` is the cross-entropy of every segment against
    ``data_sample.segment_labels`` (S ints, background included), averaged
    over the ``N * S`` segments, and logs the batch's segment accuracy
    (``segment_acc``). ``predict`` sets, per sample,
    ``pred_segment_scores`` (S, C) softmax probabilities and
    ``pred_segment_labels`` (S,), which ``SegmentAccuracy`` scores and
    ``tools/test.py --dump`` writes.

    Args:
        num_classes (int): event classes plus background (AVE: 29).
        in_channels (int): fused feature width; the recognizer fills it in
            from the neck.
        loss_cls (dict): mmaction2 loss on (M, C) scores and (M,) labels.
            Default ``dict(type='CrossEntropyLoss')``.
        dropout_ratio (float): dropout before the classifier. Default 0.0.
        init_std (float): std of the classifier's normal init. Default 0.01.
        **kwargs: as mmaction2's ``BaseHead`` (``init_cfg`` ...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss_cls: Dict = dict(type='CrossEntropyLoss'),
                 dropout_ratio: float = 0.0,
                 init_std: float = 0.01,
                 **kwargs) -> None:
        if num_classes < 2:
            raise ValueError('SegmentClsHead: num_classes counts the events '
                             f'and the background, so >= 2; got {num_classes}')
        super().__init__(num_classes, in_channels, loss_cls=loss_cls, **kwargs)
        self.init_std = init_std
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio else None
        self.fc_cls = nn.Linear(in_channels, num_classes)

    def init_weights(self) -> None:
        normal_init(self.fc_cls, std=self.init_std)

    def forward(self, x: Tensor, **kwargs) -> Tensor:
        """``(N * S, D)`` or ``(N * S, D, 1, 1)`` -> ``(N * S, C)`` scores.

        ``num_segs`` and other keyword arguments of the recognizer are not
        needed: segments are never averaged here.
        """
        x = x.flatten(1)  # (N * S, D)
        if self.dropout is not None:
            x = self.dropout(x)
        return self.fc_cls(x)

    def segment_targets(self, data_samples: List, num_segments: int) -> Tensor:
        """``(N, S)`` long targets from ``data_sample.segment_labels``.

        Raises:
            KeyError: a data sample has no ``segment_labels``.
            ValueError: a sample holds another number of labels than the
                recognizer gave segments, or a label outside
                ``[0, num_classes)``.
        """
        targets = []
        for i, sample in enumerate(data_samples):
            if 'segment_labels' not in sample:
                raise KeyError(
                    f'data_samples[{i}] has no segment_labels; pack them with '
                    "PackMultiModalInputs(algorithm_keys=('segment_labels',))")
            labels = torch.as_tensor(sample.segment_labels).long().flatten()
            if labels.numel() != num_segments:
                raise ValueError(
                    f'data_samples[{i}].segment_labels holds {labels.numel()} '
                    f'labels, but the recognizer gave {num_segments} segments '
                    'per sample')
            if labels.min() < 0 or labels.max() >= self.num_classes:
                raise ValueError(
                    f'data_samples[{i}].segment_labels={labels.tolist()} has '
                    f'labels outside [0, {self.num_classes}) '
                    '(num_classes includes the background)')
            targets.append(labels)
        return torch.stack(targets)

    def loss(self, feats: Tensor, data_samples: List, **kwargs) -> Dict:
        scores = fold_segments(self(feats), len(data_samples))  # (N, S, C)
        targets = self.segment_targets(data_samples, scores.shape[1]).to(
            scores.device)  # (N, S)
        loss = self.loss_cls(scores.flatten(0, 1), targets.flatten())
        accuracy = (scores.detach().argmax(-1) == targets).float().mean()
        return dict(loss_cls=loss, segment_acc=accuracy)

    def predict(self, feats: Tensor, data_samples: List, **kwargs) -> List:
        scores = fold_segments(self(feats), len(data_samples))  # (N, S, C)
        probs = F.softmax(scores, dim=-1).detach()
        for sample, prob in zip(data_samples, probs):
            sample.set_field(prob, 'pred_segment_scores')
            sample.set_field(prob.argmax(-1), 'pred_segment_labels')
        return data_samples
