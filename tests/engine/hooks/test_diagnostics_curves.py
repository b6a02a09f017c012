"""CLCR's diagnostics and loss terms reach the visualiser backends in train
and val (a short tools/train.py run: the ``tiny_trained`` fixture)."""
import json

import pytest
import torch
from mmaction.structures import ActionDataSample

from clcr_plugin.engine.hooks.clcr_diagnostics_hook import prediction_loss

DIAGNOSTICS = ('clcr_rate_l1', 'clcr_rate_l3', 'clcr_omega_l2',
               'clcr_weight_rgb', 'clcr_weight_audio', 'clcr_eta_rgb',
               'clcr_eta_audio', 'clcr_reg_intra', 'clcr_reg_mix')


def sample(score, label):
    s = ActionDataSample().set_gt_label(label)
    s.pred_score = torch.tensor(score)
    return s


def test_prediction_loss_is_the_nll_of_probabilities_and_ce_of_logits():
    probs = [sample([0.25, 0.75], 1), sample([0.5, 0.5], 0)]
    loss, n = prediction_loss(probs)
    expected = -(torch.tensor(0.75).log() + torch.tensor(0.5).log()) / 2
    assert n == 2
    torch.testing.assert_close(loss, expected)
    logits = [sample([2.0, 0.0], 0)]
    loss, _ = prediction_loss(logits)
    torch.testing.assert_close(loss,
                               -torch.tensor([2.0, 0.0]).log_softmax(0)[0])
    # no usable ground truth: nothing to report
    assert prediction_loss([sample([0.5, 0.5], -1)]) is None
    assert prediction_loss([]) is None


@pytest.mark.slow
def test_diagnostics_and_losses_are_in_the_local_backend_for_train_and_val(
        tiny_trained):
    path = next(tiny_trained['work_dir'].glob('*/vis_data/scalars.json'))
    records = [json.loads(line) for line in path.read_text().splitlines()]
    train = [r for r in records if 'train/loss' in r]
    val = [r for r in records if 'val/acc/top1' in r]
    assert len(train) == 4 and len(val) == 1
    for key in DIAGNOSTICS + ('loss_cls', 'loss_intra', 'loss_pr', 'loss_sp',
                              'loss_mix'):
        assert all(f'train/{key}' in r for r in train), key
    for key in DIAGNOSTICS + ('loss_cls', ):
        assert f'val/{key}' in val[0], key
    # values are what they mean: weights are distributions, rates in (0, 1]
    v = val[0]
    assert v['val/clcr_weight_rgb'] + v['val/clcr_weight_audio'] == (
        pytest.approx(1.0, abs=1e-4))
    assert sum(v[f'val/clcr_omega_l{i}'] for i in (1, 2, 3)) == pytest.approx(
        1.0, abs=1e-4)
    assert 0 < v['val/clcr_rate_l1'] <= 1
    assert 0 < v['val/loss_cls'] < 20
    # the weighted training term is lambda (0.1) x the unweighted one, under
    # the warm-up ramp (60 steps): at most 0.1 x
    for r in train:
        assert 0 <= r[
            'train/loss_intra'] <= 0.1 * r['train/clcr_reg_intra'] + 1e-6


@pytest.mark.slow
def test_diagnostics_are_in_the_tensorboard_events(tiny_trained):
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    events = next(tiny_trained['work_dir'].glob('*/vis_data/events.out.*'))
    acc = EventAccumulator(str(events))
    acc.Reload()
    tags = set(acc.Tags()['scalars'])
    for key in DIAGNOSTICS:
        assert f'train/{key}' in tags and f'val/{key}' in tags, key
    assert {'train/loss_intra', 'val/loss_cls'} <= tags
    assert len(acc.Scalars('train/clcr_rate_l1')) == 4
