"""Per-segment localisation through MultiModalRecognizer: segments travel on
the view axis, every neck fuses each segment on its own, and per-sample
availability covers all of a sample's segments."""
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import clcr_plugin  # noqa: F401

N, S, C = 2, 3, 5  # samples, segments, classes (4 events + background)
NECKS = {
    'clcr':
    dict(
        type='CLCRFusion',
        embed_dim=32,
        shared_dim=16,
        private_dim=8,
        num_heads=2,
        hidden_dim=16),
    'concat':
    dict(type='ConcatFusion'),
    'dense':
    dict(type='DenseCrossAttnFusion', embed_dim=32, num_heads=2),
    'unimodal':
    dict(type='UnimodalFusion', modality='rgb'),
}


def recognizer(neck: dict, modality_dropout: float = 0.0):
    """Two ResNet-18s, one frame per segment, a SegmentClsHead."""
    resnet = dict(
        type='ResNet', depth=18, pretrained=None, out_indices=(1, 2, 3))
    model = MODELS.build(
        dict(
            type='MultiModalRecognizer',
            backbones=dict(rgb=resnet, audio=dict(resnet, in_channels=1)),
            frames_per_view=dict(rgb=1),
            dry_run_inputs=dict(rgb=(3, 16, 16), audio=(1, 16, 16)),
            modality_dropout=modality_dropout,
            neck=neck,
            cls_head=dict(type='SegmentClsHead', num_classes=C),
            data_preprocessor=dict(
                type='MultiModalDataPreprocessor',
                preprocessors=dict(
                    rgb=dict(
                        type='ActionDataPreprocessor', format_shape='NCHW'),
                    audio=dict(
                        type='ActionDataPreprocessor', format_shape='NCHW')))))
    model.init_weights()
    return model


def inputs(seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return dict(
        rgb=torch.randn(N, S, 3, 16, 16, generator=g),
        audio=torch.randn(N, S, 1, 16, 16, generator=g))


def data_samples():
    out = []
    for i in range(N):
        s = ActionDataSample()
        s.set_field([(i + j) % C for j in range(S)], 'segment_labels')
        out.append(s)
    return out


@pytest.mark.parametrize('name', list(NECKS))
def test_each_segment_is_fused_and_classified_on_its_own(name):
    torch.manual_seed(0)
    model = recognizer(NECKS[name]).eval()
    x = inputs()
    with torch.no_grad():
        base = model(x, data_samples(), mode='predict')
        changed = dict(x, audio=x['audio'].clone(), rgb=x['rgb'].clone())
        changed['rgb'][1, 2] += 3.0  # sample 1, segment 2 only
        changed['audio'][1, 2] -= 3.0
        new = model(changed, data_samples(), mode='predict')
    for i in range(N):
        assert base[i].pred_segment_scores.shape == (S, C)
        assert base[i].pred_segment_labels.shape == (S, )
        for j in range(S):
            same = torch.allclose(
                base[i].pred_segment_scores[j],
                new[i].pred_segment_scores[j],
                atol=1e-6)
            assert same == ((i, j) != (1, 2)), (name, i, j)


@pytest.mark.parametrize('name', list(NECKS))
def test_loss_trains_every_segment_and_dropout_covers_whole_samples(name):
    torch.manual_seed(1)
    model = recognizer(NECKS[name], modality_dropout=0.5).train()
    seen = []
    forward = model.neck.forward

    def spy(x, data_samples=None, available=None):
        seen.append((x, available))
        return forward(x, data_samples, available=available)

    model.neck.forward = spy
    losses = model(inputs(), data_samples(), mode='loss')
    feats, available = seen[0]
    # every modality's features hold one row per segment of every sample
    assert all(levels[0].shape[0] == N * S for levels in feats.values())
    # one draw per sample, shared by all its segments
    assert set(available) == {'rgb', 'audio'}
    for mask in available.values():
        assert mask.shape == (N * S, )
        assert (mask.view(N, S) == mask.view(N, S)[:, :1]).all()
    assert torch.isfinite(losses['loss_cls'])
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert model.cls_head.fc_cls.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('name', ['clcr', 'concat', 'dense'])
def test_a_missing_modality_still_gives_per_second_predictions(name):
    torch.manual_seed(2)
    model = recognizer(NECKS[name]).eval()
    with torch.no_grad():
        preds = model(
            dict(rgb=inputs()['rgb']), data_samples(), mode='predict')
    assert [p.pred_segment_scores.shape for p in preds] == [(S, C)] * N
    torch.testing.assert_close(preds[0].pred_segment_scores.sum(-1),
                               torch.ones(S))
