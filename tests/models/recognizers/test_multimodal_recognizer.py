import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import clcr_plugin  # noqa: F401

RGB_PRE = dict(
    type='ActionDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    format_shape='NCHW')


def head(in_channels, num_classes=4):
    return dict(
        type='TSNHead',
        num_classes=num_classes,
        in_channels=in_channels,
        average_clips='prob')


def clcr_neck(rgb,
              audio,
              rgb_grids,
              audio_grids,
              rgb_name='rgb',
              audio_name='audio'):
    return dict(
        type='CLCRFusion',
        level_fusion='sum',
        embed_dim=32,
        shared_dim=16,
        private_dim=8,
        num_heads=2,
        hidden_dim=16,
        modalities={
            rgb_name: dict(in_channels=rgb, grids=rgb_grids),
            audio_name: dict(in_channels=audio, grids=audio_grids)
        })


def resnet2d_plus_audio():
    return dict(
        type='MultiModalRecognizer',
        backbones=dict(
            rgb=dict(
                type='ResNet',
                depth=18,
                pretrained=None,
                out_indices=(1, 2, 3)),
            audio=dict(
                type='ResNetAudio',
                depth=50,
                pretrained=None,
                in_channels=1,
                base_channels=8)),
        levels=dict(audio=['layer2', 'layer3', 'layer4']),
        frames_per_view=dict(rgb=2),
        neck=clcr_neck([128, 256, 512], [64, 128, 256], [(2, 2, 2), (2, 2, 2),
                                                         (1, 1, 1)], [(2, 2),
                                                                      (2, 2),
                                                                      (1, 1)]),
        cls_head=head(24),
        data_preprocessor=dict(
            type='MultiModalDataPreprocessor',
            preprocessors=dict(
                rgb=RGB_PRE,
                audio=dict(type='ActionDataPreprocessor',
                           format_shape='NCHW'))))


def samples(n):
    return [
        ActionDataSample().set_gt_label(torch.tensor(i % 4)) for i in range(n)
    ]


def run_steps(model, make_inputs, n=2, views_test=2):
    model.train()
    data = model.data_preprocessor(
        dict(inputs=make_inputs(n, 1), data_samples=samples(n)), training=True)
    losses = model(**data, mode='loss')
    assert {'loss_cls'} <= set(losses)
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    total.backward()
    assert torch.isfinite(total)
    assert all(
        torch.isfinite(p.grad).all() for p in model.parameters()
        if p.grad is not None)
    model.eval()
    data = model.data_preprocessor(
        dict(inputs=make_inputs(n, views_test), data_samples=samples(n)))
    with torch.no_grad():
        preds = model(**data, mode='predict')
        scores = model(data['inputs'], mode='tensor')
    assert len(preds) == n and preds[0].pred_score.shape == (4, )
    torch.testing.assert_close(preds[0].pred_score.sum(), torch.tensor(1.0))
    assert scores.shape == (n * views_test, 4)
    return losses, preds, scores


def test_2d_resnet_plus_resnet_audio_loss_predict_tensor():
    model = MODELS.build(resnet2d_plus_audio())
    model.init_weights()

    def make(n, v):
        return dict(
            rgb=[torch.rand(v * 2, 3, 32, 32) * 255 for _ in range(n)],
            audio=[torch.randn(v, 1, 32, 32) for _ in range(n)])

    losses, preds, scores = run_steps(model, make)
    assert {'loss_intra', 'loss_pr', 'loss_sp', 'loss_mix'} <= set(losses)


def test_predict_averages_view_probabilities_like_mmaction():
    model = MODELS.build(resnet2d_plus_audio()).eval()
    n, v = 2, 3
    inputs = dict(
        rgb=[torch.rand(v * 2, 3, 32, 32) * 255 for _ in range(n)],
        audio=[torch.randn(v, 1, 32, 32) for _ in range(n)])
    data = model.data_preprocessor(
        dict(inputs=inputs, data_samples=samples(n)))
    with torch.no_grad():
        preds = model(**data, mode='predict')
        scores = model(data['inputs'], mode='tensor')  # (n * v, classes)
    expected = scores.reshape(n, v, -1).softmax(-1).mean(1)
    torch.testing.assert_close(preds[1].pred_score, expected[1])


def test_3d_slowonly_plus_resnet_audio():
    cfg = resnet2d_plus_audio()
    cfg['backbones']['rgb'] = dict(
        type='ResNet3dSlowOnly',
        depth=18,
        pretrained=None,
        in_channels=3,
        base_channels=16,
        out_indices=(1, 2, 3),
        lateral=False,
        conv1_kernel=(1, 7, 7),
        inflate=(0, 0, 1, 1))
    cfg['frames_per_view'] = {}
    cfg['neck'] = clcr_neck([32, 64, 128], [64, 128, 256], [(2, 2, 2)] * 3,
                            [(2, 2), (2, 2), (1, 1)])
    cfg['data_preprocessor']['preprocessors']['rgb'] = dict(
        RGB_PRE, format_shape='NCTHW')
    model = MODELS.build(cfg)

    def make(n, v):
        return dict(
            rgb=[torch.rand(v, 3, 4, 32, 32) * 255 for _ in range(n)],
            audio=[torch.randn(v, 1, 32, 32) for _ in range(n)])

    run_steps(model, make)


def test_two_2d_resnets_rgb_plus_flow():
    cfg = resnet2d_plus_audio()
    cfg['backbones'] = dict(
        rgb=dict(
            type='ResNet', depth=18, pretrained=None, out_indices=(1, 2, 3)),
        flow=dict(
            type='ResNet',
            depth=18,
            pretrained=None,
            in_channels=10,
            out_indices=(1, 2, 3)))
    cfg['levels'] = {}
    cfg['frames_per_view'] = dict(rgb=1, flow=1)
    cfg['neck'] = clcr_neck([128, 256, 512], [128, 256, 512], [(2, 2)] * 3,
                            [(2, 2)] * 3, 'rgb', 'flow')
    cfg['data_preprocessor']['preprocessors'] = dict(
        rgb=RGB_PRE,
        flow=dict(
            type='ActionDataPreprocessor',
            mean=[128] * 10,
            std=[128] * 10,
            format_shape='NCHW'))
    model = MODELS.build(cfg)

    def make(n, v):
        return dict(
            rgb=[torch.rand(v, 3, 32, 32) * 255 for _ in range(n)],
            flow=[torch.rand(v, 10, 32, 32) * 255 for _ in range(n)])

    run_steps(model, make)


def test_missing_modality_at_test_time_still_predicts():
    model = MODELS.build(resnet2d_plus_audio()).eval()
    data = model.data_preprocessor(
        dict(
            inputs=dict(rgb=[torch.rand(2, 3, 32, 32) * 255] * 2),
            data_samples=samples(2)))
    with torch.no_grad():
        preds = model(**data, mode='predict')
    assert torch.isfinite(preds[0].pred_score).all()


def test_clear_errors_for_bad_layouts_and_config():
    model = MODELS.build(resnet2d_plus_audio()).eval()
    with pytest.raises(
            ValueError,
            match="same number of views; got {'audio': 2, 'rgb': 1}"):
        model(
            dict(
                rgb=torch.randn(1, 2, 3, 32, 32),
                audio=torch.randn(1, 2, 1, 32, 32)))
    with pytest.raises(
            ValueError,
            match='3 frames is not a multiple of frames_per_view=2'):
        model(
            dict(
                rgb=torch.randn(1, 3, 3, 32, 32),
                audio=torch.randn(1, 1, 1, 32, 32)))
    with pytest.raises(KeyError, match="inputs hold \\['depth'\\]"):
        model(dict(depth=torch.randn(1, 1, 3, 32, 32)))
    cfg = resnet2d_plus_audio()
    cfg['levels'] = dict(audio=['layer9'])
    with pytest.raises(KeyError, match="no submodule 'layer9'"):
        MODELS.build(cfg)
    cfg = resnet2d_plus_audio()
    cfg['levels'] = dict(depth=[0])
    with pytest.raises(
            KeyError, match="\\['depth'\\], which are not in backbones"):
        MODELS.build(cfg)


def inferred_config(**neck):
    cfg = resnet2d_plus_audio()
    cfg['neck'] = dict(
        type='CLCRFusion',
        level_fusion='sum',
        embed_dim=32,
        shared_dim=16,
        private_dim=8,
        num_heads=2,
        hidden_dim=16,
        **neck)
    cfg['cls_head'] = dict(type='TSNHead', num_classes=4, average_clips='prob')
    return cfg


def test_config_without_in_channels_trains_one_step_through_both_backbones():
    model = MODELS.build(inferred_config())
    model.init_weights()
    adapters = model.neck.clcr.encoder.adapters
    assert [a.in_channels for a in adapters['rgb']] == [128, 256, 512]
    assert [a.in_channels for a in adapters['audio']
            ] == [64, 128, 256]  # ResNetAudio base 8: layer2..4 outputs
    assert [a.grid for a in adapters['rgb']
            ] == [(2, 2, 2), (2, 2, 2), (2, 2, 2)]  # (C, 2 frames, H, W) maps
    assert model.cls_head.in_channels == model.neck.out_channels == 24

    def make(n, v):
        return dict(
            rgb=[torch.rand(v * 2, 3, 32, 32) * 255 for _ in range(n)],
            audio=[torch.randn(v, 1, 32, 32) for _ in range(n)])

    run_steps(model, make)
    for m in ('rgb', 'audio'):
        grads = [
            p.grad for p in model.backbones[m].parameters()
            if p.grad is not None
        ]
        assert grads and sum(g.abs().sum() for g in grads) > 0, m


def test_wrong_explicit_in_channels_is_an_error_naming_the_key():
    with pytest.raises(
            ValueError,
            match=r'neck.modalities.rgb.in_channels\[2\]=500, but the '
            r'backbone '
            r'gives 512'):
        MODELS.build(
            inferred_config(
                modalities=dict(
                    rgb=dict(in_channels=[128, 256, 500]), audio=dict())))
    cfg = inferred_config()
    cfg['cls_head']['in_channels'] = 7
    with pytest.raises(
            ValueError,
            match='cls_head.in_channels=7, but the neck gives out_channels=24'
    ):
        MODELS.build(cfg)
    cfg = resnet2d_plus_audio()
    cfg['neck'] = dict(
        type='ConcatFusion', in_channels=dict(rgb=512, audio=512))
    with pytest.raises(
            ValueError,
            match='neck.in_channels.audio=512, but the backbone gives 256'):
        MODELS.build(cfg)


def test_dry_run_changes_no_mode_and_no_batch_norm_statistic():
    model = MODELS.build(inferred_config())
    bns = [
        m for m in model.backbones.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
    ]
    assert bns and all(
        bn.num_batches_tracked == 0 and (bn.running_mean == 0).all()
        for bn in bns)
    assert all(m.training for m in model.modules())
    model.eval()
    shapes = model.dry_run()
    assert not any(m.training for m in model.modules())
    assert shapes['rgb'][2] == torch.Size(
        [1, 512, 2, 4, 4])  # default frames: 2 x (3, 112, 112)
    assert shapes['audio'][0] == torch.Size(
        [1, 64, 56, 56])  # default (1, 112, 112) for ResNetAudio


def test_dry_run_inputs_follow_format_shape_and_can_be_overridden():
    cfg = inferred_config()
    cfg['backbones']['rgb'] = dict(
        type='ResNet3dSlowOnly',
        depth=18,
        pretrained=None,
        in_channels=3,
        base_channels=16,
        out_indices=(1, 2, 3),
        lateral=False,
        conv1_kernel=(1, 7, 7),
        inflate=(0, 0, 1, 1))
    cfg['frames_per_view'] = {}
    cfg['data_preprocessor']['preprocessors']['rgb'] = dict(
        RGB_PRE, format_shape='NCTHW')
    cfg['dry_run_inputs'] = dict(audio=(1, 40, 100))
    model = MODELS.build(cfg)
    shapes = model.dry_run(cfg['dry_run_inputs'])
    assert shapes['rgb'][0] == torch.Size([1, 32, 8, 14, 14
                                           ])  # default clip (3, 8, 112, 112)
    assert shapes['audio'][2] == torch.Size([1, 256, 5, 13])
    assert [a.grid
            for a in model.neck.clcr.encoder.adapters['audio']] == [(2, 4),
                                                                    (2, 4),
                                                                    (2, 4)]
    with pytest.raises(KeyError, match=r"dry_run_inputs names \['depth'\]"):
        model.dry_run(dict(depth=(1, 8, 8)))
    with pytest.raises(
            ValueError,
            match=(r'dry_run_inputs.audio=\(40, 100\): '
                   r'expected \(C, H, W\) or \(C, T, H, W\)')):
        model.dry_run(dict(audio=(40, 100)))


def test_modality_dropout_is_per_sample_in_training_only_for_every_neck():
    cfg = resnet2d_plus_audio()
    cfg.update(
        modality_dropout=0.5,
        neck=dict(type='ConcatFusion'),
        cls_head=dict(type='TSNHead', num_classes=4))
    model = MODELS.build(cfg)
    seen = []
    model.neck.register_forward_hook(
        lambda mod, args, kwargs, out: seen.append(
            (kwargs['available'], out[0])),
        with_kwargs=True)
    n, v = 12, 2
    inputs = dict(
        rgb=torch.rand(n, v * 2, 3, 32, 32),
        audio=torch.randn(n, v, 1, 32, 32))
    torch.manual_seed(0)
    model.train()
    model.extract_feat(inputs)
    available, fused = seen[-1]
    keep = torch.stack([available['rgb'], available['audio']], 1)  # (n * v, 2)
    assert keep.shape == (n * v, 2) and keep.any(1).all() and not keep.all()
    assert torch.equal(keep[0::2],
                       keep[1::2])  # the views of one sample share the draw
    assert ((fused[:, -512:] == 0).all(1) == ~keep[:, 0]
            ).all()  # ConcatFusion zeroes dropped rgb (the last slot)
    model.eval()
    model.extract_feat(inputs)
    assert seen[-1][0] is None
    with pytest.raises(
            ValueError,
            match=r'modality_dropout must be in \[0, 1\), got 1.0'):
        MODELS.build(dict(cfg, modality_dropout=1.0))
