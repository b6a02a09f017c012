"""MultiModalRecognizer on (N, T, D) feature sequences: shapes from the
backbones' dry run, padding masks from ``seq_lengths`` reaching backbone and
neck, a regression head, a missing modality."""
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import clcr_plugin  # noqa: F401
from clcr_plugin.models.recognizers.sequence_masks import level_masks

LENGTHS = dict(audio=[9, 12], vision=[4, 10])


def sequence_model(neck: str = 'CLCRFusion'):
    tcn = dict(type='TemporalConvNet', channels=(8, 8, 8), dropout=0.0)
    neck_cfg = dict(type=neck)
    if neck == 'CLCRFusion':
        neck_cfg.update(
            embed_dim=16,
            shared_dim=8,
            private_dim=4,
            num_heads=2,
            hidden_dim=8,
            reg_memory=0)
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MultiModalRecognizer',
            backbones=dict(
                audio=dict(tcn, in_channels=5),
                vision=dict(tcn, in_channels=4, channels=(6, 6, 6))),
            neck=neck_cfg,
            cls_head=dict(type='RegressionHead'),
            data_preprocessor=dict(
                type='MultiModalDataPreprocessor',
                preprocessors=dict(
                    audio=dict(type='ActionDataPreprocessor'),
                    vision=dict(type='ActionDataPreprocessor')))))
    return model


def batch(seed: int = 0, padding_scale: float = 0.0):
    """Two samples; steps past the lengths hold ``padding_scale`` noise."""
    g = torch.Generator().manual_seed(seed)
    inputs = dict(
        audio=torch.randn(2, 12, 5, generator=g),
        vision=torch.randn(2, 10, 4, generator=g))
    for m, x in inputs.items():
        valid = torch.arange(x.shape[1]) < torch.tensor(LENGTHS[m])[:, None]
        x.mul_(valid[..., None])
        x.add_(padding_scale * torch.randn(x.shape, generator=g) *
               ~valid[..., None])
    samples = []
    for i in range(2):
        s = ActionDataSample()
        s.set_metainfo(dict(seq_lengths={m: v[i] for m, v in LENGTHS.items()}))
        s.set_field(torch.tensor([0.5 - i]), 'gt_regression')
        samples.append(s)
    return inputs, samples


def test_dry_run_fills_the_neck_from_the_sequence_backbones():
    model = sequence_model()
    assert model.dry_run() == {
        'audio': [torch.Size([1, 8, 8])] * 3,
        'vision': [torch.Size([1, 8, 6])] * 3
    }
    specs = model.neck.clcr.encoder.adapters
    assert [a.in_channels for a in specs['vision']] == [6, 6, 6]
    assert [a.grid for a in specs['audio']] == [(8, )] * 3


def test_length_masks_reach_the_neck_for_every_level(monkeypatch):
    model = sequence_model().eval()
    seen = {}
    forward = model.neck.forward

    def spy(x, data_samples=None, available=None, masks=None):
        seen.update(masks)
        return forward(x, data_samples, available, masks)

    monkeypatch.setattr(model.neck, 'forward', spy)
    inputs, samples = batch()
    model(inputs, samples, mode='predict')
    for m, lengths in LENGTHS.items():
        T = inputs[m].shape[1]
        expected = torch.arange(T) < torch.tensor(lengths)[:, None]
        assert len(seen[m]) == 3
        for mask in seen[m]:
            assert torch.equal(mask, expected)


def test_padded_content_leaves_predictions_and_loss_unchanged():
    model = sequence_model().eval()
    clean, samples = batch()
    noisy, _ = batch(padding_scale=50.0)
    assert not torch.equal(clean['audio'], noisy['audio'])
    with torch.no_grad():
        a = [s.pred_regression for s in model(clean, samples, 'predict')]
        b = [s.pred_regression for s in model(noisy, samples, 'predict')]
        torch.testing.assert_close(a, b)
        torch.testing.assert_close(
            model(clean, samples, 'loss')['loss_regression'],
            model(noisy, samples, 'loss')['loss_regression'])
        # without lengths the padding counts, and the noise shows
        for sample in samples:
            sample.set_metainfo(dict(seq_lengths={}))
        c = [s.pred_regression for s in model(clean, samples, 'predict')]
        d = [s.pred_regression for s in model(noisy, samples, 'predict')]
        assert not torch.allclose(torch.cat(c), torch.cat(d))


@pytest.mark.parametrize('neck', ['CLCRFusion', 'ConcatFusion'])
def test_a_missing_modality_still_gives_finite_predictions(neck):
    model = sequence_model(neck).eval()
    inputs, samples = batch()
    with torch.no_grad():
        preds = model({'vision': inputs['vision']}, samples, 'predict')
    values = torch.cat([s.pred_regression for s in preds])
    assert values.shape == (2, ) and torch.isfinite(values).all()


def test_lengths_given_for_only_some_samples_raise_naming_them():
    model = sequence_model()
    inputs, samples = batch()
    samples[1].set_metainfo(dict(seq_lengths={'vision': 3}))
    with pytest.raises(
            KeyError,
            match=r"seq_lengths\['audio'\] is missing "
            r'in data samples \[1\]'):
        model(inputs, samples, mode='loss')


def test_init_weights_keeps_a_pretrained_bert(tmp_path):
    """The Runner calls init_weights before training: it must not re-draw
    the loaded BERT (transformers' own init_weights would)."""
    from transformers import BertConfig, BertModel
    torch.manual_seed(0)
    bert = BertModel(
        BertConfig(
            vocab_size=32,
            hidden_size=8,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=12))
    bert.save_pretrained(tmp_path / 'bert')
    model = MODELS.build(
        dict(
            type='MultiModalRecognizer',
            backbones=dict(
                text=dict(
                    type='BertLevels',
                    pretrained=str(tmp_path / 'bert'),
                    levels=(0, 1, 2)),
                audio=dict(type='TemporalConvNet', in_channels=5)),
            neck=dict(type='ConcatFusion'),
            cls_head=dict(type='RegressionHead'),
            data_preprocessor=dict(
                type='MultiModalDataPreprocessor',
                preprocessors=dict(
                    text=dict(type='ActionDataPreprocessor', to_float32=False),
                    audio=dict(type='ActionDataPreprocessor')))))
    model.init_weights()
    loaded = model.backbones['text'].backbone.bert.state_dict()
    for key, value in bert.state_dict().items():
        torch.testing.assert_close(loaded[key], value, msg=key)


def test_per_sample_availability_and_padding_masks_work_together():
    """A sample whose audio is marked unavailable gets a finite fused code
    that does not depend on its audio."""
    model = sequence_model().eval()
    inputs, samples = batch()
    other = dict(inputs, audio=inputs['audio'].clone())
    other['audio'][1] = torch.randn(12, 5)
    available = {'audio': torch.tensor([True, False])}
    fused = []
    with torch.no_grad():
        for x in (inputs, other):
            feats, _ = model.extract_backbone_feats(x, samples)
            masks = level_masks(feats, samples)
            fused.append(model.neck(feats, None, available, masks)[0])
    assert torch.isfinite(fused[0]).all()
    torch.testing.assert_close(fused[0][1], fused[1][1])
