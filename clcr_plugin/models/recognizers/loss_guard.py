"""Logged losses averaged over ranks; a non-finite loss stops training.

Why a check in the model's ``parse_losses`` and not a hook: mmengine's
``train_step`` calls ``parse_losses`` and then ``update_params`` (backward and
optimizer step) before any hook sees the iteration, so ``after_train_iter``
would come after the NaN had already reached the weights, and the next
checkpoint would save them. Raised from ``parse_losses``, the error leaves the
weights and every saved checkpoint as they were after the last good
iteration, needs no config, and works for every loop and runner.

Every rank checks the rank-averaged values, so a NaN on one rank stops all of
them at the same iteration (none is left waiting in a collective).
"""
import math
from collections import OrderedDict
from typing import Dict

import torch
from mmengine.dist import all_reduce, is_distributed
from mmengine.logging import MessageHub
from torch import Tensor


def current_iteration() -> str:
    """``'iteration 7 (epoch 2)'`` from the current MessageHub (1-based, as
    mmengine's log prints them); ``'an unknown iteration'`` outside a Runner.
    """
    hub = MessageHub.get_current_instance()
    it, epoch = hub.get_info('iter'), hub.get_info('epoch')
    if it is None:
        return 'an unknown iteration'
    where = f'iteration {it + 1}'
    return where if epoch is None else f'{where} (epoch {epoch + 1})'


def average_and_check_log_vars(log_vars: Dict[str,
                                              Tensor]) -> Dict[str, Tensor]:
    """Average the logged values over ranks and check that they are finite.

    Args:
        log_vars: ``{name: 0-d tensor}`` from mmengine's ``parse_losses``
            (``loss`` first, then each term and any accuracy).

    Returns:
        ``{name: detached 0-d tensor}``, each the mean over ranks (the values
        themselves when not distributed); the loss to back-propagate is not
        touched.

    Raises:
        FloatingPointError: a value is NaN or infinite (on any rank); the
            message names the terms, their values and the iteration.
    """
    names = list(log_vars)
    values = torch.stack(
        [log_vars[k].detach().float().reshape(()) for k in names])
    if is_distributed():
        all_reduce(values, op='mean')
    host = values.tolist()
    bad = {k: v for k, v in zip(names, host) if not math.isfinite(v)}
    if bad:
        terms = ', '.join(f'{k}={v}' for k, v in bad.items())
        raise FloatingPointError(
            f'non-finite loss at {current_iteration()}: {terms} (averaged '
            'over ranks); training stopped before this step changed the '
            'weights, so the last saved checkpoint is the last good state. '
            'Check the inputs for NaN/inf (docs/troubleshooting.md), then '
            'lower the learning rate or enable gradient clipping, and '
            'resume with tools/train.py --resume')
    return OrderedDict((k, values[i]) for i, k in enumerate(names))
