"""A non-finite loss stops training with a message naming the terms and the
iteration, before the backward pass."""
import pytest
import torch
from mmengine.logging import MessageHub

from clcr_plugin.models.recognizers.loss_guard import (
    average_and_check_log_vars, current_iteration)


def test_finite_values_pass_through_detached():
    loss = torch.tensor(2.0, requires_grad=True)
    out = average_and_check_log_vars(
        dict(loss=loss * 1.0, loss_cls=torch.tensor(1.5)))
    assert list(out) == ['loss', 'loss_cls']
    assert out['loss'].item() == 2.0 and not out['loss'].requires_grad
    assert out['loss_cls'].item() == 1.5


def test_non_finite_terms_are_named_with_the_iteration():
    hub = MessageHub.get_instance('loss-guard-test')
    hub.update_info('iter', 41)
    hub.update_info('epoch', 2)
    with pytest.raises(
            FloatingPointError,
            match=(r'non-finite loss at iteration 42 \(epoch 3\): '
                   r'loss=nan, loss_pr=inf')):
        average_and_check_log_vars(
            dict(
                loss=torch.tensor(float('nan')),
                loss_cls=torch.tensor(0.5),
                loss_pr=torch.tensor(float('inf'))))


def test_outside_a_runner_the_iteration_is_unknown():
    MessageHub.get_instance('loss-guard-empty')
    assert current_iteration() == 'an unknown iteration'


def test_recognizer_parse_losses_raises_before_backward():
    from mmaction.registry import MODELS
    from tiny_models import tiny_recognizer

    import clcr_plugin  # noqa: F401

    model = MODELS.build(tiny_recognizer('concat'))
    good = dict(loss_cls=torch.tensor(1.0, requires_grad=True))
    loss, log_vars = model.parse_losses(good)
    assert loss.requires_grad and log_vars['loss'].item() == 1.0
    with pytest.raises(FloatingPointError, match='loss_cls=nan'):
        model.parse_losses(dict(loss_cls=torch.tensor(float('nan'))))
