"""``BadDataSummaryHook``: what the bad-data policy did, logged at the end of
every epoch."""
import logging
from typing import Dict, List, Optional, Sequence

from mmaction.registry import HOOKS
from mmengine.dist import all_gather_object
from mmengine.hooks import Hook

from ...datasets.bad_data import EVENTS_KEY, summarize_events


def batch_events(data_batch: Optional[dict]) -> List[dict]:
    """The bad-data events the data samples of ``data_batch`` carry (their
    metainfo ``data_events``, set by ``BadDataMixin`` in whichever worker
    loaded them)."""
    samples: Sequence = (data_batch or {}).get('data_samples') or []
    return [
        event for sample in samples
        for event in getattr(sample, 'metainfo', {}).get(EVENTS_KEY, [])
    ]


@HOOKS.register_module()
class BadDataSummaryHook(Hook):
    """Log, at the end of each train / val / test epoch, the clips the
    dataset's ``bad_data`` policy skipped, marked missing, padded or kept,
    e.g. ``train epoch 3: 2 clips skipped (broken_video): data_list[4]
    a.mp4: DecordInit failed: ...``, and the clips dropped at load time.

    The events ride on the data samples, so they are counted whatever the
    number of dataloader workers; under distributed training they are
    gathered from every rank. Nothing is logged for an epoch without bad
    data.

    Args:
        max_listed: clips named per case and action. Default 5.
    """

    priority = 'LOW'

    def __init__(self, max_listed: int = 5) -> None:
        if max_listed < 1:
            raise ValueError(f'max_listed must be >= 1, got {max_listed}')
        self.max_listed = max_listed
        self._events: Dict[str, List[dict]] = {}

    def _start(self, mode: str) -> None:
        self._events[mode] = []

    def _collect(self, mode: str, data_batch: Optional[dict]) -> None:
        self._events.setdefault(mode, []).extend(batch_events(data_batch))

    def _report(self, runner, mode: str, dataloader) -> None:
        events = [
            e for rank_events in all_gather_object(self._events.pop(mode, []))
            for e in rank_events
        ]
        dataset = getattr(dataloader, 'dataset', None)
        at_load = list(getattr(dataset, 'load_events', []))
        # runner.epoch builds the train loop (and its data set): only read
        # it in train / val, so a test-only run needs no training data
        if mode == 'train':
            when = f'train epoch {runner.epoch + 1}'
        elif mode == 'val':
            when = f'val after epoch {runner.epoch}'
        else:
            when = mode
        lines = summarize_events(events, self.max_listed)
        if at_load:
            lines.append(
                f'{len(at_load)} annotated clips dropped at load '
                'time: ' +
                ' | '.join(summarize_events(at_load, self.max_listed)))
        if lines:
            runner.logger.log(logging.WARNING,
                              f'bad data, {when}:\n  ' + '\n  '.join(lines))

    def before_train_epoch(self, runner) -> None:
        self._start('train')

    def before_val_epoch(self, runner) -> None:
        self._start('val')

    def before_test_epoch(self, runner) -> None:
        self._start('test')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        self._collect('train', data_batch)

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch: Optional[dict] = None,
                       outputs=None) -> None:
        self._collect('val', data_batch)

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs=None) -> None:
        self._collect('test', data_batch)

    def after_train_epoch(self, runner) -> None:
        self._report(runner, 'train', runner.train_dataloader)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._report(runner, 'val', runner.val_dataloader)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._report(runner, 'test', runner.test_dataloader)
