"""The main job (``make demo``): CLCR and late concatenation side by side.

Generates the synthetic audio-visual set if absent, trains CLCR and its
concat twin on it (same data, seed and schedule; the machinery of
``tools/analysis/compare.py``), tests both clean, with the audio missing and
with noisy audio, and prints one table::

    python tools/demo.py [--data data/synthetic_av] [--work-dir work_dirs/demo]
        [--seed 0] [--noise 1.0] [--cfg-options k=v ...]

Runs, logs, checkpoints and ``summary.json`` land in the work dir; a finished
run is not redone.
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
from typing import Dict, List

from mmengine.config import DictAction

from clcr_plugin.datasets.synthetic_av import (SyntheticAVConfig, generate,
                                               is_generated)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = {
    'CLCR':
    'configs/clcr/clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py',
    'concat':
    'configs/baselines/concat_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py',
}


def load_compare():
    """``tools/analysis/compare.py`` as a module (``tools/`` is no package)."""
    path = osp.join(ROOT, 'tools', 'analysis', 'compare.py')
    spec = importlib.util.spec_from_file_location('clcr_compare', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(data: str,
        work_dir: str,
        seed: int = 0,
        noise: float = 1.0,
        cfg_options: dict = None) -> dict:
    """Train and test CLCR and concat; returns the summary (also written
    to ``<work_dir>/summary.json``)."""
    compare = load_compare()
    conditions = [
        compare.CLEAN,
        compare.Condition('missing-audio', 'audio', drop=('audio', )),
        compare.Condition(
            f'noise-audio-{noise:g}', 'audio', noise_std=dict(audio=noise)),
    ]
    configs = {}
    for label, path in CONFIGS.items():
        cfg = compare.load_config(osp.join(ROOT, path), cfg_options, data)
        configs[label] = (cfg, compare.modalities_of(cfg, path))
    os.makedirs(work_dir, exist_ok=True)
    rows = compare.measure(configs, [seed], conditions, work_dir, False)
    top1: Dict[str, Dict[str, float]] = {label: {} for label in CONFIGS}
    diagnostics: Dict[str, float] = {}
    for row in rows:
        if row['metric'] == 'acc/top1':
            top1[row['config']][row['condition']] = row['value']
        elif (row['config'], row['condition']) == ('CLCR', 'clean') \
                and row['metric'].startswith('clcr_'):
            diagnostics[row['metric']] = row['value']
    summary = dict(
        seed=seed,
        data=data,
        work_dir=work_dir,
        conditions=[c.name for c in conditions],
        top1=top1,
        clcr_diagnostics=diagnostics,
        configs=CONFIGS)
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    return summary


def _levels(d: Dict[str, float], prefix: str) -> str:
    keys = sorted(k for k in d if k.startswith(prefix))
    return '  '.join(f'{k[len(prefix):]}={d[k]:.3f}' for k in keys)


def format_summary(summary: dict) -> str:
    """The side-by-side table and CLCR's diagnostics, as printed."""
    labels: List[str] = list(summary['top1'])
    lines = [
        '', '=' * 64, 'Synthetic audio-visual set, test top-1 (%), '
        f"seed {summary['seed']}",
        f"  {'condition':<18}" + ''.join(f'{lb:>10}' for lb in labels)
    ]
    for cond in summary['conditions']:
        cells = ''.join(f"{100 * summary['top1'][lb][cond]:>10.1f}"
                        for lb in labels)
        lines.append(f'  {cond:<18}{cells}')
    d = summary['clcr_diagnostics']
    if d:
        lines += [
            'CLCR diagnostics (clean test set):',
            '  participation rate : ' + _levels(d, 'clcr_rate_l'),
            '  level weight omega : ' + _levels(d, 'clcr_omega_l'),
            '  modality weights   : ' + _levels(d, 'clcr_weight_')
        ]
    lines += [
        f"  runs, logs and summary.json: {summary['work_dir']}", '=' * 64
    ]
    return '\n'.join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data', default='data/synthetic_av')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--noise',
        type=float,
        default=1.0,
        help='std of the audio noise (normalised units)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if is_generated(args.data, SyntheticAVConfig()):
        print(f'using the synthetic set in {args.data}')
    else:
        print(f'generating the synthetic audio-visual set in {args.data} ...')
        generate(args.data, SyntheticAVConfig())
    summary = run(args.data, args.work_dir, args.seed, args.noise,
                  args.cfg_options)
    print(format_summary(summary))
    return summary


if __name__ == '__main__':
    main()
