"""``BadDataMixin``: any mmengine dataset gets the bad-data policy, errors that
name the clip, and counted skips."""
import logging
from typing import List, Mapping, Optional

from mmengine.logging import print_log

from .bad_data import (CASES, EVENTS_KEY, POLICY_KEY, BadDataError,
                       BadDataPolicy, summarize_events)

# mmaction2 transforms that open or decode the video file: their failures are
# a broken video (any other transform's failure is a pipeline error).
VIDEO_READERS = frozenset({
    'DecordInit', 'DecordDecode', 'PyAVInit', 'PyAVDecode',
    'PyAVDecodeMotionVector', 'OpenCVInit', 'OpenCVDecode', 'RawFrameDecode'
})


def _files(info: Mapping) -> str:
    """``'video a.mp4'`` or ``'video a.mp4, audio a.wav'``."""
    audio = info.get('audio_path', info['filename'])
    return f"video {info['filename']}" + (f', audio {audio}'
                                          if audio != info['filename'] else '')


class DataPipelineError(RuntimeError):
    """A transform failed on a clip; the message names the annotation file,
    the clip's index in its ``data_list``, its files and the transform."""


class BadDataMixin:
    """Runs the pipeline of an mmengine ``BaseDataset`` under a
    :class:`~clcr_plugin.datasets.bad_data.BadDataPolicy`.

    Put it first among the bases (``class MyDataset(BadDataMixin,
    BaseActionDataset)``), call :meth:`init_bad_data` before the base
    ``__init__`` and, in ``load_data_list``, give every entry ``ann_index``
    (its index in the annotation file), ``filename`` and optionally
    ``audio_path``; apply load-time checks with :meth:`drop_or_raise` and
    end with :meth:`log_load_events`. Then:

    * every transform sees the policy (``results['bad_data_policy']``) and
      records what it kept or filled (``results['data_events']``, see
      :func:`~clcr_plugin.datasets.bad_data.handle_bad_data`);
    * a :class:`BadDataError`, or any failure of a video reader
      (:data:`VIDEO_READERS`, the ``broken_video`` case), either raises an
      error naming the annotation file, the clip's index and its file, or
      (``'skip'``, training only) drops the clip: mmengine fetches another;
    * any other failure inside the pipeline raises
      :class:`DataPipelineError` naming the clip and the transform;
    * every packed data sample carries, in its metainfo ``data_events``, the
      events of its own clip and of the clips skipped just before it in the
      same worker process, so :class:`~clcr_plugin.engine.hooks.
      BadDataSummaryHook` counts them whatever the number of workers.
    """

    bad_data: BadDataPolicy
    load_events: List[dict]

    def init_bad_data(self, bad_data: Optional[Mapping]) -> None:
        """Set the policy (see :class:`BadDataPolicy`) and empty the
        event lists."""
        self.bad_data = BadDataPolicy(
            bad_data, source=f'{type(self).__name__}(bad_data=...)')
        self.load_events = []
        self._skipped: List[dict] = []  # this process's pending skip events

    def drop_or_raise(self,
                      kind: str,
                      index: int,
                      path: str,
                      detail: str,
                      error: Optional[Exception] = None) -> bool:
        """Apply the policy to a fault of entry ``index`` found at load time.

        Args:
            kind: the case (a key of :data:`CASES`).
            index: the entry's index in the annotation's ``data_list``.
            path: the file at fault (the annotation file for a label).
            detail: what is wrong.
            error: what to raise under ``'error'``. Default None: a
                :class:`BadDataError` naming ``path``, ``detail`` and the clip.

        Returns:
            True when the entry is dropped (``'skip'``, recorded in
            ``load_events``), False when the policy keeps it (e.g.
            ``'mark_missing'``: the caller marks it).

        Raises:
            BadDataError: (or ``error``) the policy says ``'error'``.
        """
        action = self.bad_data[kind]
        if action == 'error':
            raise error or BadDataError(
                kind, path, f'{detail} ({self._clip_name(index)})')
        if action == 'skip':
            self.load_events.append(
                dict(
                    kind=kind,
                    action='skip',
                    file=str(path),
                    detail=detail,
                    index=index))
            return True
        return False

    def log_load_events(self, total: int) -> None:
        """Log the entries dropped at load time, out of ``total``."""
        if self.load_events:
            print_log(
                f'{self.ann_file}: {len(self.load_events)} of {total} '
                'annotated clips dropped at load time:\n' +
                '\n'.join(summarize_events(self.load_events)),
                logger='current',
                level=logging.WARNING)

    def _clip_name(self, index: int) -> str:
        return f'clip data_list[{index}] of {self.ann_file}'

    def prepare_data(self, idx: int) -> Optional[dict]:
        """Run the pipeline on clip ``idx`` under the policy; None when the
        clip is skipped."""
        info = self.get_data_info(idx)
        index = info.get('ann_index', idx)
        events: List[dict] = []
        info[POLICY_KEY], info[EVENTS_KEY] = self.bad_data, events
        results, step = info, None
        try:
            for step in self.pipeline.transforms:
                results = step(results)
                if results is None:
                    return None
        except BadDataError as exc:
            return self._bad_clip(exc.kind, exc.action, index, exc.path,
                                  exc.detail, exc)
        except Exception as exc:  # noqa: B902 any transform's failure
            name = type(step).__name__
            detail = f'{name} failed: {type(exc).__name__}: {exc}'
            if name in VIDEO_READERS:
                return self._bad_clip('broken_video',
                                      self.bad_data['broken_video'], index,
                                      info['filename'], detail, exc)
            raise DataPipelineError(f'{self._clip_name(index)} '
                                    f'({_files(info)}): {detail}') from exc
        for event in events:
            event['index'] = index
        self._attach_events(results, events)
        return results

    def _bad_clip(self, kind: str, action: str, index: int, path: str,
                  detail: str, cause: Exception) -> None:
        """Raise for ``'error'``; record and return None for ``'skip'``."""
        if action == 'skip' and self.test_mode:
            raise BadDataError(
                kind, path,
                f'{detail} ({self._clip_name(index)}); a test-mode dataset '
                'cannot drop a clip once loading began: drop it at load time '
                '(check_files=True finds missing files) or use '
                f"bad_data.{kind}='mark_missing' where "
                f'{list(CASES[kind].actions)} allows it', action) from cause
        if action != 'skip':
            raise BadDataError(kind, path,
                               f'{detail} ({self._clip_name(index)})',
                               action) from cause
        self._skipped.append(
            dict(
                kind=kind,
                action='skip',
                file=path,
                detail=detail,
                index=index))
        return None

    def _attach_events(self, packed: dict, events: List[dict]) -> None:
        """Put this clip's events and the pending skips into the packed data
        sample's metainfo ``data_events``."""
        sample = packed.get('data_samples') if isinstance(packed,
                                                          dict) else None
        if sample is None or not hasattr(sample, 'set_metainfo'):
            return  # a pipeline that packs no data sample: nothing to carry
        sample.set_metainfo({EVENTS_KEY: self._skipped + events})
        self._skipped = []
