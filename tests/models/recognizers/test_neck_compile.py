"""``compile_neck``: the neck compiled in place trains and predicts as the
eager model does, in one graph per mode without a break, and keeps the
state-dict keys; bad options are errors naming the key."""
import pytest
import torch
from mmaction.registry import MODELS
from tiny_models import tiny_batch, tiny_recognizer
from torch._dynamo.utils import counters

import clcr_plugin  # noqa: F401
from clcr_plugin.models.recognizers.neck_compile import compile_options


def test_compile_options_are_torch_compile_arguments():
    assert compile_options(None) is None and compile_options(False) is None
    assert compile_options(True) == {}
    assert compile_options(dict(mode='reduce-overhead')) == dict(
        mode='reduce-overhead')
    with pytest.raises(KeyError, match=r"compile_neck has \['mdoe'\].*'mode'"):
        compile_options(dict(mdoe='max-autotune'))
    with pytest.raises(TypeError, match="compile_neck='yes': expected True"):
        compile_options('yes')


def train_then_predict(model) -> tuple:
    """Two training steps' losses and gradients, then two eval steps'
    predictions."""
    losses, grads = [], []
    model.train()
    for step in range(2):
        torch.manual_seed(step)  # the head's dropout
        model.zero_grad()
        data = model.data_preprocessor(tiny_batch(), training=True)
        loss = model(**data, mode='loss')
        sum(v for k, v in loss.items() if k.startswith('loss')).backward()
        losses.append({k: v.detach() for k, v in loss.items()})
        grads.append({n: p.grad.clone() for n, p in model.named_parameters()})
    model.eval()
    with torch.no_grad():  # twice: eager eval caches the bases after one
        scores = [
            p.pred_score for _ in range(2)
            for p in model.test_step(tiny_batch())
        ]
    return losses, grads, scores


def test_compiled_neck_trains_and_predicts_as_eager_without_graph_breaks():
    cfg = tiny_recognizer('clcr')
    eager = MODELS.build(cfg)
    eager.init_weights()
    compiled = MODELS.build(dict(cfg, compile_neck=dict(backend='aot_eager')))
    # compiled in place: no '_orig_mod.' keys, so checkpoints go both ways
    assert list(compiled.state_dict()) == list(eager.state_dict())
    compiled.load_state_dict(eager.state_dict())
    torch._dynamo.reset()
    counters.clear()
    expected = train_then_predict(eager)
    got = train_then_predict(compiled)
    assert counters['stats']['calls_captured'] > 0  # the neck was traced
    assert dict(counters['graph_break']) == {}
    # training and eval (no grad): one graph each
    assert counters['stats']['unique_graphs'] == 2
    for want, have in zip(expected[0], got[0]):
        assert want.keys() == have.keys()
        for key in want:
            torch.testing.assert_close(have[key], want[key])
    for want, have in zip(expected[1], got[1]):
        for name in want:
            torch.testing.assert_close(
                have[name], want[name], rtol=1e-4, atol=1e-6, msg=name)
    for want, have in zip(expected[2], got[2]):
        torch.testing.assert_close(have, want)
