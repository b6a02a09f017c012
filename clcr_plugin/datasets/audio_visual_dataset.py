"""Audio-visual dataset over mmengine's JSON annotation format."""
import os.path as osp
from typing import Callable, List, Optional, Union

from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS
from mmengine.fileio import load
from mmengine.registry import DefaultScope

from .bad_data_dataset import BadDataMixin


@DATASETS.register_module()
class AudioVisualDataset(BadDataMixin, BaseActionDataset):
    """Clips with a video and (optionally separate) audio, one label each.

    The annotation file is mmengine's standard JSON, which our converters and
    the synthetic generator write::

        {"metainfo": {"classes": ["a", "b", ...],
                      "dataset": "synthetic-av", ...},
         "data_list": [{"video": "train/000001.mp4",
                        "audio": "audio/000001.wav", "label": 3, ...},
                       ...]}

    Paths are relative to ``data_prefix['video']`` / ``data_prefix['audio']``
    (themselves joined to ``data_root`` when relative). ``audio`` is optional:
    without it the video file's own audio track is used. Each item gets
    ``filename`` (what ``DecordInit`` opens), ``audio_path`` (what
    ``LoadAudioLogMel`` reads), ``label``, ``start_index``, ``modality`` and
    ``ann_index`` (the entry's index in ``data_list``) and every other field
    of its entry. ``classes`` given in ``metainfo=`` win over the file's;
    labels are checked against them, and ``dataset.num_classes`` is their
    number (the bound of every label, which a head's ``num_classes`` must
    reach).

    Bad data follows ``bad_data`` (docs/troubleshooting.md, "Data"): at load
    time a label out of range and, with ``check_files``, a missing video
    (``broken_video``) or audio file (``no_audio``; ``'mark_missing'`` sets
    the entry's ``audio_available=False``); while loading a clip, what the
    transforms find (see :class:`~clcr_plugin.datasets.bad_data_dataset.
    BadDataMixin`).

    Args:
        ann_file: path of the JSON annotation.
        pipeline: transforms; dicts are built in mmaction's registry scope
            (outside a Runner too).
        data_prefix: ``dict(video=root, audio=root)``. Default both ``''``.
        check_files: verify at load time that every referenced file exists.
            Default False.
        bad_data: ``{case: action}`` and ``min_audio_coverage``, see
            :class:`~clcr_plugin.datasets.bad_data.BadDataPolicy`. Default
            None: every case is an error.
        **kwargs: ``data_root``, ``test_mode``, ``start_index``, ``modality``,
            ``metainfo``, ... as :class:`BaseActionDataset`.

    Raises:
        FileNotFoundError: the annotation file, or (``check_files``, policy
            ``'error'``) a media file, does not exist.
        ValueError: the annotation is not valid JSON, a label is not an int
            (or, policy ``'error'``, not in ``[0, len(classes))``), or a path
            field is not a non-empty string.
        KeyError: ``metainfo.classes`` or an entry's ``video`` / ``label`` is
            missing.
        Every message names the annotation file, and for an entry its index
        in ``data_list`` and the field.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 data_prefix: Optional[dict] = None,
                 check_files: bool = False,
                 bad_data: Optional[dict] = None,
                 **kwargs) -> None:
        self.check_files = check_files
        self.init_bad_data(bad_data)
        # mmaction's scope, so pipeline names resolve outside a Runner too
        with DefaultScope.overwrite_default_scope('mmaction'):
            super().__init__(
                ann_file,
                pipeline,
                data_prefix={
                    'video': '',
                    'audio': '',
                    **(data_prefix or {})
                },
                **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read and validate the annotation file; returns one dict per clip."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'annotation file {self.ann_file} does not exist')
        try:
            ann = load(self.ann_file, file_format='json')
        except ValueError as exc:  # json.JSONDecodeError
            raise ValueError(
                f'{self.ann_file} is not valid JSON: {exc}') from exc
        if not isinstance(ann, dict) or not isinstance(
                ann.get('data_list'), list):
            raise KeyError(
                f'{self.ann_file}: expected a JSON object with "metainfo" and '
                'a "data_list" list')
        for key, value in ann.get('metainfo', {}).items():
            self._metainfo.setdefault(key, value)
        classes = self._metainfo.get('classes')
        if not classes:
            raise KeyError(
                f'{self.ann_file}: metainfo.classes is missing or empty (give '
                'it in the file or as '
                f'metainfo=dict(classes=[...]))')
        if self.num_classes is None:
            self.num_classes = len(classes)
        elif self.num_classes != len(classes):
            raise ValueError(
                f'{self.ann_file}: num_classes={self.num_classes}, but '
                f'metainfo.classes lists {len(classes)} classes')
        self.load_events = []
        parsed = [
            self._parse(i, raw, len(classes))
            for i, raw in enumerate(ann['data_list'])
        ]
        self.log_load_events(len(parsed))
        return [info for info in parsed if info is not None]

    def _parse(self, index: int, raw: dict,
               num_classes: int) -> Optional[dict]:
        """Validate entry ``index`` and add ``filename`` / ``audio_path`` /
        ``ann_index``; None when the policy drops it."""
        where = f'{self.ann_file}: data_list[{index}]'
        if not isinstance(raw, dict):
            raise ValueError(
                f'{where} must be a JSON object, got {type(raw).__name__}')
        for key in ('video', 'label'):
            if key not in raw:
                raise KeyError(
                    f'{where} lacks the field {key!r} (fields present: '
                    f'{sorted(raw)})')
        for key in ('video', 'audio'):
            if key in raw and not (isinstance(raw[key], str) and raw[key]):
                raise ValueError(
                    f'{where}: field {key!r} must be a non-empty path string, '
                    f'got {raw[key]!r}')
        label = raw['label']
        bad_label = ValueError(
            f'{where}: field \'label\' is {label!r}, not an int in [0, '
            f'{num_classes}) (the number of classes)')
        if isinstance(label, bool) or not isinstance(label, int):
            raise bad_label
        if not 0 <= label < num_classes and self.drop_or_raise(
                'label_out_of_range', index, self.ann_file,
                f'label {label} is not in [0, {num_classes})', bad_label):
            return None
        info = dict(raw, ann_index=index)
        info['filename'] = osp.join(self.data_prefix['video'], raw['video'])
        info['audio_path'] = osp.join(
            self.data_prefix['audio'],
            raw['audio']) if 'audio' in raw else info['filename']
        if self.check_files:
            for field, key, kind in (('filename', 'video', 'broken_video'),
                                     ('audio_path', 'audio', 'no_audio')):
                path = info[field]
                if (key in raw
                        or field == 'filename') and not osp.isfile(path):
                    missing = FileNotFoundError(
                        f'{where}: field {key!r} points to {path}, which '
                        'does not exist')
                    if self.drop_or_raise(kind, index, path,
                                          'the file does not exist', missing):
                        return None
                    info['audio_available'] = False  # no_audio: mark_missing
        return info
