"""Model-zoo metadata as OpenMMLab keeps it: ``configs/<folder>/metafile.yml``
per config folder and the root ``model-index.yml`` importing them.

    python tools/misc/model_index.py            # list what is missing or stale
    python tools/misc/model_index.py --add-missing   # append missing entries

An entry is derived from its config (:func:`entry_for`): the data set and the
modalities (the model's backbones) from the file and the config, the task
from :data:`DATASET_TASKS`, the metric names from the test evaluator, and
``Results`` metrics left empty (null) until measured; fill in the numbers
(and ``Weights``) by hand when a checkpoint is released. ``--add-missing``
never rewrites an existing entry.
"""
import argparse
import os.path as osp
import sys
from pathlib import Path
from typing import Dict, List

import yaml
from mmengine.config import Config

ROOT = Path(__file__).resolve().parents[2]
PAPER = dict(
    Title='CLCR: Cross-Level Semantic Collaborative Representation for '
    'Multimodal Learning',
    URL='https://arxiv.org/abs/2602.19605')
#: The task each data set's configs solve (the ``Task`` of their results).
DATASET_TASKS = {
    'synthetic-av': 'Audio-Visual Classification',
    'cremad': 'Emotion Recognition',
    'kinetics-sounds': 'Action Recognition',
    'ave': 'Audio-Visual Event Classification',
    'ave-loc': 'Audio-Visual Event Localization',
    'ucf101-split1': 'Action Recognition',
    'ucf101-split2': 'Action Recognition',
    'ucf101-split3': 'Action Recognition',
    'mosi': 'Multimodal Sentiment Analysis',
    'mosei': 'Multimodal Sentiment Analysis',
}
#: Collection of each config folder (relative to configs/).
FOLDER_COLLECTIONS = {
    'clcr': 'CLCR',
    'clcr/ablations': 'CLCR',
    'baselines': 'Fusion baselines',
}


def all_configs() -> List[Path]:
    """Every config file (``_base_`` excluded), relative to the repo root."""
    return sorted(
        p.relative_to(ROOT) for p in (ROOT / 'configs').rglob('*.py')
        if '_base_' not in p.parts)


def metric_names(evaluator) -> List[str]:
    """The keys the test evaluator reports (``acc/top1``, ``macro_f1``, ...);
    an unknown metric type is listed by its type name."""
    names = []
    for metric in evaluator if isinstance(evaluator, list) else [evaluator]:
        kind = metric['type']
        if kind == 'AccMetric':
            metrics = metric.get('metric_list',
                                 ('top_k_accuracy', 'mean_class_accuracy'))
            metrics = [metrics] if isinstance(metrics, str) else metrics
            if 'top_k_accuracy' in metrics:
                topk = metric.get('metric_options',
                                  {}).get('top_k_accuracy',
                                          {}).get('topk', (1, 5))
                names += [f'acc/top{k}' for k in topk]
            if 'mean_class_accuracy' in metrics:
                names.append('acc/mean1')
        elif kind == 'MacroF1Metric':
            names.append('macro_f1')
        elif kind == 'SentimentMetric':
            names += [
                'mae', 'corr', 'acc2_has0', 'f1_has0', 'acc2_non0', 'f1_non0',
                'acc5', 'acc7'
            ]
        elif kind == 'SegmentAccuracy':
            names += ['segment_acc', 'segment_acc_event']
        else:
            names.append(kind)
    return names


def entry_for(path: Path) -> Dict:
    """The metafile entry of a config (``path`` relative to the repo root).

    Raises:
        KeyError: its data set is not in :data:`DATASET_TASKS`.
    """
    cfg = Config.fromfile(str(ROOT / path))
    modalities = list(cfg.model.backbones)
    tail = path.stem.rsplit('_', 1)[-1]  # e.g. synthetic-av-rgb-audio
    names = set(modalities) | set(cfg.model.get('ignore_inputs', ()))
    dataset = tail
    while any(dataset.endswith(f'-{m}') for m in names):
        dataset = dataset.rsplit('-', 1)[0]
    if dataset not in DATASET_TASKS:
        raise KeyError(
            f'{path}: data set {dataset!r} (from the file name) is not in '
            'DATASET_TASKS of tools/misc/model_index.py; add it with its task')
    train = cfg.get('train_cfg', {})
    return {
        'Name':
        path.stem,
        'In Collection':
        FOLDER_COLLECTIONS.get(
            path.parent.relative_to('configs').as_posix(), 'CLCR'),
        'Config':
        path.as_posix(),
        'Metadata': {
            'Architecture': {
                m: b['type'] + (f"-{b['depth']}" if 'depth' in b else '')
                for m, b in cfg.model.backbones.items()
            },
            'Neck': cfg.model.neck['type'],
            'Modalities': modalities,
            'Training Data': dataset,
            'Epochs': train.get('max_epochs'),
            'Batch Size': cfg.train_dataloader.batch_size,
        },
        'Results': [{
            'Task': DATASET_TASKS[dataset],
            'Dataset': dataset,
            'Metrics': {
                name: None
                for name in metric_names(cfg.test_evaluator)
            },
        }],
        'Weights':
        None,
    }


