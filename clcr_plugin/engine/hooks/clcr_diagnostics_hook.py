"""``CLCRDiagnosticsHook``: the neck's diagnostics in the training log, and
averaged over val/test."""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_reduce
from mmengine.hooks import Hook, LoggerHook
from mmengine.model import is_model_wrapper
from torch import Tensor


class _Meter:
    """Weighted sums of named 0-d tensors, kept on their device; each name
    has its own total weight."""

    def __init__(self) -> None:
        self.sums: Dict[str, Tensor] = {}
        self.weights: Dict[str, float] = {}

    def add(self, scalars: Dict[str, Tensor], weight: float) -> None:
        for key, value in scalars.items():
            self.sums[key] = self.sums[
                key] + value * weight if key in self.sums else value * weight
            self.weights[key] = self.weights.get(key, 0.0) + weight

    def means(self, reduce: bool = False) -> Dict[str, float]:
        """The weighted means (one host sync); ``reduce`` sums over distributed
        ranks first."""
        if not self.sums:
            return {}
        sums = torch.stack([v.float() for v in self.sums.values()])
        totals = torch.cat(
            [sums, sums.new_tensor(list(self.weights.values()))])
        if reduce:
            all_reduce(totals, op='sum')
        values = totals.tolist()
        n = len(self.sums)
        return {
            key: v / max(w, 1e-12)
            for key, v, w in zip(self.sums, values[:n], values[n:])
        }


def prediction_loss(outputs: Sequence) -> Optional[Tuple[Tensor, int]]:
    """Mean classification loss of predicted data samples, and their number.

    ``pred_score`` rows that are probabilities (``average_clips='prob'``,
    rows summing to 1) give ``-log p[gt]``, the cross-entropy of the
    view-averaged probability (with one view, exactly the training
    ``loss_cls``); other scores are taken as logits. Samples without a
    ``gt_label`` in ``[0, num_classes)`` are skipped; None if none is left.
    """
    scores, labels = [], []
    for sample in outputs:
        gt = sample.get('gt_label') if hasattr(sample, 'get') else None
        pred = sample.get('pred_score') if hasattr(sample, 'get') else None
        if gt is None or pred is None or gt.numel() != 1:
            continue
        if 0 <= int(gt) < pred.numel():
            scores.append(pred.float())
            labels.append(gt.reshape(()).long())
    if not scores:
        return None
    scores, labels = torch.stack(scores), torch.stack(labels).to(
        scores[0].device)
    sums = scores.sum(-1)
    is_prob = bool(((sums - 1).abs() < 1e-3).all() and (scores >= 0).all())
    log_p = scores.clamp_min(1e-12).log() if is_prob else scores.log_softmax(
        -1)
    return -log_p.gather(1, labels[:, None]).mean(), len(labels)


@HOOKS.register_module()
class CLCRDiagnosticsHook(Hook):
    """Log the fusion neck's diagnostics (participation rates, level and
    modality weights, private gates, unweighted regularisers).

    Reads ``model.neck.diagnostic_scalars()`` (named detached 0-d tensors of
    the latest forward; a neck without that method is skipped).

    * Training: accumulated on the device every iteration and written once
      per logging interval as their mean to the MessageHub
      (``train/clcr_...``),
      so ``LoggerHook`` prints them and visualiser backends record them; one
      host sync per interval. Distributed, they are averaged over ranks.
    * Validation / test: sample-weighted means over the whole loop (summed
      over ranks when distributed), written to the MessageHub as
      ``val/clcr_...`` / ``test/clcr_...`` and added to the loop's metrics,
      so ``runner.val()`` / ``runner.test()`` return them; beside them
      ``loss_cls``, the classification loss of the predictions (see
      :func:`prediction_loss`), so the task loss has a val/test curve too.
      The regularisers appear unweighted (``clcr_reg_*``) in every split;
      training also logs them weighted (``loss_intra`` ...).

    The visualiser backends the config names (``LocalVisBackend``,
    ``TensorboardVisBackend``, ...) record them through ``LoggerHook``; with
    ``log_processor = dict(log_with_hierarchy=True)`` their names carry the
    split (``train/clcr_rate_l1``, ``val/clcr_rate_l1``), which keeps train
    and val curves apart in TensorBoard. See docs/diagnostics.md.

    Args:
        interval (int, optional): training iterations between two writes;
            None takes the ``LoggerHook``'s interval (10 without one).
            Default None.
    """

    # before LoggerHook (BELOW_NORMAL), which prints what is in the MessageHub
    priority = 'NORMAL'

    def __init__(self, interval: Optional[int] = None) -> None:
        if interval is not None and interval < 1:
            raise ValueError(
                f'CLCRDiagnosticsHook interval must be >= 1, got {interval}')
        self.interval = interval
        self._meters = {'train': _Meter(), 'val': _Meter(), 'test': _Meter()}

    def before_run(self, runner) -> None:
        if self.interval is None:
            loggers = [
                hook for hook in runner.hooks if isinstance(hook, LoggerHook)
            ]
            self.interval = loggers[0].interval if loggers else 10

    @staticmethod
    def _neck_scalars(runner) -> Dict[str, Tensor]:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        read = getattr(
            getattr(model, 'neck', None), 'diagnostic_scalars', None)
        return read() if callable(read) else {}

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        meter = self._meters['train']
        meter.add(self._neck_scalars(runner), 1.0)
        if self.every_n_inner_iters(batch_idx,
                                    self.interval) or self.end_of_epoch(
                                        runner.train_dataloader, batch_idx):
            # every rank reaches this at the same iterations: a safe
            # collective
            for key, value in meter.means(reduce=True).items():
                runner.message_hub.update_scalar(f'train/{key}', value)
            self._meters['train'] = _Meter()

    def _start(self, mode: str) -> None:
        self._meters[mode] = _Meter()

    def _add_eval(self, runner, mode: str, data_batch, outputs) -> None:
        samples = data_batch.get('data_samples') if isinstance(
            data_batch, dict) else None
        weight = 1.0 if samples is None else float(len(samples))
        self._meters[mode].add(self._neck_scalars(runner), weight)
        loss = prediction_loss(outputs or [])
        if loss is not None:
            self._meters[mode].add({'loss_cls': loss[0]}, float(loss[1]))

    def _finish(self, runner, mode: str, metrics: Optional[dict]) -> None:
        means = self._meters[mode].means(reduce=True)
        for key, value in means.items():
            runner.message_hub.update_scalar(f'{mode}/{key}', value)
        if metrics is not None:
            metrics.update(means)
        self._meters[mode] = _Meter()

    def before_val_epoch(self, runner) -> None:
        self._start('val')

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch=None,
                       outputs=None) -> None:
        self._add_eval(runner, 'val', data_batch, outputs)

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._finish(runner, 'val', metrics)

    def before_test_epoch(self, runner) -> None:
        self._start('test')

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch=None,
                        outputs=None) -> None:
        self._add_eval(runner, 'test', data_batch, outputs)

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._finish(runner, 'test', metrics)
