"""Every config in configs/ builds its model and runs one loss and one predict
step on real tiny data."""
import ast
from pathlib import Path

import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

import clcr_plugin  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted(
    p for p in (ROOT / 'configs').rglob('*.py') if '_base_' not in p.parts)
# Configs on the synthetic set step here on its tiny replica; every other
# data set's configs step in that data set's own test (on its miniature
# official layout), which names the config file.
SYNTHETIC = [p for p in CONFIGS if 'synthetic-av' in p.stem]


def point_at(cfg: Config, data_root: Path, split: str) -> dict:
    loader = cfg[f'{split}_dataloader']
    ds = dict(loader.dataset)
    ds['ann_file'] = str(data_root / Path(ds['ann_file']).name)
    ds['data_prefix'] = dict(video=str(data_root))
    return ds


def test_every_config_builds_and_steps_in_some_test():
    assert len(SYNTHETIC) >= 5
    test_sources = '\n'.join(p.read_text()
                             for p in (ROOT / 'tests').rglob('test_*.py'))
    uncovered = [
        str(p.relative_to(ROOT)) for p in CONFIGS
        if p not in SYNTHETIC and p.name not in test_sources
    ]
    assert not uncovered, (
        'these configs are stepped by no test (name the file in the test '
        f'of its data set): {uncovered}')


@pytest.mark.parametrize('path', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_inherits_only_base_files_and_leaves_inferable_shapes_out(path):
    """Methods and baselines are siblings on a neutral base (an ablation
    inherits
    the method it ablates); in_channels follow from the backbones."""
    assignments = [
        node for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.Assign)
    ]
    bases = next(
        ast.literal_eval(a.value) for a in assignments
        if a.targets[0].id == '_base_')
    if path.parent.name == 'ablations':
        method, rest = path.name.split('_', 1)
        assert bases == [f'../{method.split("-")[0]}_{rest}'], bases
    else:
        assert bases and all('_base_/' in b for b in bases), bases
    cfg = Config.fromfile(str(path))
    assert cfg.model.cls_head.get('in_channels') is None
    neck = cfg.model.neck
    assert 'in_channels' not in neck
    assert all('in_channels' not in spec
               for spec in neck.get('modalities', {}).values())


@pytest.mark.parametrize('path', SYNTHETIC, ids=[p.stem for p in SYNTHETIC])
def test_config_builds_and_steps(path, tiny_av_set):
    cfg = Config.fromfile(str(path))
    assert cfg.custom_imports['imports'] == ['clcr_plugin']
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(cfg.model)
        train_set = DATASETS.build(point_at(cfg, tiny_av_set, 'train'))
        test_set = DATASETS.build(point_at(cfg, tiny_av_set, 'test'))
    model.init_weights()
    model.train()
    data = model.data_preprocessor(
        pseudo_collate([train_set[0], train_set[5]]), training=True)
    losses = model(**data, mode='loss')
    assert 'loss_cls' in losses and torch.isfinite(losses['loss_cls'])
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    # the task gradient reaches every backbone
    for m, taps in model.backbones.items():
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in taps.parameters()), m
    model.eval()
    data = model.data_preprocessor(
        pseudo_collate([test_set[0], test_set[1]]), training=False)
    with torch.no_grad():
        preds = model(**data, mode='predict')
    assert len(preds) == 2
    torch.testing.assert_close(preds[0].pred_score.sum(), torch.tensor(1.0))
