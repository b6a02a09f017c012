"""tools/analysis/plot_curves.py and tools/test.py --show-dir (the
multi-modal visualisation hook)."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample
from tool_scripts import load_script

from clcr_plugin.engine.hooks.multimodal_visualization_hook import sample_lines
from clcr_plugin.visualization import render_sample


def load_tool(path: str):
    return load_script(Path('tools') / path)


FLAT = [
    dict(
        lr=1e-3,
        loss=2.0,
        loss_cls=1.9,
        loss_intra=0.1,
        clcr_rate_l1=0.68,
        clcr_omega_l1=0.5,
        clcr_omega_l2=0.5,
        clcr_weight_rgb=0.4,
        clcr_eta_audio=0.3,
        clcr_reg_intra=1.0,
        top1_acc=0.5,
        time=1.0,
        epoch=1,
        iter=1,
        step=1),
    dict(
        lr=1e-3,
        loss=1.0,
        loss_cls=0.9,
        loss_intra=0.1,
        clcr_rate_l1=0.66,
        clcr_omega_l1=0.6,
        clcr_omega_l2=0.4,
        clcr_weight_rgb=0.5,
        clcr_eta_audio=0.2,
        clcr_reg_intra=0.8,
        top1_acc=0.7,
        time=1.0,
        epoch=1,
        iter=2,
        step=2),
    {
        'acc/top1': 0.5,
        'loss_cls': 1.2,
        'clcr_rate_l1': 0.67,
        'step': 1
    },
]


def test_read_series_splits_flat_records_into_train_and_val(tmp_path):
    plot_curves = load_tool('analysis/plot_curves.py')
    path = tmp_path / 'run1' / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text('\n'.join(json.dumps(r) for r in FLAT) + '\n')
    series = plot_curves.read_series(
        str(plot_curves.find_scalars(str(tmp_path))))
    assert series['train']['loss_cls'] == [(1.0, 1.9), (2.0, 0.9)]
    assert series['train']['clcr_rate_l1'] == [(1.0, 0.68), (2.0, 0.66)]
    assert series['val']['loss_cls'] == [(1.0, 1.2)]
    assert series['val']['acc/top1'] == [(1.0, 0.5)]
    assert 'lr' not in series['train'] and 'time' not in series['train']
    written = plot_curves.main([str(tmp_path)])
    names = sorted(Path(p).name for p in written)
    assert names == [
        'level_weights.png', 'losses.png', 'metrics.png',
        'modality_weights.png', 'participation.png', 'private_gates.png',
        'regularisers.png'
    ]
    for p in written:
        image = cv2.imread(p)
        assert image is not None and image.shape[2] == 3
    assert Path(written[0]).parent == tmp_path / 'run1' / 'curves'
    with pytest.raises(FileNotFoundError, match='no <run>/vis_data'):
        plot_curves.find_scalars(str(tmp_path / 'run1'))


@pytest.mark.slow
def test_plot_curves_reads_a_hierarchical_run(tiny_trained, tmp_path):
    plot_curves = load_tool('analysis/plot_curves.py')
    path = plot_curves.find_scalars(str(tiny_trained['work_dir']))
    series = plot_curves.read_series(path)
    assert len(series['train']['clcr_rate_l1']) == 4
    assert len(series['val']['clcr_rate_l1']) == 1
    assert len(series['val']['loss_cls']) == 1
    written = plot_curves.main(
        [str(tiny_trained['work_dir']), '--out',
         str(tmp_path / 'png')])
    assert len(written) == 7


def test_render_sample_draws_frames_spectrograms_and_labels():
    frames = np.full((6, 3, 16, 16), 200, np.float32)  # 2 views x 3 frames
    audio = np.random.default_rng(0).normal(size=(2, 1, 8, 20))
    image = render_sample({'rgb': frames, 'audio': audio}, ['GT: a'])
    assert image.shape == (16, 16 * 8, 3) and image.dtype == np.uint8
    assert (image[12:, 16:32] == 200).all()  # second frame untouched
    assert image[:4, :16].mean() < 100  # the text band on the first
    with pytest.raises(ValueError, match="modality 'depth' of shape"):
        render_sample({'depth': np.zeros((2, 2, 4, 4))}, [])
    # sentiment: (T, D) sequences as heat maps, 128 x 128 without frames
    sheet = render_sample({
        'text': np.zeros((5, 7)),
        'audio': np.ones((9, 3))
    }, ['GT: 1.00'])
    assert sheet.shape == (128, 256, 3)
    regression = ActionDataSample()
    regression.gt_regression = torch.tensor([1.5])
    regression.pred_regression = torch.tensor([-0.25])
    assert sample_lines(regression, None) == ['GT: 1.50', 'Pred: -0.25']
    sample = ActionDataSample().set_gt_label(1)
    sample.pred_score = torch.tensor([0.1, 0.2, 0.7])
    assert sample_lines(sample, ['a', 'b', 'c']) == ['GT: b', 'Pred: c 0.70']


@pytest.mark.slow
def test_test_tool_show_dir_draws_every_interval_th_sample(
        tiny_trained, tiny_av_set, tmp_path):
    test = load_tool('test.py')
    show = tmp_path / 'show'
    options = []
    for key, value in (('ann_file', f'{tiny_av_set}/test.json'),
                       ('data_prefix.video', str(tiny_av_set))):
        options.append(f'test_dataloader.dataset.{key}={value}')
    options += [
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.batch_size=4', 'test_dataloader.dataset.indices=7'
    ]
    metrics = test.main([
        str(tiny_trained['config']),
        str(tiny_trained['checkpoint']), '--work-dir',
        str(tmp_path / 'work'), '--show-dir',
        str(show), '--interval', '3', '--cfg-options', *options
    ])
    assert 'acc/top1' in metrics
    drawn = sorted(show.glob('*.png'))
    # samples 0, 3 and 6 of the first 7 test clips (batches of 4 and 3),
    # named by their index
    assert sorted(p.name for p in drawn) == ['0_0.png', '3_0.png', '6_0.png']
    image = cv2.imread(str(drawn[0]))
    # 2 views x 3 frames + 2 audio windows, 32 x 32 each
    assert image.shape == (32, 32 * 8, 3)
