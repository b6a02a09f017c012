"""Training faults end to end on the tiny set: a killed run resumes to the
uninterrupted result, a non-finite loss stops training and leaves a good
checkpoint, and a dumped config tests like the original."""
from pathlib import Path

import pytest
import torch
from mmaction.registry import HOOKS
from mmengine.config import Config
from mmengine.hooks import Hook
from tiny_runs import CONFIGS, load_tool, scalars, tiny_options, weights


@HOOKS.register_module(force=True)
class _KillAtIteration(Hook):
    """Stands in for a killed process: raises before training iteration
    ``iteration`` (0-based, over the whole run)."""

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if runner.iter == self.iteration:
            raise KeyboardInterrupt(f'killed at iteration {runner.iter}')


@HOOKS.register_module(force=True)
class _NaNAudioAtIteration(Hook):
    """Puts NaN into the audio input of one sample at one iteration (a
    corrupted feature file)."""

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if runner.iter == self.iteration:
            data_batch['inputs']['audio'][0].fill_(float('nan'))


def with_hooks(tmp_path: Path, base: Path, name: str, **hook) -> Path:
    """``base`` plus one custom hook."""
    cfg = tmp_path / f'{name}.py'
    cfg.write_text(f"_base_ = ['{base}']\n"
                   f'custom_hooks = [dict(type={name!r}, **{hook!r})]\n')
    return cfg


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_result(tiny_av_set, tmp_path):
    """Random flips and modality dropout draw from every generator; the
    resumed run must still match bit for bit."""
    train = load_tool('train')
    opts = [*tiny_options(tiny_av_set, 2), 'model.modality_dropout=0.3']
    straight, killed = tmp_path / 'straight', tmp_path / 'killed'
    train.main([
        str(CONFIGS['concat']), '--work-dir',
        str(straight), '--cfg-options', *opts
    ])
    config = with_hooks(
        tmp_path, CONFIGS['concat'], '_KillAtIteration',
        iteration=11)  # the 4th of 8 iterations of epoch 2
    with pytest.raises(KeyboardInterrupt, match='killed at iteration 11'):
        train.main(
            [str(config), '--work-dir',
             str(killed), '--cfg-options', *opts])
    assert (killed / 'epoch_1.pth').is_file()
    assert not (killed / 'epoch_2.pth').exists()
    assert not list(killed.glob('.*.tmp-*'))  # no half-written file
    # tools/train.py --resume (no path): the latest checkpoint of the work dir
    train.main([
        str(CONFIGS['concat']), '--work-dir',
        str(killed), '--resume', '--cfg-options', *opts
    ])
    a, b = weights(straight / 'epoch_2.pth'), weights(killed / 'epoch_2.pth')
    assert list(a) == list(b)
    for key in a:
        assert torch.equal(a[key], b[key]), key
    val_a = [r for r in scalars(straight) if 'acc/top1' in r][-1]
    val_b = [r for r in scalars(killed) if 'acc/top1' in r][-1]
    for key in ('acc/top1', 'acc/mean1', 'macro_f1'):
        assert val_a[key] == val_b[key], key
    train_a = [r['loss'] for r in scalars(straight) if 'loss' in r]
    train_b = [r['loss'] for r in scalars(killed) if 'loss' in r]
    assert train_a[-2:] == train_b[-2:]  # the resumed epoch's last losses


@pytest.mark.slow
def test_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint(
        tiny_av_set, tmp_path):
    train = load_tool('train')
    config = with_hooks(
        tmp_path, CONFIGS['concat'], '_NaNAudioAtIteration', iteration=10)
    work = tmp_path / 'nan'
    with pytest.raises(
            FloatingPointError,
            match=(r'non-finite loss at iteration 11 \(epoch 2\): loss=nan, '
                   r'loss_cls=nan')):
        train.main([
            str(config), '--work-dir',
            str(work), '--cfg-options', *tiny_options(tiny_av_set, 2)
        ])
    assert not (work / 'epoch_2.pth').exists()
    assert (work / 'last_checkpoint').read_text().endswith('epoch_1.pth')
    state = weights(work / 'epoch_1.pth')
    assert all(
        torch.isfinite(v).all() for v in state.values()
        if v.is_floating_point())


def dumped_config(work_dir: Path, config: Path) -> Path:
    """The config mmengine wrote into the work dir (dict keys sorted)."""
    return work_dir / config.name


@pytest.mark.slow
@pytest.mark.parametrize('neck', ['concat', 'dense', 'clcr'])
def test_dumped_config_tests_like_the_original(neck, tiny_av_set, tmp_path):
    train, test = load_tool('train'), load_tool('test')
    work = tmp_path / neck
    opts = tiny_options(tiny_av_set, 1)
    no_val = ['train_cfg.val_begin=2']  # train only
    train.main([
        str(CONFIGS[neck]), '--work-dir',
        str(work), '--cfg-options', *opts, *no_val
    ])
    dumped = dumped_config(work, CONFIGS[neck])
    # the dump really reorders the modality dicts
    assert list(Config.fromfile(str(
        CONFIGS[neck])).model.backbones) == ['rgb', 'audio']
    assert list(Config.fromfile(
        str(dumped)).model.backbones) == ['audio', 'rgb']
    metrics = [
        test.main([
            str(cfg),
            str(work / 'epoch_1.pth'), '--work-dir',
            str(tmp_path / f'test{i}'), '--cfg-options', *opts
        ]) for i, cfg in enumerate((CONFIGS[neck], dumped))
    ]
    assert metrics[0]['acc/top1'] == metrics[1]['acc/top1']
    assert metrics[0]['macro_f1'] == metrics[1]['macro_f1']
    assert metrics[0]['acc/mean1'] == metrics[1]['acc/mean1']
