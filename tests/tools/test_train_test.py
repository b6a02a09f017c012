"""tools/train.py and tools/test.py through mmengine's Runner on a tiny
generated set."""
import json
from pathlib import Path

import pytest
import torch
from tool_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
CONFIG = (
    ROOT / 'configs' / 'clcr' /
    'clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py')


def load_tool(name: str):
    return load_script(f'tools/{name}.py')


def tiny_options(data: Path, epochs: int, schedule_epochs: int = 2) -> list:
    """Deterministic short runs: no random augmentation, no workers, fixed
    seed, one lr schedule."""
    opts = [
        f'train_cfg.max_epochs={epochs}', 'train_cfg.val_interval=1',
        f'param_scheduler.0.T_max={schedule_epochs}',
        f'param_scheduler.0.end={schedule_epochs}', 'randomness.seed=0',
        'randomness.deterministic=True', 'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=5',
        'default_hooks.logger.interval=1'
    ]
    for split in ('train', 'val', 'test'):
        opts += [
            f'{split}_dataloader.dataset.ann_file={data}/{split}.json',
            f'{split}_dataloader.dataset.data_prefix.video={data}',
            f'{split}_dataloader.batch_size=4',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False'
        ]
    return opts


def no_flip_pipeline(tmp_path: Path) -> Path:
    """The CLCR config with the val pipeline for training (no random flip) and
    testing (one view)."""
    cfg = tmp_path / 'tiny.py'
    cfg.write_text(f"_base_ = ['{CONFIG}']\n"
                   "train_dataloader = "
                   "dict(dataset=dict(pipeline={{_base_.val_pipeline}}))\n"
                   "test_dataloader = "
                   "dict(dataset=dict(pipeline={{_base_.val_pipeline}}))\n")
    return cfg


@pytest.mark.slow
def test_train_resume_and_test_give_consistent_results(tiny_av_set, tmp_path):
    train, test = load_tool('train'), load_tool('test')
    config = str(no_flip_pipeline(tmp_path))
    straight = tmp_path / 'straight'
    train.main([
        config, '--work-dir',
        str(straight), '--cfg-options', *tiny_options(tiny_av_set, 2)
    ])
    assert (straight / 'epoch_2.pth').is_file()
    logs = sorted(
        straight.glob('*/vis_data/scalars.json'))[-1].read_text().splitlines()
    records = [json.loads(line) for line in logs]
    assert any(
        'loss_intra' in r and 'clcr_rate_l1' in r and 'clcr_omega_l3' in r
        for r in records)
    final_val = [r for r in records if 'acc/top1' in r][-1]

    # interrupted after epoch 1, resumed to epoch 2: same weights as the
    # straight run
    resumed = tmp_path / 'resumed'
    train.main([
        config, '--work-dir',
        str(resumed), '--cfg-options', *tiny_options(tiny_av_set, 1)
    ])
    train.main([
        config, '--work-dir',
        str(resumed), '--resume',
        str(resumed / 'epoch_1.pth'), '--cfg-options',
        *tiny_options(tiny_av_set, 2)
    ])
    a = torch.load(straight / 'epoch_2.pth', map_location='cpu')['state_dict']
    b = torch.load(resumed / 'epoch_2.pth', map_location='cpu')['state_dict']
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(
            a[key], b[key], atol=1e-5, rtol=1e-4, msg=key)

    # tools/test.py on the saved checkpoint reproduces the last validation
    # metrics
    metrics = test.main([
        config,
        str(straight / 'epoch_2.pth'), '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', *tiny_options(tiny_av_set, 2),
        f'test_dataloader.dataset.ann_file={tiny_av_set}/val.json'
    ])
    assert metrics['acc/top1'] == pytest.approx(final_val['acc/top1'])
    assert metrics['macro_f1'] == pytest.approx(final_val['macro_f1'])


def test_missing_resume_checkpoint_is_a_clear_error(tmp_path):
    train = load_tool('train')
    with pytest.raises(
            FileNotFoundError,
            match='--resume: checkpoint .*nope.pth does not exist'):
        train.main([
            str(CONFIG), '--work-dir',
            str(tmp_path), '--resume',
            str(tmp_path / 'nope.pth')
        ])


def test_test_tool_rejects_a_missing_checkpoint(tmp_path):
    test = load_tool('test')
    with pytest.raises(
            FileNotFoundError,
            match='checkpoint .*missing.pth does not exist'):
        test.main([str(CONFIG), str(tmp_path / 'missing.pth')])


@pytest.mark.slow
def test_dist_train_runs_two_gloo_processes_on_cpu(tiny_av_set, tmp_path):
    """tools/dist_train.sh with 2 CPU processes: gloo, DDP without device_ids,
    clean shutdown."""
    import os
    import socket
    import subprocess
    import sys
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PORT=str(port),
        OMP_NUM_THREADS='1',
        PYTHONFAULTHANDLER='1')  # a crash prints every thread's stack
    work = tmp_path / 'dist'
    opts = [
        o for o in tiny_options(tiny_av_set, 1, 1) if 'deterministic' not in o
    ]
    result = subprocess.run([
        'bash',
        str(ROOT / 'tools' / 'dist_train.sh'),
        str(no_flip_pipeline(tmp_path)), '2', '--work-dir',
        str(work), '--cfg-options', *opts, 'train_dataloader.batch_size=2'
    ],
                            capture_output=True,
                            text=True,
                            env=env,
                            timeout=400)
    assert result.returncode == 0, (
        result.stdout[-2000:] + result.stderr[-3000:])
    # each rank released the process group before exit (compat)
    assert 'still run after destroy_process_group' not in result.stderr
    assert (work / 'epoch_1.pth').is_file()
    log = next(work.glob('*/*.log')).read_text()
    assert ('Distributed launcher: pytorch' in log and 'backend' in log
            and 'gloo' in log)
    # mmengine's name for world size
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
