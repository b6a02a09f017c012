"""Linear probes on every level of a (multi-modal) recognizer: what can be read
off where?

    python tools/analysis/probe_levels.py CONFIG CHECKPOINT [--split test] \\
        [--data DIR] [--out probes.json]
    python tools/analysis/probe_levels.py CONFIG --random-init \\
        --data data/synthetic_av

Runs the model (eval mode, the config's val pipeline: one deterministic view
per clip) over the train split, which the probes are fitted on, and over
``--split``, which they are evaluated on. Representations, each pooled per
clip (mean over positions and views):

* ``backbone_<modality>_l<k>``: level k (1-based) of each backbone
  (``model._forward(inputs, stage='backbone')``);
* ``head_input``: the neck's output (``stage='neck'``);
* for CLCR (a neck with ``.clcr`` whose output has ``summaries``):
  ``<kind>_l<k>_<modality>`` for each summary kind (``shared``,
  ``shared_before``, ``private``), and ``<kind>_all``, every level and
  modality side by side.

Targets: ``label``, and every field of the annotation entries' ``factors``
(the synthetic set's generative factors, read from the annotation file by
sample index). Probes are closed-form ridge classifiers on standardised
features, lambda chosen on a held-out quarter of the train split
(:mod:`clcr_plugin.evaluation.probes`). Writes JSON and prints a table of
accuracies (rows representations, columns targets, last row the majority
class rate of the evaluated split).
"""
import argparse
import copy
import json
import logging
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from torch import Tensor, nn

# applies the compat patches, registers the plug-in's components
import clcr_plugin  # noqa: F401
from clcr_plugin.evaluation.probes import linear_probe

SPLITS = ('train', 'val', 'test')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='model config')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='trained checkpoint (omit with --random-init)')
    parser.add_argument(
        '--random-init',
        action='store_true',
        help='probe a freshly initialised model')
    parser.add_argument(
        '--split',
        default='test',
        choices=SPLITS[1:],
        help='split the probes are evaluated on')
    parser.add_argument(
        '--data',
        help=('data root holding <split>.json '
              "(overrides the config's annotation files)"))
    parser.add_argument('--out', default='probes.json', help='output JSON')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='initialisation (--random-init) and probe split seed')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings')
    args = parser.parse_args(argv)
    if (args.checkpoint is None) == (not args.random_init):
        parser.error('give either CHECKPOINT or --random-init')
    return args


def build_model(cfg: Config, checkpoint: Optional[str],
                seed: int) -> nn.Module:
    """The config's model in eval mode: loaded from ``checkpoint``, or freshly
    initialised with ``seed``."""
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(cfg.model)
    if checkpoint is None:
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(
            logging.WARNING)  # init_weights reports every parameter at INFO
        try:
            model.init_weights()
        finally:
            logger.setLevel(level)
    else:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    return model.eval()


def build_dataset(cfg: Config, split: str, data: Optional[str]):
    """``split``'s dataset with the val pipeline (deterministic, no
    augmentation)."""
    key = f'{split}_dataloader'
    if key not in cfg:
        present = [s for s in SPLITS if f'{s}_dataloader' in cfg]
        raise KeyError(
            f'the config has no {key}; it has dataloaders for {present}')
    ds_cfg = copy.deepcopy(cfg[key].dataset)
    ds_cfg.pipeline = copy.deepcopy(cfg.val_dataloader.dataset.pipeline)
    ds_cfg.test_mode = True
    if data is not None:
        ds_cfg.ann_file = osp.join(data, f'{split}.json')
        ds_cfg.data_prefix = dict(ds_cfg.get('data_prefix', {}), video=data)
        ds_cfg.pop('data_root', None)
    with DefaultScope.overwrite_default_scope('mmaction'):
        return DATASETS.build(ds_cfg)


def pool(x: Tensor, num_clips: int) -> Tensor:
    """(N * V, C, ...) -> (N, C): mean over positions, then over the V views of
    each clip."""
    x = x.flatten(2).mean(-1) if x.dim() > 2 else x
    return x.reshape(num_clips, -1, x.shape[1]).mean(1)


def summary_representations(summaries: Mapping[str, Tensor],
                            modalities: Sequence[str],
                            num_clips: int) -> Dict[str, Tensor]:
    """CLCR summaries ``{kind: (N * V, M, L, d)}`` ->
    ``{<kind>_l<k>_<m>: (N, d), <kind>_all: (N, M * L * d)}``."""
    reps = {}
    for kind, s in summaries.items():
        s = s.reshape(num_clips, -1,
                      *s.shape[1:]).mean(1).float()  # (N, M, L, d)
        for k in range(s.shape[2]):
            for i, m in enumerate(modalities):
                reps[f'{kind}_l{k + 1}_{m}'] = s[:, i, k]
        reps[f'{kind}_all'] = s.flatten(1)
    return reps


