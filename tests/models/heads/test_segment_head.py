"""SegmentClsHead: per-segment scores, cross-entropy and predictions."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import clcr_plugin  # noqa: F401
from clcr_plugin.models.heads import fold_segments


def head(num_classes=3, in_channels=2, **kwargs):
    """A head whose classifier is the identity on 2 features plus a zero
    third score: scores of feature row ``f`` are ``(f0, f1, 0)``."""
    h = MODELS.build(
        dict(
            type='SegmentClsHead',
            num_classes=num_classes,
            in_channels=in_channels,
            **kwargs))
    with torch.no_grad():
        h.fc_cls.weight.copy_(torch.tensor([[1., 0.], [0., 1.], [0., 0.]]))
        h.fc_cls.bias.zero_()
    return h


def samples(*segment_labels):
    out = []
    for labels in segment_labels:
        s = ActionDataSample()
        s.set_field(list(labels), 'segment_labels')
        out.append(s)
    return out


def test_fold_segments_keeps_samples_major():
    scores = torch.arange(12.).reshape(6, 2)  # 2 samples x 3 segments
    folded = fold_segments(scores, 2)
    assert folded.shape == (2, 3, 2)
    assert folded[1, 0].tolist() == [6., 7.]  # sample 1, segment 0
    with pytest.raises(ValueError, match='6 segment scores .* 4 samples'):
        fold_segments(scores, 4)


def test_loss_is_the_mean_cross_entropy_over_every_segment():
    h = head()
    # 2 samples x 2 segments, features (N * S, D, 1, 1) as the recognizer
    # gives them
    feats = torch.tensor([[2., 0.], [0., 0.], [0., 3.], [1., 1.]])
    labels = [[0, 2], [1, 0]]
    losses = h.loss(feats[:, :, None, None], samples(*labels), num_segs=2)
    scores = torch.tensor([[2., 0, 0], [0, 0, 0], [0, 3, 0], [1, 1, 0]])
    expected = F.cross_entropy(scores, torch.tensor([0, 2, 1, 0]))
    torch.testing.assert_close(losses['loss_cls'], expected)
    # by hand: -log softmax of the true class of each segment
    e = math.e
    by_hand = -(math.log(e**2 / (e**2 + 2)) + math.log(1 / 3) +
                math.log(e**3 / (e**3 + 2)) + math.log(e / (2 * e + 1))) / 4
    assert losses['loss_cls'].item() == pytest.approx(by_hand, rel=1e-6)
    # argmax per segment: 0, 0 (tie -> first), 1, 0 -> 3 of 4 right
    assert losses['segment_acc'].item() == pytest.approx(0.75)


def test_loss_backpropagates_to_the_classifier():
    h = head()
    feats = torch.randn(6, 2, requires_grad=True)
    h.loss(feats, samples([0, 1, 2], [2, 2, 2]))['loss_cls'].backward()
    assert feats.grad.abs().sum() > 0 and h.fc_cls.weight.grad is not None


def test_predict_sets_per_segment_scores_and_labels():
    h = head()
    feats = torch.tensor([[2., 0.], [0., 5.], [-1., -1.], [0., 0.5]])
    preds = h.predict(feats, samples([0, 1], [2, 2]))
    assert preds[0].pred_segment_labels.tolist() == [0, 1]
    assert preds[1].pred_segment_labels.tolist() == [2, 1]
    torch.testing.assert_close(preds[1].pred_segment_scores[0],
                               F.softmax(torch.tensor([-1., -1., 0.]), 0))
    assert preds[0].pred_segment_scores.shape == (2, 3)
    # the ground truth stays beside the prediction
    assert preds[0].segment_labels == [0, 1]


def test_errors_name_the_sample_and_the_numbers():
    h = head()
    with pytest.raises(KeyError, match=r'data_samples\[1\] has no segment'):
        h.loss(torch.zeros(4, 2), samples([0, 0]) + [ActionDataSample()])
    with pytest.raises(
            ValueError,
            match=r'data_samples\[0\].segment_labels holds 3 labels, but '
            'the recognizer gave 2 segments'):
        h.loss(torch.zeros(4, 2), samples([0, 0, 0], [0, 0]))
    with pytest.raises(ValueError, match=r'outside \[0, 3\)'):
        h.loss(torch.zeros(2, 2), samples([0, 3]))
    with pytest.raises(ValueError, match='>= 2; got 1'):
        MODELS.build(dict(type='SegmentClsHead', num_classes=1, in_channels=2))
