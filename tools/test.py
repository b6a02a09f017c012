"""Test a checkpoint with an mmaction2 config; the CLCR plug-in is imported
first.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]
        [--dump results.pkl] [--show] [--show-dir DIR] [--interval N]
        [--wait-time S] [--cfg-options k=v ...] [--launcher pytorch]

``--show`` / ``--show-dir`` draw every ``--interval``-th test sample (its
frames, its audio windows as spectrograms, ground truth and prediction)
with :class:`~clcr_plugin.engine.hooks.MultiModalVisualizationHook`, which
takes the place of mmaction2's ``VisualizationHook`` (one tensor input).
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from clcr_plugin import compat
from clcr_plugin.runner_setup import apply_launch_options


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Test a (multi-modal) action recognizer')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the metric log')
    parser.add_argument(
        '--dump', type=str, help='dump predictions to this pickle file')
    parser.add_argument(
        '--show', action='store_true', help='show the drawn samples')
    parser.add_argument(
        '--show-dir', help='save the drawn samples (PNG) in this folder')
    parser.add_argument(
        '--interval',
        type=int,
        default=1,
        help='draw every N-th sample (with --show / --show-dir)')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='seconds each shown sample stays (with --show)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def trigger_visualization_hook(cfg: Config,
                               args: argparse.Namespace) -> Config:
    """Switch on the multi-modal visualisation hook, as mmaction2's test tool
    does its own."""
    hook = dict(cfg.get('default_hooks', {}).get('visualization') or {})
    if hook.get('type') in (None, 'VisualizationHook',
                            'mmaction.VisualizationHook'):
        hook = dict(type='MultiModalVisualizationHook')
    hook.update(
        enable=True,
        show=args.show,
        wait_time=args.wait_time,
        interval=args.interval)
    if args.show_dir is not None:
        hook['out_dir'] = args.show_dir
    cfg.setdefault('default_hooks', {})['visualization'] = hook
    return cfg


def build_runner(argv=None) -> Runner:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    apply_launch_options(cfg, args.config, args.launcher, args.work_dir)
    if args.show or args.show_dir is not None:
        trigger_visualization_hook(cfg, args)
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError(
                f'--dump must end with .pkl or .pickle, got {args.dump}')
        evaluator = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, list) else [cfg.test_evaluator]
        cfg.test_evaluator = [
            *evaluator,
            dict(type='DumpResults', out_file_path=args.dump)
        ]
    cfg.load_from = args.checkpoint
    return Runner.from_cfg(cfg)


def main(argv=None) -> dict:
    runner = build_runner(argv)
    try:
        return runner.test()
    finally:
        del runner  # its DDP wrapper holds the process group
        compat.shutdown_distributed()


if __name__ == '__main__':
    main()
