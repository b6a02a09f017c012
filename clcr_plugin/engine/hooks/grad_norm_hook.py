"""``GradNormHook``: per-backbone gradient norms of every loss term, logged
during training."""
import copy
import json
import os.path as osp
import random
from contextlib import contextmanager
from typing import Dict, Iterator, List, Mapping, Optional, Sequence

import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.model import is_model_wrapper
from torch import Tensor, nn


@HOOKS.register_module()
class GradNormHook(Hook):
    """Log how strongly each loss term pulls on each backbone.

    Every ``interval`` training iterations (and after the first one, close to
    initialisation, when ``log_first``), the hook re-runs the model's data
    preprocessor and ``mode='loss'`` forward on the iteration's batch and, for
    every loss term (each key starting with ``'loss'``: ``loss_cls``,
    ``loss_intra``, ``loss_pr``, ...), computes with
    :func:`torch.autograd.grad`
    the L2 norm of its gradient w.r.t. the parameters of each backbone
    (``model.backbones[m]`` of a multi-modal recognizer, else
    ``model.backbone``) and, with ``include_neck``, of ``model.neck``. It also
    logs the norm of the summed regulariser gradient and the cosine between
    the task gradient (the sum of ``task_losses``) and the regulariser
    gradient (the sum of every other loss term) per parameter group.

    Written to the MessageHub (so ``LoggerHook`` prints them; between two
    measurements it repeats the last one) as
    ``train/gradnorm_<loss key>_<group>``,
    ``train/gradnorm_reg_<group>`` and ``train/gradcos_task_reg_<group>``, and
    appended as one JSON line per measurement (keys without ``train/``, plus
    ``iter``, ``epoch`` and the loss values) to ``<work_dir>/<out_file>``.

    Training is not disturbed: parameter ``.grad`` is never written, the
    buffers of the model (BN running statistics) are restored, so are the
    torch (CPU and CUDA), NumPy and Python RNG states, every module's
    ``training`` flag and the MessageHub scalars that the extra forward
    itself writes (e.g. a neck's diagnostics). The forward runs in float32,
    outside any AMP context. Priority 55 runs it after the NORMAL hooks and
    before ``LoggerHook``.

    Example: ``custom_hooks = [dict(type='GradNormHook', interval=50)]``.

    Args:
        interval: measure every ``interval`` training iterations. Default 50.
        task_losses: loss keys that make up the task loss; every other
            ``loss*`` key is a regulariser. Default ``('loss_cls',)``.
        include_neck: also measure the neck's parameters (group ``neck``).
            Default False.
        log_first: also measure after the first iteration. Default True.
        out_file: JSON-lines file name inside the work dir. Default
            ``'grad_norms.jsonl'``.
    """

    priority = 55

    def __init__(self,
                 interval: int = 50,
                 task_losses: Sequence[str] = ('loss_cls', ),
                 include_neck: bool = False,
                 log_first: bool = True,
                 out_file: str = 'grad_norms.jsonl') -> None:
        if interval < 1:
            raise ValueError(
                f'GradNormHook: interval must be >= 1, got {interval}')
        if not task_losses or not all(
                k.startswith('loss') for k in task_losses):
            raise ValueError(
                "GradNormHook: task_losses must be non-empty loss keys "
                "starting with 'loss', "
                f'got {list(task_losses)}')
        self.interval = interval
        self.task_losses = tuple(task_losses)
        self.include_neck = include_neck
        self.log_first = log_first
        self.out_file = out_file

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if data_batch is None:
            return
        if not (self.every_n_train_iters(runner, self.interval) or
                (self.log_first and runner.iter == 0)):
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        record = self.measure(model, data_batch)
        hub = MessageHub.get_current_instance()
        for key, value in record.items():
            if key.startswith('grad'):
                hub.update_scalar(f'train/{key}', value)
        if is_main_process():
            line = dict(iter=runner.iter + 1, epoch=runner.epoch, **record)
            with open(osp.join(runner.work_dir, self.out_file), 'a') as f:
                f.write(json.dumps(line) + '\n')

    def measure(self, model: nn.Module, data_batch) -> Dict[str, float]:
        """Loss values and gradient statistics of one batch, with the model's
        state left untouched.

        Returns ``{'<loss key>': value, 'gradnorm_<loss key>_<group>': ...,
        'gradnorm_reg_<group>': ..., 'gradcos_task_reg_<group>': ...}``; a
        cosine is left out where the task or regulariser gradient is zero.
        """
        groups = self.parameter_groups(model)
        with preserved_state(model):
            data = model.data_preprocessor(data_batch, True)
            losses = model(
                **data, mode='loss') if isinstance(data, dict) else model(
                    *data, mode='loss')
            terms = {
                k: _as_scalar(v)
                for k, v in losses.items() if k.startswith('loss')
            }
            missing = [k for k in self.task_losses if k not in terms]
            if missing:
                raise KeyError(
                    f'GradNormHook: task_losses {missing} are not among the '
                    f'loss terms {sorted(terms)}')
            record: Dict[str, float] = {
                k: float(v.detach())
                for k, v in terms.items()
            }
            names = list(groups)
            flat = [p for name in names for p in groups[name]]
            task: Dict[str, List[Tensor]] = {}
            reg: Dict[str, List[Tensor]] = {}
            for key, value in terms.items():
                grads = _grads(value, flat)
                start = 0
                for name in names:
                    part = grads[start:start + len(groups[name])]
                    start += len(groups[name])
                    record[f'gradnorm_{key}_{name}'] = _norm(part)
                    total = task if key in self.task_losses else reg
                    total[name] = part if name not in total else [
                        a + b for a, b in zip(total[name], part)
                    ]
        for name in reg:
            record[f'gradnorm_reg_{name}'] = _norm(reg[name])
            t_norm, r_norm = _norm(task[name]), record[f'gradnorm_reg_{name}']
            if t_norm > 0 and r_norm > 0:
                dot = sum(
                    float((a * b).sum())
                    for a, b in zip(task[name], reg[name]))
                record[f'gradcos_task_reg_{name}'] = dot / (t_norm * r_norm)
        return record

    def parameter_groups(self,
                         model: nn.Module) -> Dict[str, List[nn.Parameter]]:
        """``{group: trainable parameters}``: one group per backbone, plus
        ``neck`` with ``include_neck``."""
        if isinstance(
                getattr(model, 'backbones', None), (nn.ModuleDict, Mapping)):
            modules = dict(model.backbones.items())
        elif isinstance(getattr(model, 'backbone', None), nn.Module):
            modules = {'backbone': model.backbone}
        else:
            raise ValueError(
                f'GradNormHook: {type(model).__name__} has neither '
                '`backbones` (a ModuleDict per '
                'modality) nor `backbone`')
        if self.include_neck:
            if not isinstance(getattr(model, 'neck', None), nn.Module):
                raise ValueError('GradNormHook: include_neck=True, but '
                                 f'{type(model).__name__} has no neck')
            modules['neck'] = model.neck
        return {
            name: [p for p in m.parameters() if p.requires_grad]
            for name, m in modules.items()
        }


