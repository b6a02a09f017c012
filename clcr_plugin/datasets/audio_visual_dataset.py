"""Audio-visual dataset over mmengine's JSON annotation format."""
import os.path as osp
from typing import Callable, List, Optional, Union

from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS
from mmengine.fileio import load
from mmengine.registry import DefaultScope


@DATASETS.register_module()
class AudioVisualDataset(BaseActionDataset):
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
    every other field of its entry. ``classes`` given in ``metainfo=`` win
    over the file's.

    Args:
        ann_file: path of the JSON annotation.
        pipeline: transforms; dicts are built in mmaction's registry scope
            (outside a Runner too).
        data_prefix: ``dict(video=root, audio=root)``. Default both ``''``.
        check_files: verify at load time that every referenced file exists.
            Default False.
        **kwargs: ``data_root``, ``test_mode``, ``start_index``, ``modality``,
            ``metainfo``, ... as :class:`BaseActionDataset`.

    Raises:
        FileNotFoundError: the annotation file, or (``check_files``) a media
            file, does not exist.
        ValueError: the annotation is not valid JSON, a label is not an int in
            ``[0, len(classes))``, or a path field is not a non-empty string.
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
                 **kwargs) -> None:
        self.check_files = check_files
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
        return [
            self._parse(i, raw, len(classes))
            for i, raw in enumerate(ann['data_list'])
        ]

    def _parse(self, index: int, raw: dict, num_classes: int) -> dict:
        """Validate entry ``index`` and add ``filename`` / ``audio_path``."""
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
        if isinstance(label, bool) or not isinstance(
                label, int) or not 0 <= label < num_classes:
            raise ValueError(
                f'{where}: field \'label\' is {label!r}, not an int in [0, '
                f'{num_classes}) '
                f'(the number of classes)')
        info = dict(raw)
        info['filename'] = osp.join(self.data_prefix['video'], raw['video'])
        info['audio_path'] = osp.join(
            self.data_prefix['audio'],
            raw['audio']) if 'audio' in raw else info['filename']
        if self.check_files:
            for field, key in (('filename', 'video'),
                               ('audio_path',
                                'audio' if 'audio' in raw else 'video')):
                if not osp.isfile(info[field]):
                    raise FileNotFoundError(
                        f'{where}: field {key!r} points to {info[field]}, '
                        'which does not exist')
        return info
