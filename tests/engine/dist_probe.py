"""A probe hook for the 2-process test: each rank records its own losses and
diagnostics, the logged (rank-averaged) ones, and its final parameters.

Imported by the training processes through ``custom_imports``."""
import json
import os.path as osp

import torch
from mmaction.registry import HOOKS
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


@HOOKS.register_module()
class DistProbeHook(Hook):
    priority = 'LOW'  # after CLCRDiagnosticsHook wrote the averaged values

    def before_train(self, runner) -> None:
        self.records = []
        self._raw = {}
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model

        def keep_losses(module, args, kwargs, output) -> None:
            if kwargs.get('mode') == 'loss':
                self._raw = {k: float(v.mean()) for k, v in output.items()}

        model.register_forward_hook(keep_losses, with_kwargs=True)

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        raw_diag = {
            k: float(v)
            for k, v in model.neck.diagnostic_scalars().items()
        }
        hub = runner.message_hub
        self.records.append(
            dict(
                raw=self._raw,
                logged={
                    k: float(v)
                    for k, v in outputs.items()
                },
                raw_diag=raw_diag,
                logged_diag={
                    k: float(hub.get_scalar(f'train/{k}').current())
                    for k in raw_diag
                }))

    def after_train(self, runner) -> None:
        rank = get_rank()
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        with open(osp.join(runner.work_dir, f'probe{rank}.json'), 'w') as f:
            json.dump(self.records, f)
        torch.save({
            n: p.detach()
            for n, p in model.named_parameters()
        }, osp.join(runner.work_dir, f'params{rank}.pth'))
