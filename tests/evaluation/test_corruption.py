"""CorruptedInputsPreprocessor: noise statistics, dropped modalities,
determinism, errors, identity wrapping."""
import copy
from pathlib import Path

import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.registry import DefaultScope

import clcr_plugin  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
CONCAT = (
    ROOT / 'configs' / 'baselines' /
    'concat_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py')

# No normalisation: the preprocessed inputs are the raw tensors, so the noise
# can be measured exactly.
PLAIN = dict(
    type='MultiModalDataPreprocessor',
    preprocessors=dict(
        rgb=dict(type='ActionDataPreprocessor', format_shape='NCHW'),
        audio=dict(type='ActionDataPreprocessor', format_shape='NCHW')))


def batch(n: int = 2, size: int = 64, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return dict(
        inputs=dict(
            rgb=[
                torch.rand(3, 3, size, size, generator=g) * 255
                for _ in range(n)
            ],
            audio=[
                torch.randn(1, 1, size, size, generator=g) for _ in range(n)
            ]),
        data_samples=[
            ActionDataSample().set_gt_label(torch.tensor(i)) for i in range(n)
        ])


def build(**kwargs):
    return MODELS.build(
        dict(type='CorruptedInputsPreprocessor', preprocessor=PLAIN, **kwargs))


def test_noise_has_the_requested_std_and_zero_mean_and_spares_other_modalities(
):
    clean = MODELS.build(PLAIN)(batch(n=8, size=128))['inputs']
    noisy = build(noise_std=dict(audio=0.5))(batch(n=8, size=128))['inputs']
    noise = noisy['audio'] - clean['audio']  # 8 * 128 * 128 = 131072 draws
    assert noise.std().item() == pytest.approx(0.5, rel=0.01)
    assert abs(noise.mean().item()
               ) < 0.5 * 4 / noise.numel()**0.5  # 4 standard errors
    assert torch.equal(noisy['rgb'], clean['rgb'])


def test_noise_std_is_in_units_of_the_normalised_inputs():
    normalised = copy.deepcopy(PLAIN)
    normalised['preprocessors']['audio'] = dict(
        type='ActionDataPreprocessor',
        mean=[100.0],
        std=[1000.0],
        format_shape='NCHW')
    clean = MODELS.build(normalised)(batch(n=8, size=128))['inputs']
    noisy = MODELS.build(
        dict(
            type='CorruptedInputsPreprocessor',
            preprocessor=normalised,
            noise_std=dict(audio=2.0)))(batch(n=8, size=128))['inputs']
    assert (noisy['audio'] - clean['audio']).std().item() == pytest.approx(
        2.0, rel=0.01)


def test_dropped_modality_is_absent_and_the_rest_bit_identical():
    clean = MODELS.build(PLAIN)(batch())
    out = build(drop=('rgb', ))(batch())
    assert set(out['inputs']) == {'audio'}
    assert torch.equal(out['inputs']['audio'], clean['inputs']['audio'])
    assert [s.gt_label for s in out['data_samples']
            ] == [s.gt_label for s in clean['data_samples']]


def test_noise_and_drop_together():
    clean = MODELS.build(PLAIN)(batch())['inputs']
    out = build(noise_std=dict(rgb=1.0), drop=('audio', ))(batch())['inputs']
    assert set(out) == {'rgb'} and not torch.equal(out['rgb'], clean['rgb'])


def test_training_batches_pass_untouched_unless_asked():
    clean = MODELS.build(PLAIN)(batch(), training=True)['inputs']
    default = build(
        noise_std=dict(audio=1.0), drop=('rgb', ))(
            batch(), training=True)['inputs']
    assert set(default) == {'rgb', 'audio'}
    assert all(torch.equal(default[m], clean[m]) for m in clean)
    forced = build(
        noise_std=dict(audio=1.0), drop=('rgb', ), apply_in_training=True)(
            batch(), training=True)
    assert set(forced['inputs']) == {
        'audio'
    } and not torch.equal(forced['inputs']['audio'], clean['audio'])


def test_noise_is_deterministic_given_the_seed_batch_after_batch():
    a, b, c = (
        build(noise_std=dict(audio=1.0, rgb=3.0), seed=s) for s in (7, 7, 8))
    for step in range(2):
        out_a, out_b, out_c = (
            p(batch(seed=step))['inputs'] for p in (a, b, c))
        for m in ('rgb', 'audio'):
            assert torch.equal(out_a[m], out_b[m])
            assert not torch.equal(out_a[m], out_c[m])
    first, second = (
        build(noise_std=dict(audio=1.0))(batch())['inputs']['audio']
        for _ in range(2))
    assert torch.equal(first,
                       second)  # a fresh wrapper restarts the noise sequence
    wrapper = build(noise_std=dict(audio=1.0))
    assert not torch.equal(
        wrapper(batch())['inputs']['audio'],
        wrapper(batch())['inputs']['audio'])


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(noise_std=dict(audio=-0.1)), ValueError,
     r"noise_std\['audio'\] must be >= 0, got -0.1"),
    (dict(noise_std=dict(audio=float('nan'))), ValueError,
     r"noise_std\['audio'\] must be >= 0"),
    (dict(noise_std=dict(audio=1.0), drop=('audio', )), ValueError,
     r"noise_std and drop both name \['audio'\]"),
    (dict(drop='audio'), ValueError,
     r"drop must be a sequence of modality names, e.g. \('audio', \)"),
])
def test_bad_arguments_are_rejected_at_construction(kwargs, error, match):
    with pytest.raises(error, match=match):
        build(**kwargs)


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(noise_std=dict(flow=1.0)), KeyError,
     r"noise_std names \['flow'\], but the inputs hold \['audio', 'rgb'\]"),
    (dict(drop=('depth', )), KeyError,
     r"drop names \['depth'\], but the inputs hold \['audio', 'rgb'\]"),
    (dict(drop=('rgb', 'audio')), ValueError,
     r"removes every modality of the inputs \['audio', 'rgb'\]"),
])
def test_names_are_checked_against_the_inputs(kwargs, error, match):
    wrapper = build(**kwargs)
    with pytest.raises(error, match=match):
        wrapper(batch())


