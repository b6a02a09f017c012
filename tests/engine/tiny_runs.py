"""Helpers for short tools/train.py and tools/test.py runs on the tiny set."""
import json
from pathlib import Path
from typing import List

import torch
from tool_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = dict(
    concat=ROOT / 'configs' / 'baselines' /
    'concat_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py',
    dense=ROOT / 'configs' / 'baselines' /
    'dense-xattn_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py',
    clcr=ROOT / 'configs' / 'clcr' /
    'clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py')


def load_tool(name: str):
    """tools/<name>.py as a module."""
    return load_script(f'tools/{name}.py')


def tiny_options(data: Path, epochs: int) -> List[str]:
    """Short deterministic CPU runs: batch 4, no workers, checkpoints every
    epoch, an lr schedule of ``epochs`` epochs, log every iteration."""
    opts = [
        f'train_cfg.max_epochs={epochs}', 'train_cfg.val_interval=1',
        f'param_scheduler.0.T_max={epochs}', f'param_scheduler.0.end={epochs}',
        'randomness.seed=0', 'randomness.deterministic=True',
        'default_hooks.checkpoint.interval=1',
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


def scalars(work_dir: Path) -> List[dict]:
    """The records of the latest run's vis_data/scalars.json."""
    path = sorted(work_dir.glob('*/vis_data/scalars.json'))[-1]
    return [json.loads(line) for line in path.read_text().splitlines()]


def weights(path: Path) -> dict:
    return torch.load(path, map_location='cpu')['state_dict']
