"""Train and test configs over several seeds, then measure them under test-time
corruption.

    python tools/analysis/compare.py CONFIG [CONFIG ...] [--seeds 0 1 2]
        [--work-dir work_dirs/compare] [--noise 0.5 1.0 2.0] [--data DIR]
        [--eval-only] [--cfg-options k=v ...]

For each config and seed, ``<work-dir>/<config stem>/seed<k>/`` holds a
training (mmengine Runner, ``randomness.seed=k``) followed by a test; the
test metrics go to ``test_metrics.json`` there. A run whose metrics file and
checkpoint exist is not redone; an interrupted one resumes from its last
checkpoint. Every trained model is then tested again from its last
checkpoint under each condition, in ``eval/<condition>/`` (logs) and
``eval/<condition>.json`` (metrics; not redone while the checkpoint is
unchanged):

* ``clean``: no corruption;
* ``noise-<m>-<std>``: Gaussian noise on modality ``m``, std in units of the
  normalised inputs (see ``CorruptedInputsPreprocessor``), seeded with the
  run's seed, so every config sees the same noisy test batches at the same
  seed and test batch size;
* ``missing-<m>``: modality ``m`` removed from the inputs.

A config's modalities are the keys of its ``model.backbones``. A condition
on a modality a model does not use is its clean result (the model never
reads that input); a model left with no input (a unimodal model without its
modality) has no result: no CSV row, ``n/a`` in the table.

Writes ``results.csv`` (config, seed, condition, metric, value),
``summary.md`` (test top-1 in %, mean +- sample std over seeds) and, when
matplotlib is importable, ``noise_<m>.png`` per modality and
``missing.png``, then prints the table. ``--cfg-options`` and ``--data`` are
not part of a run's identity: after changing them, use a new work dir.
"""
import argparse
import copy
import json
import os
import os.path as osp
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config, DictAction
from mmengine.runner import Runner, find_latest_checkpoint

from clcr_plugin import compat
from clcr_plugin.analysis.comparison_report import (markdown_table, plot,
                                                    write_csv)


@dataclass(frozen=True)
class Condition:
    """One test-time condition: the corruption it applies and the modality it
    touches."""
    name: str
    modality: Optional[str] = None
    noise_std: Dict[str, float] = field(default_factory=dict)
    drop: Tuple[str, ...] = ()


CLEAN = Condition('clean')


def build_conditions(modalities: Sequence[str],
                     noise_levels: Sequence[float]) -> List[Condition]:
    """``clean``, then ``noise-<m>-<std>`` per modality and level, then
    ``missing-<m>`` per modality."""
    conditions = [CLEAN]
    for m in modalities:
        conditions += [
            Condition(f'noise-{m}-{std:g}', m, noise_std={m: std})
            for std in noise_levels
        ]
    return conditions + [
        Condition(f'missing-{m}', m, drop=(m, )) for m in modalities
    ]


def point_config_at(cfg: Config, data: str) -> Config:
    """Use the annotation files ``{train,val,test}.json`` and the videos in
    ``data`` for every split."""
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        dataset.ann_file = osp.join(data, f'{split}.json')
        dataset.data_prefix = dict(video=data)
    return cfg


def load_config(path: str, cfg_options: Optional[dict],
                data: Optional[str]) -> Config:
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if data is not None:
        point_config_at(cfg, data)
    cfg.launcher = 'none'
    cfg.setdefault('custom_imports',
                   dict(imports=['clcr_plugin'], allow_failed_imports=False))
    return cfg


def modalities_of(cfg: Config, path: str) -> Tuple[str, ...]:
    """The modalities a config's model reads: the keys of
    ``model.backbones``."""
    backbones = cfg.model.get('backbones')
    if not backbones:
        raise ValueError(
            f'{path}: model.backbones is missing or empty; compare.py needs a '
            'MultiModalRecognizer '
            f'config (model.type is {cfg.model.get("type")!r})')
    return tuple(backbones)