@torch.no_grad()
def collect(model: nn.Module, dataset,
            batch_size: int) -> Tuple[Dict[str, Tensor], Tensor]:
    """Every representation ``{name: (N, D)}`` of the clips of ``dataset`` (in
    order), and their labels (N,)."""
    clcr = getattr(getattr(model, 'neck', None), 'clcr', None)
    captured: List = []
    handle = clcr.register_forward_hook(lambda m, args, out: captured.append(
        out)) if clcr is not None else None
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        collate_fn=pseudo_collate)
    reps: Dict[str, List[Tensor]] = defaultdict(list)
    labels = []
    try:
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            inputs, num_clips = data['inputs'], len(data['data_samples'])
            labels.append(
                torch.cat(
                    [s.gt_label.reshape(1) for s in data['data_samples']]))
            for m, levels in model._forward(inputs, stage='backbone').items():
                for k, f in enumerate(levels):
                    reps[f'backbone_{m}_l{k + 1}'].append(
                        pool(f, num_clips).float())
            captured.clear()
            reps['head_input'].append(
                pool(model._forward(inputs, stage='neck'), num_clips).float())
            summaries = getattr(captured[-1], 'summaries',
                                None) if captured else None
            if summaries:
                for name, r in summary_representations(summaries,
                                                       captured[-1].modalities,
                                                       num_clips).items():
                    reps[name].append(r)
    finally:
        if handle is not None:
            handle.remove()
    return {
        name: torch.cat(parts)
        for name, parts in reps.items()
    }, torch.cat(labels).long()


def targets_of(ann_file: str, labels: Tensor) -> Dict[str, List]:
    """``{'label': [...], <factor>: [...]}`` per sample; factors read from the
    annotation's ``data_list`` by index."""
    with open(ann_file) as f:
        entries = json.load(f)['data_list']
    if len(entries) != len(labels):
        raise ValueError(
            f'{ann_file} lists {len(entries)} clips but the dataset gave '
            f'{len(labels)}')
    for i, (entry, label) in enumerate(zip(entries, labels.tolist())):
        if entry.get('label') != label:
            raise ValueError(
                f'{ann_file}: data_list[{i}] has label {entry.get("label")}, '
                f'the dataset gave {label}')
    targets = {'label': labels.tolist()}
    if entries and all(isinstance(e.get('factors'), dict) for e in entries):
        for name in entries[0]['factors']:
            targets[name] = [e['factors'].get(name) for e in entries]
    return targets


def encode(fit: List, evaluate: List) -> Tuple[Tensor, Tensor]:
    """Arbitrary target values -> class indices shared by both splits."""
    index = {
        v: i
        for i, v in enumerate(sorted(set(fit) | set(evaluate), key=repr))
    }
    return torch.tensor([index[v] for v in fit
                         ]), torch.tensor([index[v] for v in evaluate])


def run_probes(fit: Dict[str, Tensor],
               fit_targets: Dict[str, List],
               evaluate: Dict[str, Tensor],
               eval_targets: Dict[str, List],
               seed: int = 0) -> dict:
    """The probes' results::

        {'chance': {target: rate},
         'probes': {rep: {'dim': D, 'targets': {target: ProbeResult fields}}}}
    """
    names = [t for t in fit_targets if t in eval_targets]
    encoded = {t: encode(fit_targets[t], eval_targets[t]) for t in names}
    chance = {
        t: float(torch.bincount(encoded[t][1]).max()) / len(encoded[t][1])
        for t in names
    }
    probes = {}
    for rep in fit:
        results = {}
        for t in names:
            r = linear_probe(
                fit[rep],
                encoded[t][0],
                evaluate[rep],
                encoded[t][1],
                seed=seed)
            results[t] = dict(
                accuracy=r.accuracy,
                **{'lambda': r.lam},
                val_accuracy=r.val_accuracy)
        probes[rep] = dict(dim=int(fit[rep].shape[1]), targets=results)
    return dict(targets=names, chance=chance, probes=probes)


def format_table(results: dict) -> str:
    names = results['targets']
    width = max(len(r) for r in [*results['probes'], 'representation'])
    lines = [
        f'{"representation":<{width}}  {"dim":>5}  ' +
        '  '.join(f'{t:>7}' for t in names)
    ]
    for rep, row in results['probes'].items():
        lines.append(f'{rep:<{width}}  {row["dim"]:>5}  ' +
                     '  '.join(f'{row["targets"][t]["accuracy"]:>7.3f}'
                               for t in names))
    chance = '  '.join(f'{results["chance"][t]:>7.3f}' for t in names)
    lines.append(f'{"(majority class)":<{width}}  {"":>5}  {chance}')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    model = build_model(cfg, None if args.random_init else args.checkpoint,
                        args.seed)
    splits = {}
    for split in ('train', args.split):
        dataset = build_dataset(cfg, split, args.data)
        reps, labels = collect(model, dataset, args.batch_size)
        splits[split] = reps, targets_of(dataset.ann_file, labels)
    (fit, fit_targets), (evaluate,
                         eval_targets) = splits['train'], splits[args.split]
    results = run_probes(
        fit, fit_targets, evaluate, eval_targets, seed=args.seed)
    results = dict(
        config=args.config,
        checkpoint=None if args.random_init else args.checkpoint,
        fit_split='train',
        split=args.split,
        num_fit=len(fit_targets['label']),
        num_eval=len(eval_targets['label']),
        **results)
    with open(args.out, 'w') as f:
        json.dump(results, f, indent=1)
    print(format_table(results))
    print(f'wrote {args.out}')
    return results


if __name__ == '__main__':
    main()