def concat_model(data_preprocessor=None):
    cfg = Config.fromfile(str(CONCAT)).model
    if data_preprocessor is not None:
        cfg.data_preprocessor = data_preprocessor(cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmaction'):
        return MODELS.build(cfg).eval()


def av_batch(n: int = 3) -> dict:
    g = torch.Generator().manual_seed(1)
    return dict(
        inputs=dict(
            rgb=[
                torch.rand(6, 3, 32, 32, generator=g) * 255 for _ in range(n)
            ],
            audio=[
                torch.randn(2, 1, 40, 100, generator=g) * 4 - 6
                for _ in range(n)
            ]),
        data_samples=[
            ActionDataSample().set_gt_label(torch.tensor(i)) for i in range(n)
        ])


def predict(model, data: dict) -> torch.Tensor:
    with torch.no_grad():
        return torch.stack([s.pred_score for s in model.test_step(data)])


def test_wrapping_a_config_without_corruption_leaves_predictions_unchanged():
    plain = concat_model()
    wrapped = concat_model(
        lambda pre: dict(type='CorruptedInputsPreprocessor', preprocessor=pre))
    wrapped.load_state_dict(
        plain.state_dict())  # same keys: the wrapper holds no persistent state
    assert torch.equal(
        predict(wrapped, av_batch()), predict(plain, av_batch()))


def test_wrapped_model_sees_exactly_the_corrupted_inputs():
    plain = concat_model()
    wrapped = concat_model(lambda pre: dict(
        type='CorruptedInputsPreprocessor',
        preprocessor=pre,
        noise_std=dict(rgb=0.5),
        drop=('audio', ),
        seed=3))
    wrapped.load_state_dict(plain.state_dict())
    data = plain.data_preprocessor(av_batch())
    g = torch.Generator().manual_seed(3)
    data['inputs'] = dict(
        rgb=data['inputs']['rgb'] +
        0.5 * torch.randn(data['inputs']['rgb'].shape, generator=g))
    with torch.no_grad():
        expected = torch.stack(
            [s.pred_score for s in plain(**data, mode='predict')])
    got = predict(wrapped, av_batch())
    assert torch.equal(got, expected)
    assert not torch.allclose(got, predict(plain, av_batch()))
