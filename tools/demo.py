"""The main job (``make demo``): generate the synthetic audio-visual set if absent,
train CLCR on it with mmengine's Runner, test it, and print a short summary.

    python tools/demo.py [--config CONFIG] [--data data/synthetic_av] [--work-dir work_dirs/demo]
        [--cfg-options k=v ...]

The checkpoint, the logs and ``summary.json`` land in the work dir.
"""
import argparse
import json
import os.path as osp
import time
from typing import Optional

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from clcr_plugin import compat
from clcr_plugin.datasets.synthetic_av import SyntheticAVConfig, generate, is_generated

DEFAULT_CONFIG = 'configs/clcr/clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py'


def point_config_at(cfg: Config, data: str) -> Config:
    """Use the synthetic set in ``data`` for every split."""
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        dataset.ann_file = osp.join(data, f'{split}.json')
        dataset.data_prefix = dict(video=data)
    return cfg


def run(config: str, data: str, work_dir: str, cfg_options: Optional[dict] = None) -> dict:
    """Train then test one config on the synthetic set; returns the summary."""
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg = point_config_at(cfg, data)
    cfg.work_dir = work_dir
    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    try:
        runner.train()
        train_seconds = time.perf_counter() - start
        metrics = runner.test()  # with CLCRDiagnosticsHook in custom_hooks, it holds the test-set diagnostics
    finally:
        compat.shutdown_distributed()
    summary = dict(config=config, work_dir=work_dir, train_seconds=round(train_seconds, 1),
                   checkpoint=osp.join(work_dir, f'epoch_{runner.max_epochs}.pth'),
                   top1=float(metrics['acc/top1']), macro_f1=float(metrics['macro_f1']),
                   diagnostics={k: float(v) for k, v in metrics.items() if k.startswith('clcr_')})
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    return summary


def format_summary(summary: dict) -> str:
    d = summary['diagnostics']
    levels = sorted(k for k in d if k.startswith('clcr_rate_'))
    lines = ['', '=' * 64, f"CLCR on the synthetic audio-visual set ({summary['train_seconds']} s of training)",
             f"  test top-1 accuracy : {summary['top1']:.4f}",
             f"  test macro-F1       : {summary['macro_f1']:.4f}"]
    if levels:
        lines.append('  participation rate : ' + '  '.join(f"L{k[-1]}={d[k]:.3f}" for k in levels))
        lines.append('  level weight omega : ' + '  '.join(
            f"L{k[-1]}={d[k]:.3f}" for k in sorted(k for k in d if k.startswith('clcr_omega_'))))
        lines.append('  modality weights   : ' + '  '.join(
            f"{k[len('clcr_weight_'):]}={d[k]:.3f}" for k in sorted(k for k in d if k.startswith('clcr_weight_'))))
    lines += [f"  checkpoint and logs: {summary['work_dir']}", '=' * 64]
    return '\n'.join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--data', default='data/synthetic_av')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if is_generated(args.data, SyntheticAVConfig()):
        print(f'using the synthetic set in {args.data}')
    else:
        print(f'generating the synthetic audio-visual set in {args.data} ...')
        generate(args.data, SyntheticAVConfig())
    summary = run(args.config, args.data, args.work_dir, args.cfg_options)
    print(format_summary(summary))
    return summary


if __name__ == '__main__':
    main()
