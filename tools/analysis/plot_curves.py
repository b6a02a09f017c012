"""Draw the training curves of a run to PNG: every loss term and CLCR's
diagnostics, train beside val.

    python tools/analysis/plot_curves.py WORK_DIR [--out DIR] [--run NAME]

Reads ``WORK_DIR/<run>/vis_data/scalars.json`` (the local visualiser
backend's file; the latest run unless ``--run`` names one) and writes to
``--out`` (default ``WORK_DIR/<run>/curves``) one figure per group, each
with the training curve (by iteration) left and the val curve (by epoch)
right:

=====================  =================================================
``losses.png``         ``loss``, ``loss_cls`` and the weighted
                       regularisers ``loss_intra/pr/sp/mix`` (val:
                       ``loss_cls``)
``regularisers.png``   unweighted regularisers ``clcr_reg_*``
``participation.png``  realised rate ``clcr_rate_l*`` and learned
                       budget ``clcr_budget_l*`` per level
``level_weights.png``  ``clcr_omega_l*``
``modality_weights.png``  ``clcr_weight_<modality>``
``private_gates.png``  ``clcr_eta_<modality>``
``metrics.png``        every other val metric (``acc/top1``, ...)
=====================  =================================================

Both layouts of the file are read: flat keys (mmengine's default; a record
with ``lr`` is a training one) and ``log_processor =
dict(log_with_hierarchy=True)`` (``train/...``, ``val/...``).
"""
import argparse
import json
import os
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

Series = Dict[str, List[Tuple[float, float]]]  # name -> [(step, value)]
GROUPS = (
    ('losses', r'^loss(_\w+)?$'),
    ('regularisers', r'^clcr_reg_'),
    ('participation', r'^clcr_(rate|budget)_l\d+$'),
    ('level_weights', r'^clcr_omega_l\d+$'),
    ('modality_weights', r'^clcr_weight_'),
    ('private_gates', r'^clcr_eta_'),
)
NOT_CURVES = {'lr', 'time', 'data_time', 'epoch', 'iter', 'step', 'grad_norm'}


def find_scalars(work_dir: str, run: Optional[str] = None) -> str:
    """``scalars.json`` of the named run, else of the latest run."""
    runs = sorted(
        d for d in os.listdir(work_dir)
        if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    if not runs:
        raise FileNotFoundError(
            f'no <run>/vis_data/scalars.json under {work_dir} (is it a work '
            'dir of tools/train.py with LocalVisBackend?)')
    if run is not None and run not in runs:
        raise FileNotFoundError(f'--run {run}: not among the runs {runs}')
    return osp.join(work_dir, run or runs[-1], 'vis_data', 'scalars.json')


def read_series(path: str) -> Dict[str, Series]:
    """``{'train': series, 'val': series, 'test': series}`` of a
    scalars.json."""
    splits: Dict[str, Series] = {
        s: defaultdict(list)
        for s in ('train', 'val', 'test')
    }
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ValueError(f'{path}: line {number} is not JSON: '
                                 f'{exc}') from exc
            step = record.get('step', record.get('iter', number))
            flat_split = 'train' if ('lr' in record or 'train/lr' in record
                                     or 'iter' in record) else 'val'
            for key, value in record.items():
                if not isinstance(value, (int, float)):
                    continue
                split, name = key.split('/', 1) if key.split(
                    '/', 1)[0] in splits else (flat_split, key)
                if name in NOT_CURVES:
                    continue
                splits[split][name].append((float(step), float(value)))
    return {s: dict(v) for s, v in splits.items()}


def group_of(name: str) -> str:
    for group, pattern in GROUPS:
        if re.search(pattern, name):
            return group
    return 'metrics'


def plot(series: Dict[str, Series], out_dir: str) -> List[str]:
    """One PNG per group that has data; returns their paths."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    grouped: Dict[str, Dict[str,
                            Series]] = defaultdict(lambda: defaultdict(dict))
    for split, curves in series.items():
        for name, points in curves.items():
            if split == 'train' and group_of(name) == 'metrics':
                continue  # running training accuracies: not curves to read
            grouped[group_of(name)][split][name] = points
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for group in [g for g, _ in GROUPS] + ['metrics']:
        if group not in grouped:
            continue
        splits = [s for s in ('train', 'val', 'test') if grouped[group][s]]
        fig, axes = plt.subplots(
            1, len(splits), figsize=(6 * len(splits), 4), squeeze=False)
        for ax, split in zip(axes[0], splits):
            for name, points in sorted(grouped[group][split].items()):
                xs, ys = zip(*points)
                ax.plot(
                    xs, ys, marker='.' if len(xs) < 20 else None, label=name)
            ax.set_title(f'{group.replace("_", " ")} ({split})')
            ax.set_xlabel('iteration' if split == 'train' else 'epoch')
            ax.grid(alpha=0.3)
            ax.legend(fontsize='small')
        fig.tight_layout()
        path = osp.join(out_dir, f'{group}.png')
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


def main(argv=None) -> List[str]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir', help='work dir of tools/train.py')
    parser.add_argument('--out', help='output folder for the PNGs')
    parser.add_argument('--run', help='run (timestamp folder) to draw')
    args = parser.parse_args(argv)
    path = find_scalars(args.work_dir, args.run)
    out = args.out or osp.join(osp.dirname(osp.dirname(path)), 'curves')
    written = plot(read_series(path), out)
    for p in written:
        print(p)
    return written


if __name__ == '__main__':
    main()
