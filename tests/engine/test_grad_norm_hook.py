"""GradNormHook: its numbers equal a direct autograd computation, and training
state is left untouched."""
import json
import random
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from tool_scripts import load_script
from torch import nn

from clcr_plugin.engine.hooks.grad_norm_hook import GradNormHook

ROOT = Path(__file__).resolve().parents[2]
CONFIG = (
    ROOT / 'configs' / 'clcr' /
    'clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py')


class TinyRecognizer(BaseModel):
    """Two BN backbones, a dropout neck and a head; a task loss and two
    regularisers."""

    def __init__(self) -> None:
        super().__init__()
        self.backbones = nn.ModuleDict(
            dict(
                a=nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU()),
                b=nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8),
                                nn.ReLU())))
        self.neck = nn.Sequential(nn.Dropout(0.5), nn.Linear(16, 8))
        self.head = nn.Linear(8, 3)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        fa, fb = self.backbones['a'](inputs['a']), self.backbones['b'](
            inputs['b'])
        z = self.neck(torch.cat([fa, fb], 1))
        loss_cls = nn.functional.cross_entropy(self.head(z), data_samples)
        # loss_dec is a list of tensors (as mmengine's parse_losses accepts);
        # loss_zero has no gradient
        return dict(
            loss_cls=loss_cls,
            loss_corr=0.3 * (fa * fb).mean()**2,
            loss_dec=[0.1 * z.pow(2).mean(), 0.2 * fa.abs().mean()],
            loss_zero=torch.zeros(()),
            top1_acc=torch.tensor(0.5))


def batch():
    g = torch.Generator().manual_seed(0)
    return dict(
        inputs=dict(
            a=torch.randn(10, 6, generator=g),
            b=torch.randn(10, 4, generator=g)),
        data_samples=torch.randint(0, 3, (10, ), generator=g))


def direct(model, data):
    """Per-term gradients of the loss forward, by hand."""
    losses = model(**data, mode='loss')
    terms = dict(
        loss_cls=losses['loss_cls'],
        loss_corr=losses['loss_corr'],
        loss_dec=sum(losses['loss_dec']))
    groups = dict(
        a=list(model.backbones['a'].parameters()),
        b=list(model.backbones['b'].parameters()),
        neck=list(model.neck.parameters()))
    grads = {
        (k, g):
        torch.autograd.grad(v, ps, retain_graph=True, allow_unused=True)
        for k, v in terms.items()
        for g, ps in groups.items()
    }
    return {
        key: [
            torch.zeros_like(p) if d is None else d
            for p, d in zip(groups[key[1]], gs)
        ]
        for key, gs in grads.items()
    }


def flat(tensors):
    return torch.cat([t.flatten() for t in tensors]).double()


def runner(model, tmp_path, iteration):
    return SimpleNamespace(
        model=model, iter=iteration, epoch=0, work_dir=str(tmp_path))


def test_logged_norms_and_cosines_equal_a_direct_autograd_computation(
        tmp_path):
    torch.manual_seed(0)
    model = TinyRecognizer().train()
    hook = GradNormHook(interval=5, include_neck=True)
    rng = torch.get_rng_state()
    hook.after_train_iter(runner(model, tmp_path, 4), 4, batch())
    torch.set_rng_state(
        rng
        # the same dropout mask as the hook saw (the hook restores the state
        # itself, too)
    )
    grads = direct(model, model.data_preprocessor(batch(), True))
    lines = (tmp_path / 'grad_norms.jsonl').read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record['iter'] == 5 and record['epoch'] == 0
    for (term, group), g in grads.items():
        assert record[f'gradnorm_{term}_{group}'] == pytest.approx(
            float(flat(g).norm()), rel=1e-5), (term, group)
    assert record['gradnorm_loss_zero_a'] == 0.0 and 'top1_acc' not in record
    for group in ('a', 'b', 'neck'):
        task = flat(grads['loss_cls', group])
        reg = flat(grads['loss_corr', group]) + flat(grads['loss_dec', group])
        assert record[f'gradnorm_reg_{group}'] == pytest.approx(
            float(reg.norm()), rel=1e-5)
        cos = float(task @ reg / (task.norm() * reg.norm()))
        assert record[f'gradcos_task_reg_{group}'] == pytest.approx(
            cos, abs=1e-6)
    hub = MessageHub.get_current_instance()
    assert hub.get_scalar(
        'train/gradnorm_loss_cls_a').current() == record['gradnorm_loss_cls_a']
    assert hub.get_scalar(
        'train/gradcos_task_reg_b').current() == record['gradcos_task_reg_b']


