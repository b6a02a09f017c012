"""``EpochSeedHook``: each training epoch's random draws depend on the seed
and the epoch only, so a resumed run draws what the uninterrupted one drew."""
import os
import random
from typing import Optional

import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.registry import FUNCTIONS


def epoch_seed(seed: int, epoch: int) -> int:
    """A 32-bit seed mixed from the run's seed and the epoch (0-based)."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


def seed_everything(seed: int) -> None:
    """Seed python's ``random``, numpy's global generator and torch (CPU and
    every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Re-seed python, numpy and torch at the start of every training epoch.

    mmengine seeds once per process, and on ``--resume`` seeds again with
    the same seed, so a run resumed at epoch ``k`` replays the random draws
    of epoch 1 (random flips, dropout, modality dropout), and the validation
    between epochs shifts the stream further. This hook seeds every generator
    with ``epoch_seed(seed, epoch)`` before each epoch (``seed`` is the
    Runner's, i.e. ``randomness.seed``, rank-dependent with
    ``diff_rank_seed``), so 1 epoch + resume + 1 epoch draws exactly what 2
    epochs straight draw. The shuffling of mmengine's ``DefaultSampler``
    already depends on seed and epoch only.

    Data-loading workers draw their base seed from torch's generator when an
    epoch's iterator is created, i.e. after this hook; with
    :func:`epoch_worker_init_fn` as the loader's ``worker_init_fn`` and
    ``persistent_workers=False`` their draws follow too (persistent workers
    are started once and carry their streams across epochs, which a resumed
    run cannot reproduce).

    Args:
        seed (int, optional): the base seed; None takes the Runner's.
            Default None.
    """

    priority = 'VERY_HIGH'  # before anything that draws in the epoch

    def __init__(self, seed: Optional[int] = None) -> None:
        self.seed = seed

    def before_train_epoch(self, runner) -> None:
        seed = self.seed if self.seed is not None else runner.seed
        seed_everything(epoch_seed(int(seed), runner.epoch))


# mmengine's Runner looks worker_init_fn up in its own (root) registry
@FUNCTIONS.register_module()
def epoch_worker_init_fn(worker_id: int) -> None:
    """Seed a data-loading worker's numpy and python generators from its torch
    seed (``base_seed + worker_id``, drawn per epoch by the main process) and
    the process rank.

    mmengine's default seeds every worker of every epoch alike; this one
    follows the main process's generator, which :class:`EpochSeedHook`
    seeds per epoch, so workers draw differently each epoch yet the same
    after a resume. Use it as ``worker_init_fn=dict(type='
    epoch_worker_init_fn')`` with ``persistent_workers=False``.
    """
    rank = int(os.environ.get('RANK', 0))
    seed = int(
        np.random.SeedSequence([torch.initial_seed() % 2**32,
                                rank]).generate_state(1)[0])
    random.seed(seed)
    np.random.seed(seed)
