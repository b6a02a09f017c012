"""bf16 autocast (what ``AmpOptimWrapper(dtype='bfloat16')`` runs): every
neck trains and predicts, the head running in fp32 outside autocast
(mmaction2's ``TSNHead`` reads its scores with numpy, which has no
bfloat16); in fp32 the head's path is unchanged."""
import pytest
import torch
from mmaction.registry import MODELS
from tiny_models import tiny_batch, tiny_recognizer

import clcr_plugin  # noqa: F401

BF16 = dict(device_type='cpu', dtype=torch.bfloat16)


@pytest.fixture(autouse=True)
def nondeterministic_algorithms():
    """Deterministic mode off for these tests, restored after: earlier
    in-process training runs leave ``use_deterministic_algorithms(True)``
    set, and with it torch's CPU bf16 convolution backward returned
    non-finite weight gradients (its NaN fill of uninitialised memory
    reached them; torch 2.13, CPU only)."""
    was = (torch.are_deterministic_algorithms_enabled(),
           torch.is_deterministic_algorithms_warn_only_enabled())
    torch.use_deterministic_algorithms(False)
    yield
    torch.use_deterministic_algorithms(was[0], warn_only=was[1])


def build(neck: str):
    torch.manual_seed(0)
    model = MODELS.build(tiny_recognizer(neck))
    model.init_weights()
    return model


@pytest.mark.parametrize('neck', ['concat', 'dense', 'clcr'])
def test_bf16_autocast_trains_and_predicts_with_an_fp32_head(neck):
    model = build(neck).train()
    data = model.data_preprocessor(tiny_batch(), training=True)
    with torch.autocast(**BF16):
        feats, _ = model.extract_backbone_feats(data['inputs'])
        losses = model(**data, mode='loss')
    # the backbones did run in bf16
    assert all(f.dtype == torch.bfloat16 for f in feats['rgb'])
    assert losses['loss_cls'].dtype == torch.float32
    assert torch.isfinite(losses['loss_cls']) and 'top1_acc' in losses
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    grads = [p.grad for p in model.backbones.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert model.cls_head.fc_cls.weight.grad.dtype == torch.float32

    model.eval()
    with torch.no_grad(), torch.autocast(**BF16):
        preds = model(**model.data_preprocessor(tiny_batch()), mode='predict')
        scores = model(
            model.data_preprocessor(tiny_batch())['inputs'], mode='tensor')
    assert scores.dtype == torch.float32 and scores.shape == (4, 4)
    for pred in preds:
        assert pred.pred_score.dtype == torch.float32
        torch.testing.assert_close(pred.pred_score.sum(), torch.tensor(1.0))


def test_fp32_head_path_is_the_plain_head_call():
    model = build('clcr').train()
    data = model.data_preprocessor(tiny_batch(), training=True)
    fused, _, views = model.extract_feat(data['inputs'], data['data_samples'])
    torch.manual_seed(3)  # the head's dropout
    direct = model.cls_head.loss(fused, data['data_samples'], num_segs=views)
    torch.manual_seed(3)
    routed = model.run_head(
        'loss', fused, data['data_samples'], num_segs=views)
    for key in direct:
        assert torch.equal(routed[key], direct[key]), key
