import pytest
import torch
from mmengine.logging import MessageHub

import clcr_plugin  # noqa: F401  (registers the necks)
from mmaction.registry import MODELS

CLCR_CFG = dict(type='CLCRFusion', embed_dim=24, shared_dim=8, private_dim=6, num_heads=2, hidden_dim=16,
                modalities=dict(rgb=dict(in_channels=[4, 8], grids=[(2, 2, 2), (1, 2, 2)]),
                                audio=dict(in_channels=[4, 8], grids=[(2, 2), (2, 1)])))


def feats(n=3):
    torch.manual_seed(0)
    return dict(rgb=[torch.randn(n, 4, 3, 4, 4), torch.randn(n, 8, 3, 2, 2)],
                audio=[torch.randn(n, 4, 4, 4), torch.randn(n, 8, 2, 2)])


def test_clcr_fusion_contract_train_and_eval():
    neck = MODELS.build(CLCR_CFG)
    assert neck.out_channels == 14
    neck.train()
    fused, aux = neck(feats())
    assert fused.shape == (3, 14)
    assert set(aux) == {'loss_intra', 'loss_pr', 'loss_sp', 'loss_mix'}
    raw = neck.last_output.losses
    torch.testing.assert_close(aux['loss_mix'].detach(), 0.1 * raw['mix'])
    neck.eval()
    fused_eval, aux_eval = neck(feats())
    assert aux_eval == {} and fused_eval.shape == (3, 14)


def test_clcr_fusion_writes_diagnostics_to_the_message_hub():
    hub = MessageHub.get_instance('test_clcr_fusion_diagnostics')
    neck = MODELS.build(CLCR_CFG).train()
    neck(feats())
    scalars = hub.log_scalars
    expected = {'train/clcr_rate_l1', 'train/clcr_rate_l2', 'train/clcr_budget_l1', 'train/clcr_omega_l1',
                'train/clcr_omega_l2', 'train/clcr_weight_rgb', 'train/clcr_weight_audio', 'train/clcr_eta_rgb',
                'train/clcr_eta_audio'}
    assert expected <= set(scalars)
    assert scalars['train/clcr_rate_l1'].current() == pytest.approx(0.68, abs=1e-4)
    omega = scalars['train/clcr_omega_l1'].current() + scalars['train/clcr_omega_l2'].current()
    assert omega == pytest.approx(1.0, abs=1e-5)


def test_concat_fusion_pools_and_concatenates():
    neck = MODELS.build(dict(type='ConcatFusion', in_channels=dict(rgb=8, audio=8)))
    x = feats()
    fused, aux = neck(x)
    assert aux == {} and neck.out_channels == 16
    torch.testing.assert_close(fused[:, :8], x['rgb'][-1].mean((2, 3, 4)))
    torch.testing.assert_close(fused[:, 8:], x['audio'][-1].mean((2, 3)))


def test_dense_cross_attention_fusion_mixes_modalities():
    neck = MODELS.build(dict(type='DenseCrossAttnFusion', in_channels=dict(rgb=8, audio=8),
                             grids=dict(rgb=(1, 2, 2), audio=(2, 2)), embed_dim=16, num_heads=2))
    x = feats()
    fused, aux = neck(x)
    assert fused.shape == (3, 32) and aux == {}
    x2 = feats()
    x2['audio'][-1] = x2['audio'][-1] + 1.0
    fused2, _ = neck(x2)
    assert not torch.allclose(fused[:, :16], fused2[:, :16])  # rgb's part sees audio


def test_unimodal_fusion_uses_one_modality_and_names_missing_ones():
    neck = MODELS.build(dict(type='UnimodalFusion', modality='audio', in_channels=8))
    x = feats()
    fused, _ = neck(x)
    torch.testing.assert_close(fused, x['audio'][-1].mean((2, 3)))
    with pytest.raises(KeyError, match="uses 'audio'.*\\['rgb'\\]"):
        neck({'rgb': x['rgb']})


def test_modality_dropout_acts_only_in_training():
    neck = MODELS.build(dict(CLCR_CFG, modality_dropout=0.5))
    torch.manual_seed(0)
    neck.train()
    neck(feats(64))
    weights = neck.last_output.diagnostics['modality_weights']
    assert (weights == 0).any() and (weights.sum(1) > 0.99).all()  # some samples lost a modality, none lost all
    neck.eval()
    neck(feats(64))
    assert (neck.last_output.diagnostics['modality_weights'] > 0).all()
    with pytest.raises(ValueError, match='modality_dropout must be in \\[0, 1\\)'):
        MODELS.build(dict(CLCR_CFG, modality_dropout=1.5))