def read_json(path: str) -> Optional[dict]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_json(path: str, obj: dict) -> None:
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1)


def run_runner(cfg: Config, job) -> dict:
    """Build a Runner from ``cfg``, call ``job(runner)`` and always shut
    distributed state down."""
    runner = Runner.from_cfg(cfg)
    try:
        return job(runner)
    finally:
        del runner  # its DDP wrapper holds the process group
        compat.shutdown_distributed()


def finished_run(run_dir: str) -> Optional[dict]:
    """``<run_dir>/test_metrics.json`` if it exists and its checkpoint too,
    else None.

    It holds ``metrics``, ``checkpoint`` (file name in ``run_dir``), ``seed``
    and ``seconds`` (training and test in the invocation that finished it).
    """
    done = read_json(osp.join(run_dir, 'test_metrics.json'))
    return done if done is not None and osp.isfile(
        osp.join(run_dir, done['checkpoint'])) else None


def train_and_test(cfg: Config, run_dir: str, seed: int, name: str) -> dict:
    """Train (resuming from the last checkpoint if any) and test one config
    with one seed, unless :func:`finished_run` finds it done; returns
    :func:`finished_run`'s record."""
    done = finished_run(run_dir)
    if done is not None:
        print(f'[compare] {name}: trained and tested earlier, not redone')
        return done
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = run_dir
    cfg.randomness = dict(cfg.get('randomness') or {}, seed=seed)
    cfg.experiment_name = name.replace('/', '_')
    cfg.load_from = None
    cfg.resume = osp.isfile(osp.join(run_dir, 'last_checkpoint'))
    print(f'[compare] {name}: ' +
          ('resuming from its last checkpoint' if cfg.resume else 'training'))
    start = time.perf_counter()

    def job(runner: Runner) -> dict:
        runner.train()
        return runner.test()

    metrics = run_runner(cfg, job)
    checkpoint = find_latest_checkpoint(run_dir)
    if checkpoint is None:
        raise FileNotFoundError(
            f'{name}: training saved no checkpoint in {run_dir}; compare.py '
            'tests the last one '
            '(keep default_hooks.checkpoint)')
    done = dict(
        metrics={
            k: float(v)
            for k, v in metrics.items()
        },
        checkpoint=osp.basename(checkpoint),
        seed=seed,
        seconds=round(time.perf_counter() - start, 1))
    write_json(osp.join(run_dir, 'test_metrics.json'), done)
    return done


def evaluate(cfg: Config, run_dir: str, trained: dict, condition: Condition,
             name: str) -> dict:
    """Test the run's checkpoint under ``condition``; returns its metrics
    (cached in ``eval/<condition>.json``)."""
    out_file = osp.join(run_dir, 'eval', f'{condition.name}.json')
    checkpoint = osp.join(run_dir, trained['checkpoint'])
    checkpoint_id = (
        f"{trained['checkpoint']}@{os.stat(checkpoint).st_mtime_ns}"
    )  # a retrained model is re-tested
    done = read_json(out_file)
    if done is not None and done['checkpoint_id'] == checkpoint_id:
        return done['metrics']
    cfg = copy.deepcopy(cfg)
    cfg.model.data_preprocessor = dict(
        type='CorruptedInputsPreprocessor',
        preprocessor=cfg.model.data_preprocessor,
        noise_std=condition.noise_std,
        drop=condition.drop,
        seed=trained['seed'])
    cfg.work_dir = osp.join(
        run_dir, 'eval',
        condition.name)  # its own logs; the training's stay untouched
    cfg.experiment_name = f'{name}_{condition.name}'.replace('/', '_')
    cfg.load_from = checkpoint
    cfg.resume = False
    print(f'[compare] {name}: testing under {condition.name}')
    metrics = {
        k: float(v)
        for k, v in run_runner(cfg, lambda runner: runner.test()).items()
    }
    write_json(out_file, dict(metrics=metrics, checkpoint_id=checkpoint_id))
    return metrics


