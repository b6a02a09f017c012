"""EpochSeedHook, epoch_worker_init_fn, DataModelCheckHook and the atomic
checkpoint save, on stand-ins for the Runner."""
import os
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.runner import checkpoint as mm_checkpoint

import clcr_plugin  # noqa: F401
from clcr_plugin import compat
from clcr_plugin.datasets.transforms import PackMultiModalInputs
from clcr_plugin.engine import (DataModelCheckHook, EpochSeedHook,
                                epoch_worker_init_fn)


def draws() -> tuple:
    return (random.random(), float(np.random.rand()), float(torch.rand(())))


def test_epoch_seed_hook_makes_draws_depend_on_seed_and_epoch_only():
    hook = EpochSeedHook()
    runner = SimpleNamespace(seed=0, epoch=1)
    hook.before_train_epoch(runner)
    first = draws()
    draws()  # e.g. a validation pass in between
    hook.before_train_epoch(runner)
    assert draws() == first  # same epoch: same draws whatever came before
    runner.epoch = 2
    hook.before_train_epoch(runner)
    assert draws() != first
    hook.before_train_epoch(SimpleNamespace(seed=1, epoch=1))
    assert draws() != first


def test_worker_init_fn_follows_the_worker_torch_seed_and_rank(monkeypatch):
    torch.manual_seed(123)
    epoch_worker_init_fn(0)
    a = draws()[:2]
    torch.manual_seed(123)
    epoch_worker_init_fn(0)
    assert draws()[:2] == a
    monkeypatch.setenv('RANK', '1')
    torch.manual_seed(123)
    epoch_worker_init_fn(0)
    assert draws()[:2] != a


class FakeDataset:

    def __init__(self, classes=None, labels=(0, 1), packed=('rgb', 'audio')):
        self.metainfo = {} if classes is None else dict(classes=classes)
        self.labels = list(labels)
        self.ann_file = 'ann/train.json'
        self.pipeline = Compose([
            dict(type='Resize', scale=(8, 8)),
            PackMultiModalInputs(modalities={m: f'{m}_key'
                                             for m in packed})
        ])

    def __len__(self):
        return len(self.labels)

    def get_data_info(self, i):
        return dict(label=self.labels[i])


def fake_runner(dataset,
                num_classes=2,
                modalities=('audio', 'rgb'),
                ignored=()):
    model = SimpleNamespace(
        cls_head=SimpleNamespace(num_classes=num_classes),
        modalities=modalities,
        ignore_inputs=ignored)
    return SimpleNamespace(
        model=model,
        train_dataloader=SimpleNamespace(dataset=dataset),
        test_loop=SimpleNamespace(dataloader=SimpleNamespace(dataset=dataset)))


def test_data_model_check_passes_a_matching_set():
    DataModelCheckHook().before_train(fake_runner(FakeDataset(['a', 'b'])))


@pytest.mark.parametrize(
    'dataset, runner_kwargs, error, message',
    [(FakeDataset(['a', 'b', 'c']), {}, ValueError,
      r"model.cls_head.num_classes=2, but train_dataloader.dataset "
      r"\(ann/train.json\) has 3 classes \['a', 'b', 'c'\]; expected "
      r'num_classes=3'),
     (FakeDataset(labels=(0, 1, 5)), {}, ValueError,
      r'train_dataloader.dataset \(ann/train.json\) annotation index 2 has '
      r'label 5, but model.cls_head.num_classes=2; expected labels in '
      r'\[0, 2\)'),
     (FakeDataset(['a', 'b'], packed=('rgb', )), {}, KeyError,
      r"train_dataloader.dataset.pipeline\[1\] \(PackMultiModalInputs\)"
      r".modalities packs \['rgb'\], but the model has backbones "
      r"\['audio', 'rgb'\] and ignores \[\]; expected every backbone "
      r"modality and no other \(unknown: \[\], missing: \['audio'\]\)"),
     (FakeDataset(['a', 'b'], packed=('rgb', 'audio', 'flow')), {}, KeyError,
      r"unknown: \['flow'\], missing: \[\]")],
    ids=['classes', 'labels', 'missing-modality', 'unknown-modality'])
