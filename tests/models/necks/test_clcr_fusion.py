import inspect

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.logging import MessageHub

import clcr_plugin  # noqa: F401  (registers the necks)
from clcr_plugin.models.clcr import CLCR
from clcr_plugin.models.necks import CLCRFusion

CLCR_CFG = dict(
    type='CLCRFusion',
    level_fusion='sum',
    embed_dim=24,
    shared_dim=8,
    private_dim=6,
    num_heads=2,
    hidden_dim=16,
    modalities=dict(
        rgb=dict(in_channels=[4, 8], grids=[(2, 2, 2), (1, 2, 2)]),
        audio=dict(in_channels=[4, 8], grids=[(2, 2), (2, 1)])))


def test_contract_weighted_losses_in_training_none_in_eval(feats):
    neck = MODELS.build(dict(CLCR_CFG, lambda_mix=0.3))
    assert neck.out_channels == 14
    neck.train()
    fused, aux = neck(feats())
    assert fused.shape == (3, 14)
    assert set(aux) == {'loss_intra', 'loss_pr', 'loss_sp', 'loss_mix'}
    raw = neck.diagnostic_scalars()
    torch.testing.assert_close(aux['loss_mix'].detach(),
                               0.3 * raw['clcr_reg_mix'])
    torch.testing.assert_close(aux['loss_intra'].detach(),
                               0.1 * raw['clcr_reg_intra'])
    neck.eval()
    fused_eval, aux_eval = neck(feats())
    assert aux_eval == {} and fused_eval.shape == (3, 14)


def test_diagnostics_come_from_a_public_method_and_not_from_the_message_hub(
        feats):
    hub = MessageHub.get_instance('test_clcr_fusion_diagnostics')
    neck = MODELS.build(CLCR_CFG).train()
    assert neck.diagnostic_scalars() == {}
    neck(feats())
    assert not any('clcr' in key for key in hub.log_scalars)
    scalars = neck.diagnostic_scalars()
    assert {
        'clcr_rate_l1', 'clcr_rate_l2', 'clcr_budget_l1', 'clcr_omega_l1',
        'clcr_omega_l2', 'clcr_weight_rgb', 'clcr_weight_audio',
        'clcr_eta_rgb', 'clcr_eta_audio', 'clcr_reg_intra'
    } <= set(scalars)
    assert scalars['clcr_rate_l1'].item() == pytest.approx(0.68, abs=1e-4)
    assert (scalars['clcr_omega_l1'] +
            scalars['clcr_omega_l2']).item() == pytest.approx(
                1.0, abs=1e-5)
    assert not any(v.requires_grad for v in scalars.values())


def test_core_stays_reachable_and_its_output_carries_summaries(feats):
    neck = MODELS.build(CLCR_CFG)
    seen = []
    neck.clcr.register_forward_hook(
        lambda module, args, out: seen.append(out.summaries))
    neck(feats())
    assert seen[0]['shared'].shape == (
        3, 2, 2, 8) and seen[0]['private'].shape == (3, 2, 2, 6)


def test_unavailable_modality_equals_absent_key(
        feats, assert_unavailable_equals_absent):
    neck = MODELS.build(CLCR_CFG).eval()
    assert_unavailable_equals_absent(neck, feats(4), 'audio')


def test_arguments_have_one_source_and_unknown_ones_are_named():
    core = inspect.signature(CLCR.__init__).parameters
    for name, param in core.items():
        if name in ('self', 'modalities'):
            continue
        # documented in the registry-facing docstring
        assert f'{name} (' in CLCRFusion.__doc__, name
        assert (param.default is None
                or f'Default {param.default!r}' in CLCRFusion.__doc__), name
    assert 'init_cfg (dict, optional)' in CLCRFusion.__doc__
    neck = MODELS.build(dict(CLCR_CFG, private_fusion='concat', lambda_pr=0.7))
    assert neck.out_channels == 8 + 2 * 6 and neck.clcr.loss_weights[
        'pr'] == 0.7
    with pytest.raises(
            KeyError,
            match=(
                r"unknown arguments \['lambda_inter'\]; allowed: .*'lambda_pr'"
            )):
        MODELS.build(dict(CLCR_CFG, lambda_inter=0.1))


def test_complete_config_fills_channels_and_default_grids(level_shapes):
    cfg = CLCRFusion.complete_config(
        dict(type='CLCRFusion', embed_dim=24), level_shapes)
    assert cfg['modalities'] == dict(
        rgb=dict(in_channels=[4, 8], grids=[(3, 2, 2), (3, 2, 2)]),
        audio=dict(in_channels=[4, 8], grids=[(2, 4), (2, 2)]))
    kept = CLCRFusion.complete_config(
        dict(modalities=dict(audio=dict(grids=[(1, 1), (2, 1)]))),
        level_shapes)
    assert kept['modalities'] == dict(
        audio=dict(in_channels=[4, 8], grids=[(1, 1), (2, 1)]))


def test_complete_config_errors_name_the_key_given_and_found(level_shapes):
    with pytest.raises(
            ValueError,
            match=(r'neck.modalities.rgb.in_channels\[1\]=16, '
                   r'but the backbone gives 8')):
        CLCRFusion.complete_config(
            dict(modalities=dict(rgb=dict(in_channels=[4, 16]))), level_shapes)
    with pytest.raises(
            ValueError,
            match=r'neck.modalities.audio.in_channels lists 3 levels'):
        CLCRFusion.complete_config(
            dict(modalities=dict(audio=dict(in_channels=[4, 8, 8]))),
            level_shapes)
    with pytest.raises(
            ValueError,
            match=r'neck.modalities.audio.grids\[0\]=\(2, 2, 2\) has 3 entries'
    ):
        CLCRFusion.complete_config(
            dict(modalities=dict(audio=dict(grids=[(2, 2, 2), (1, 1)]))),
            level_shapes)
    with pytest.raises(
            KeyError, match=r"neck.modalities names modality 'depth'"):
        CLCRFusion.complete_config(
            dict(modalities=dict(depth=dict())), level_shapes)
