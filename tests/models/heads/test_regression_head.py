"""RegressionHead: view averaging, L1 / MSE losses and predictions."""
import pytest
import torch
from mmaction.structures import ActionDataSample

from clcr_plugin.models.heads import RegressionHead


def samples(targets):
    out = []
    for t in targets:
        s = ActionDataSample()
        s.set_field(torch.tensor([t]), 'gt_regression')
        out.append(s)
    return out


def head(loss='l1') -> RegressionHead:
    h = RegressionHead(in_channels=2, loss=loss)
    with torch.no_grad():  # prediction = x0 - x1 + 0.5
        h.fc.weight.copy_(torch.tensor([[1.0, -1.0]]))
        h.fc.bias.fill_(0.5)
    return h


FEATS = torch.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [0.0, 0.0]])


@pytest.mark.parametrize('loss,expected', [('l1', (0.5 + 1.0) / 2),
                                           ('mse', (0.25 + 1.0) / 2)])
def test_loss_is_the_configured_one_over_view_averaged_features(
        loss, expected):
    # two samples of two views: means (2, 0) and (0, 1) -> 2.5 and -0.5
    losses = head(loss).loss(
        FEATS[:, :, None, None], samples([3.0, 0.5]), num_segs=2)
    assert losses['loss_regression'].item() == pytest.approx(expected)


def test_predict_writes_one_value_per_sample():
    out = head().predict(FEATS, samples([0.0, 0.0]), num_segs=1)
    assert [s.pred_regression.tolist() for s in out] == [[2.5], [-0.5]]
    single = head().predict(FEATS, samples([0.0] * 4))
    assert [s.pred_regression.item() for s in single] == [1.5, 3.5, -1.5, 0.5]


def test_errors_name_the_setting_or_the_samples():
    with pytest.raises(ValueError, match=r"one of \['l1', 'mse'\], got 'l2'"):
        RegressionHead(2, loss='l2')
    with pytest.raises(KeyError, match=r'samples \[0\] have no gt_regression'):
        head().loss(FEATS[:1], [ActionDataSample()])