@contextmanager
def preserved_state(model: nn.Module) -> Iterator[None]:
    """Restore the model's buffers and ``training`` flags, the RNG states and
    the MessageHub scalars on exit."""
    buffers = {
        name: buf.detach().clone()
        for name, buf in model.named_buffers()
    }
    modes = {name: m.training for name, m in model.named_modules()}
    rng = (torch.get_rng_state(), torch.cuda.get_rng_state_all()
           if torch.cuda.is_initialized() else None, np.random.get_state(),
           random.getstate())
    hub = MessageHub.get_current_instance()
    scalars = copy.deepcopy(hub.log_scalars)
    try:
        yield
    finally:
        with torch.no_grad():
            for name, buf in model.named_buffers():
                if name in buffers:
                    buf.copy_(buffers[name])
        for name, m in model.named_modules():
            m.training = modes.get(name, m.training)
        torch.set_rng_state(rng[0])
        if rng[1] is not None:
            torch.cuda.set_rng_state_all(rng[1])
        np.random.set_state(rng[2])
        random.setstate(rng[3])
        hub.log_scalars.clear()
        hub.log_scalars.update(scalars)


def _as_scalar(value) -> Tensor:
    """A loss entry (a tensor or a list of tensors, as mmengine's
    ``parse_losses`` accepts) as one scalar."""
    if isinstance(value, Tensor):
        return value.mean()
    return sum(v.mean() for v in value)


def _grads(loss: Tensor, params: List[nn.Parameter]) -> List[Tensor]:
    """d loss / d params, zeros where a parameter is unused or the loss is
    constant."""
    if not loss.requires_grad or not params:
        return [torch.zeros_like(p) for p in params]
    grads = torch.autograd.grad(
        loss, params, retain_graph=True, allow_unused=True)
    return [
        torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)
    ]


def _norm(tensors: List[Tensor]) -> float:
    return float(
        torch.sqrt(sum((t.detach().double()**2).sum()
                       for t in tensors))) if tensors else 0.0