def test_grads_buffers_rng_modes_and_hub_are_unchanged_after_the_hook(
        tmp_path):
    torch.manual_seed(1)
    model = TinyRecognizer().train()
    model.backbones['b'][1].eval()  # a frozen BN must stay frozen
    model(
        # the optimizer's gradients of this iteration
        **batch(),
        mode='loss')['loss_cls'].backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    buffers = {n: b.clone() for n, b in model.named_buffers()}
    modes = {n: m.training for n, m in model.named_modules()}
    hub = MessageHub.get_current_instance()
    hub.update_scalar('train/clcr_rate_l1', 0.7)
    before = hub.get_scalar('train/clcr_rate_l1').data[0].copy()
    states = torch.get_rng_state(), np.random.get_state()[1].copy(
    ), random.getstate()
    GradNormHook(
        interval=1).after_train_iter(runner(model, tmp_path, 0), 0, batch())
    for n, p in model.named_parameters():
        torch.testing.assert_close(p.grad, grads[n], rtol=0, atol=0, msg=n)
    for n, b in model.named_buffers():
        torch.testing.assert_close(b, buffers[n], rtol=0, atol=0, msg=n)
    assert {n: m.training for n, m in model.named_modules()} == modes
    assert torch.equal(torch.get_rng_state(), states[0])
    assert (np.random.get_state()[1]
            == states[1]).all() and random.getstate() == states[2]
    np.testing.assert_array_equal(
        hub.get_scalar('train/clcr_rate_l1').data[0], before)
    assert (tmp_path / 'grad_norms.jsonl').is_file()


def test_measures_only_every_interval_and_after_the_first_iteration(tmp_path):
    model = TinyRecognizer().train()
    hook = GradNormHook(interval=3, out_file='g.jsonl')
    for it in range(7):
        hook.after_train_iter(runner(model, tmp_path, it), it, batch())
    assert [
        json.loads(x)['iter']
        for x in (tmp_path / 'g.jsonl').read_text().splitlines()
    ] == [1, 3, 6]
    quiet = GradNormHook(interval=3, log_first=False, out_file='q.jsonl')
    quiet.after_train_iter(runner(model, tmp_path, 0), 0, batch())
    assert not (tmp_path / 'q.jsonl').exists()


def test_single_backbone_models_use_model_backbone(tmp_path):

    class Single(TinyRecognizer):

        def __init__(self):
            super().__init__()
            self.backbone = self.backbones['a']

    model = Single()
    del model.backbones
    groups = GradNormHook().parameter_groups(model)
    assert list(groups) == ['backbone'] and len(groups['backbone']) == 4


def test_clear_errors_for_bad_settings_and_models(tmp_path):
    with pytest.raises(ValueError, match='interval must be >= 1, got 0'):
        GradNormHook(interval=0)
    with pytest.raises(
            ValueError,
            match="task_losses must be non-empty loss keys starting with "
            "'loss'"):
        GradNormHook(task_losses=('cls', ))
    with pytest.raises(
            KeyError,
            match=r"task_losses \['loss_task'\] are not among the loss terms "
            r"\['loss_cls'"):
        GradNormHook(
            interval=1, task_losses=('loss_task', )).after_train_iter(
                runner(TinyRecognizer(), tmp_path, 0), 0, batch())
    with pytest.raises(ValueError, match='Linear has neither `backbones`'):
        GradNormHook().parameter_groups(nn.Linear(2, 2))
    with pytest.raises(
            ValueError, match='include_neck=True, but ModuleDict has no neck'):
        GradNormHook(include_neck=True).parameter_groups(
            nn.ModuleDict(dict(backbone=nn.Linear(2, 2))))


@pytest.mark.slow
def test_hook_in_a_real_training_run_logs_every_clcr_term_per_backbone(
        tiny_av_set, tmp_path):
    cfg = tmp_path / 'with_hook.py'
    cfg.write_text(
        f"_base_ = ['{CONFIG}']\n"
        "custom_imports = dict(imports=['clcr_plugin', 'clcr_plugin.engine'], "
        "allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='GradNormHook', interval=2, "
        "include_neck=True)]\n")
    work = tmp_path / 'work'
    options = [
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=5',
        'randomness.seed=0', 'default_hooks.logger.interval=1'
    ]
    for split in ('train', 'val', 'test'):
        options += [
            f'{split}_dataloader.dataset.ann_file={tiny_av_set}/{split}.json',
            f'{split}_dataloader.dataset.data_prefix.video={tiny_av_set}',
            f'{split}_dataloader.batch_size=8',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False'
        ]
    train = load_script('tools/train.py')
    train.main([str(cfg), '--work-dir', str(work), '--cfg-options', *options])
    records = [
        json.loads(x)
        for x in (work / 'grad_norms.jsonl').read_text().splitlines()
    ]
    assert [r['iter']
            for r in records] == [1, 2, 4]  # 32 clips, batch 8: 4 iterations
    for term in ('loss_cls', 'loss_intra', 'loss_pr', 'loss_sp', 'loss_mix'):
        for group in ('rgb', 'audio', 'neck'):
            assert records[0][f'gradnorm_{term}_{group}'] >= 0.0
    assert records[0]['gradnorm_loss_cls_rgb'] > 0 and -1 <= records[0][
        'gradcos_task_reg_audio'] <= 1
    logged = [
        json.loads(x) for x in sorted(work.glob('*/vis_data/scalars.json'))
        [-1].read_text().splitlines()
    ]
    assert any('gradnorm_loss_intra_rgb' in r and 'gradcos_task_reg_rgb' in r
               for r in logged)
