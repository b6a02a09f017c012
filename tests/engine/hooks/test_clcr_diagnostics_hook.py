"""CLCRDiagnosticsHook in a real mmengine Runner with a toy model whose neck
reports known diagnostics."""
import pytest
import torch
from mmaction.registry import HOOKS
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.model import BaseModel
from torch import nn

import clcr_plugin  # noqa: F401  (registers the hook)
from clcr_plugin.engine import CLCRDiagnosticsHook


class ReportingNeck(nn.Module):
    """Reports the mean of the last batch it saw, and a constant."""

    def __init__(self) -> None:
        super().__init__()
        self.latest = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.latest = {
            'clcr_mean': x.mean().detach(),
            'clcr_one': torch.ones(())
        }
        return x

    def diagnostic_scalars(self):
        return self.latest


class ToyModel(BaseModel):

    def __init__(self) -> None:
        super().__init__()
        self.neck = ReportingNeck()
        self.weight = nn.Parameter(torch.ones(1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.neck(inputs) * self.weight
        if mode == 'loss':
            return {'loss': out.sum()}
        return [dict(score=o) for o in out]


class NullMetric(BaseMetric):

    def process(self, data_batch, data_samples) -> None:
        self.results.append(len(data_samples))

    def compute_metrics(self, results) -> dict:
        return {'count': float(sum(results))}


def toy_runner(tmp_path, train_items=8, eval_items=5, interval=None):
    from mmengine.runner import Runner

    def items(n):
        return [
            dict(inputs=torch.tensor([float(i)]), data_samples=i)
            for i in range(n)
        ]

    def loader(n):
        return dict(
            dataset=items(n),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            collate_fn=dict(type='default_collate'))

    return Runner(
        model=ToyModel(),
        work_dir=str(tmp_path),
        train_dataloader=loader(train_items),
        val_dataloader=loader(eval_items),
        test_dataloader=loader(eval_items),
        train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1),
        val_cfg=dict(),
        test_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
        val_evaluator=Evaluator(NullMetric()),
        test_evaluator=Evaluator(NullMetric()),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=3), checkpoint=None),
        custom_hooks=[CLCRDiagnosticsHook(interval)],
        default_scope='mmaction',
        experiment_name=f'toy_{tmp_path.name}')  # one MessageHub per test


def test_registered_in_mmaction_hooks():
    assert HOOKS.get('CLCRDiagnosticsHook') is CLCRDiagnosticsHook


def test_training_writes_the_interval_mean_at_the_logger_interval(tmp_path):
    runner = toy_runner(tmp_path)
    runner.train()
    # batches [0, 1], [2, 3], [4, 5], [6, 7]: means 0.5, 2.5, 4.5, 6.5; written
    # after batch 3 and at epoch end
    history, counts = runner.message_hub.get_scalar('train/clcr_mean').data
    assert history.tolist() == pytest.approx([2.5, 6.5
                                              ]) and counts.tolist() == [1, 1]
    assert runner.message_hub.get_scalar(
        'train/clcr_one').current() == pytest.approx(1.0)


def test_an_explicit_interval_overrides_the_logger(tmp_path):
    runner = toy_runner(tmp_path, interval=2)
    runner.train()
    history, _ = runner.message_hub.get_scalar('train/clcr_mean').data
    assert history.tolist() == pytest.approx([1.5, 5.5])


def test_val_and_test_return_sample_weighted_means_over_the_loop(tmp_path):
    runner = toy_runner(
        tmp_path, eval_items=5)  # batches [0, 1], [2, 3], [4]: sample mean 2.0
    metrics = runner.test()
    assert metrics['count'] == 5 and metrics['clcr_mean'] == pytest.approx(2.0)
    assert runner.message_hub.get_scalar(
        'test/clcr_mean').current() == pytest.approx(2.0)
    metrics = runner.val()
    assert metrics['clcr_mean'] == pytest.approx(
        2.0) and metrics['clcr_one'] == pytest.approx(1.0)
    assert runner.message_hub.get_scalar(
        'val/clcr_mean').current() == pytest.approx(2.0)


def test_interval_must_be_positive():
    with pytest.raises(ValueError, match='interval must be >= 1, got 0'):
        CLCRDiagnosticsHook(0)