def measure(configs: Dict[str, Tuple[Config, Tuple[str, ...]]],
            seeds: Sequence[int], conditions: Sequence[Condition],
            work_dir: str, eval_only: bool) -> List[dict]:
    """Every (config, seed, condition, metric) as CSV rows; see the module
    docstring for the rules."""
    rows = []
    for stem, (cfg, modalities) in configs.items():
        for seed in seeds:
            name = f'{stem}/seed{seed}'
            run_dir = osp.join(work_dir, stem, f'seed{seed}')
            if eval_only:
                trained = finished_run(run_dir)
                if trained is None:
                    raise FileNotFoundError(
                        f'--eval-only: {run_dir} holds no finished run '
                        '(test_metrics.json and '
                        'its checkpoint); run without --eval-only first')
            else:
                trained = train_and_test(cfg, run_dir, seed, name)
            clean = evaluate(cfg, run_dir, trained, CLEAN, name)
            for condition in conditions:
                if (condition.modality is None
                        or condition.modality not in modalities):
                    # clean, or a modality the model never reads
                    metrics = clean
                elif set(modalities) <= set(condition.drop):
                    continue  # no input left: no result
                else:
                    metrics = evaluate(cfg, run_dir, trained, condition, name)
                rows += [
                    dict(
                        config=stem,
                        seed=seed,
                        condition=condition.name,
                        metric=k,
                        value=v) for k, v in sorted(metrics.items())
                ]
    return rows


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'configs', nargs='+', metavar='CONFIG', help='config files to compare')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        default=[0, 1, 2],
        help='training seeds')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/compare',
        help='where runs, tables and plots go')
    parser.add_argument(
        '--noise',
        nargs='+',
        type=float,
        default=[0.5, 1.0, 2.0],
        help='Gaussian noise stds, in units of the normalised inputs')
    parser.add_argument(
        '--data',
        help='a synthetic-set folder with {train,val,test}.json for every '
        'split')
    parser.add_argument(
        '--eval-only',
        action='store_true',
        help=('train nothing: evaluate finished runs only '
              '(error if one is missing)'))
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of every config')
    args = parser.parse_args(argv)
    if any(not s >= 0 for s in args.noise):
        parser.error(f'--noise levels must be >= 0, got {args.noise}')
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds has duplicates: {args.seeds}')
    return args


def main(argv=None) -> dict:
    """Run the comparison; returns ``dict(rows=..., table=..., files=...)``."""
    args = parse_args(argv)
    configs: Dict[str, Tuple[Config, Tuple[str, ...]]] = {}
    for path in args.configs:
        stem = osp.splitext(osp.basename(path))[0]
        if stem in configs:
            raise ValueError(
                f'two configs share the name {stem!r}; their runs would share '
                f'{osp.join(args.work_dir, stem)}')
        cfg = load_config(path, args.cfg_options, args.data)
        configs[stem] = (cfg, modalities_of(cfg, path))
    modalities = list(
        dict.fromkeys(m for _, ms in configs.values() for m in ms))
    noise_levels = sorted(set(args.noise))
    conditions = build_conditions(modalities, noise_levels)
    os.makedirs(args.work_dir, exist_ok=True)
    rows = measure(configs, args.seeds, conditions, args.work_dir,
                   args.eval_only)
    table = markdown_table(rows, list(configs), conditions, args.seeds)
    write_csv(osp.join(args.work_dir, 'results.csv'), rows)
    with open(osp.join(args.work_dir, 'summary.md'), 'w') as f:
        f.write(table + '\n')
    files = plot(rows, list(configs), modalities, noise_levels, args.work_dir)
    print(table)
    print(f'[compare] results.csv, summary.md and {len(files)} plots in '
          f'{args.work_dir}')
    return dict(rows=rows, table=table, files=files)


if __name__ == '__main__':
    main()