def test_data_model_check_names_key_value_and_expectation(
        dataset, runner_kwargs, error, message):
    with pytest.raises(error, match=message):
        DataModelCheckHook().before_train(
            fake_runner(dataset, **runner_kwargs))


def test_data_model_check_allows_a_background_class():
    dataset = FakeDataset(['a', 'b'])
    dataset.metainfo['background_index'] = 2
    for scored in (2, 3):  # clip labels, or segment labels with background
        DataModelCheckHook().before_train(
            fake_runner(dataset, num_classes=scored))
    with pytest.raises(
            ValueError,
            match=(r'expected num_classes=2 \(or 3 with the background class '
                   r'at background_index=2\)')):
        DataModelCheckHook().before_train(fake_runner(dataset, num_classes=4))


def test_data_model_check_accepts_ignored_inputs_before_test():
    dataset = FakeDataset(['a', 'b'], packed=('rgb', 'audio'))
    DataModelCheckHook().before_test(
        fake_runner(dataset, modalities=('audio', ), ignored=('rgb', )))


def test_checkpoint_save_is_atomic(tmp_path, monkeypatch):
    assert compat.APPLIED['atomic_checkpoint_save']
    assert mm_checkpoint.save_checkpoint.__clcr_patch__
    target = tmp_path / 'epoch_1.pth'
    mm_checkpoint.save_checkpoint({'a': torch.ones(2)}, str(target))
    good = target.read_bytes()
    from mmengine.fileio.backends.local_backend import LocalBackend

    def dies_half_way(self, obj: bytes, filepath) -> None:
        with open(filepath, 'wb') as f:  # mmengine's put, killed mid-write
            f.write(obj[:10])
        raise OSError('disk full')

    monkeypatch.setattr(LocalBackend, 'put', dies_half_way)
    with pytest.raises(OSError, match='disk full'):
        mm_checkpoint.save_checkpoint({'a': torch.zeros(2)}, str(target))
    assert target.read_bytes() == good  # the old checkpoint is untouched
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no temporary file left
    # mmengine's own save (what the patch wraps) leaves it half-written
    with pytest.raises(OSError, match='disk full'):
        mm_checkpoint.save_checkpoint.__wrapped__({'a': torch.zeros(2)},
                                                  str(target))
    assert len(target.read_bytes()) == 10
    target.write_bytes(good)
    monkeypatch.undo()
    assert torch.equal(torch.load(target)['a'], torch.ones(2))


def test_atomic_save_patch_is_idempotent():
    from mmengine.runner import runner
    before = runner.save_checkpoint
    compat.patch_atomic_checkpoint_save()
    assert runner.save_checkpoint is before
    assert mm_checkpoint.save_checkpoint is before


def test_train_tool_builds_the_runner_type_the_config_names(tmp_path):
    from mmengine.config import Config
    from mmengine.runner import FlexibleRunner, Runner
    from tiny_runs import CONFIGS, load_tool

    train = load_tool('train')
    cfg = train.merge_args(
        Config.fromfile(str(CONFIGS['concat'])),
        train.parse_args([str(CONFIGS['concat']), '--work-dir',
                          str(tmp_path)]))
    cfg.runner_type = 'FlexibleRunner'
    runner = train.build_runner(cfg)
    assert type(runner) is FlexibleRunner
    cfg.pop('runner_type')
    assert type(train.build_runner(cfg)) is Runner


class _NumpyDraws(torch.utils.data.Dataset):
    """Each item is a draw from numpy's global generator (a random
    transform in a worker)."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return float(np.random.rand())


def test_non_persistent_workers_draw_per_epoch_and_again_after_a_resume():
    loader = torch.utils.data.DataLoader(
        _NumpyDraws(),
        batch_size=2,
        num_workers=1,
        persistent_workers=False,
        worker_init_fn=epoch_worker_init_fn)
    hook = EpochSeedHook(seed=0)

    def epoch(e: int) -> list:
        hook.before_train_epoch(SimpleNamespace(seed=0, epoch=e))
        return [x.tolist() for x in loader]

    first, second = epoch(0), epoch(1)
    assert first != second  # a new stream each epoch
    draws()  # whatever ran in between (validation, a restart)
    assert epoch(1) == second  # resumed at epoch 1: the same draws