def metafile_of(config: Path) -> Path:
    return config.parent / 'metafile.yml'


def load_yaml(path: Path) -> Dict:
    with open(ROOT / path) as f:
        return yaml.safe_load(f) or {}


def problems() -> List[str]:
    """What is out of step between configs/, the metafiles and
    model-index.yml, each with what to do."""
    found = []
    index_path = Path('model-index.yml')
    imports = load_yaml(index_path).get('Import', []) if osp.isfile(
        ROOT / index_path) else []
    listed: Dict[str, str] = {}
    for metafile in imports:
        if not osp.isfile(ROOT / metafile):
            found.append(f'model-index.yml imports {metafile}, which does not '
                         'exist: remove the line')
            continue
        for model in load_yaml(Path(metafile)).get('Models', []):
            listed[model['Config']] = metafile
            if not osp.isfile(ROOT / model['Config']):
                found.append(
                    f"{metafile}: entry {model['Name']!r} points to "
                    f"{model['Config']}, which does not exist: remove the "
                    'entry or fix its Config')
            elif Path(model['Config']).stem != model['Name']:
                found.append(f"{metafile}: entry {model['Name']!r} must be "
                             f"named {Path(model['Config']).stem!r}")
    for config in all_configs():
        if config.as_posix() in listed:
            continue
        metafile = metafile_of(config).as_posix()
        block = yaml.safe_dump([entry_for(config)],
                               sort_keys=False,
                               allow_unicode=True)
        where = (f'add to {metafile} under Models:' if metafile in imports else
                 f'create {metafile} (Collections + Models) and import '
                 'it in model-index.yml; its entry:')
        found.append(f'{config} is in no metafile; {where}\n{block}'
                     '(or run python tools/misc/model_index.py --add-missing)')
    return found


def add_missing() -> List[Path]:
    """Append the entries of unlisted configs; returns the metafiles
    touched."""
    index_path = ROOT / 'model-index.yml'
    index = yaml.safe_load(
        index_path.read_text()) if index_path.is_file() else {}
    imports = list(index.get('Import', []))
    listed = set()
    for metafile in imports:
        if osp.isfile(ROOT / metafile):
            listed |= {
                m['Config']
                for m in load_yaml(Path(metafile)).get('Models', [])
            }
    touched = []
    for config in all_configs():
        if config.as_posix() in listed:
            continue
        metafile = metafile_of(config)
        data = load_yaml(metafile) if osp.isfile(ROOT / metafile) else {}
        entry = entry_for(config)
        collection = entry['In Collection']
        folder = metafile.parent.relative_to('configs').as_posix()
        owner = min(
            (f for f, c in FOLDER_COLLECTIONS.items() if c == collection),
            default=folder)  # the folder whose metafile defines it
        if folder == owner and not any(
                c.get('Name') == collection
                for c in data.get('Collections', [])):
            data.setdefault('Collections', []).append(
                dict(
                    Name=collection,
                    README='README.md',
                    **(dict(Paper=PAPER) if collection == 'CLCR' else {})))
        data.setdefault('Models', []).append(entry)
        (ROOT / metafile).write_text(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        if metafile.as_posix() not in imports:
            imports.append(metafile.as_posix())
        listed.add(config.as_posix())
        touched.append(metafile)
    index_path.write_text(
        yaml.safe_dump(dict(Import=sorted(imports)), sort_keys=False))
    return touched


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--add-missing',
        action='store_true',
        help='append the entries of configs no metafile lists')
    args = parser.parse_args(argv)
    if args.add_missing:
        for metafile in add_missing():
            print(f'updated {metafile}')
    found = problems()
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == '__main__':
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
