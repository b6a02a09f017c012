"""Audio-visual dataset over mmengine's JSON annotation format."""
import os.path as osp
from typing import Callable, List, Optional, Union

from mmengine.fileio import load
from mmengine.registry import DefaultScope

from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS


@DATASETS.register_module()
class AudioVisualDataset(BaseActionDataset):
    """Clips with a video and (optionally separate) audio, one label each.

    The annotation file is mmengine's standard JSON (what our converters and
    the synthetic generator write)::

        {"metainfo": {"classes": [...], "dataset": "..."},
         "data_list": [{"video": "train/000001.mp4", "audio": "a/000001.npy", "label": 3}, ...]}

    ``audio`` is optional (the video's own audio track is used then). Each
    item gets ``filename`` (what ``DecordInit`` opens), ``audio_path``,
    ``label``, plus every other field of the entry.

    Args:
        ann_file: path of the JSON annotation.
        pipeline: transforms.
        data_prefix: ``dict(video=root, audio=root)``; relative paths are joined.
        check_files: verify at load time that every referenced file exists.
        test_mode, start_index, modality, **kwargs: as ``BaseActionDataset``.
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
            super().__init__(ann_file, pipeline, data_prefix={'video': '', 'audio': '', **(data_prefix or {})},
                             **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'annotation file {self.ann_file} does not exist')
        ann = load(self.ann_file)
        if not isinstance(ann, dict) or 'data_list' not in ann:
            raise KeyError(f'{self.ann_file}: expected a JSON object with "metainfo" and "data_list"')
        classes = ann.get('metainfo', {}).get('classes')
        if not classes:
            raise KeyError(f'{self.ann_file}: metainfo.classes is missing or empty')
        for key, value in ann['metainfo'].items():
            self._metainfo.setdefault(key, value)
        return [self._parse(i, raw, len(classes)) for i, raw in enumerate(ann['data_list'])]

    def _parse(self, index: int, raw: dict, num_classes: int) -> dict:
        where = f'{self.ann_file}: data_list[{index}]'
        for key in ('video', 'label'):
            if key not in raw:
                raise KeyError(f'{where} lacks the field {key!r}')
        label = raw['label']
        if not isinstance(label, int) or not 0 <= label < num_classes:
            raise ValueError(f'{where}: label {label!r} is not an int in [0, {num_classes})')
        info = dict(raw)
        info['filename'] = osp.join(self.data_prefix['video'], raw['video'])
        info['audio_path'] = (osp.join(self.data_prefix['audio'], raw['audio']) if raw.get('audio')
                              else info['filename'])
        if self.check_files:
            for field in ('filename', 'audio_path'):
                if not osp.isfile(info[field]):
                    raise FileNotFoundError(f'{where}: {field} {info[field]} does not exist')
        return info
