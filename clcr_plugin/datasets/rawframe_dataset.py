"""RGB frames and optical flow of each video in one folder (mmaction2's
rawframe layout)."""
import os.path as osp
from typing import Callable, List, Optional, Sequence, Tuple, Union

from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS
from mmengine.fileio import list_from_file, load
from mmengine.registry import DefaultScope

FRAME_MODALITIES = ('rgb', 'flow')


@DATASETS.register_module()
class MultiModalRawframeDataset(BaseActionDataset):
    """Videos stored as frame folders, with RGB and flow read side by side.

    Each video is one folder in mmaction2's ``denseflow`` layout::

        <frame_dir>/img_00001.jpg ... img_<N>.jpg     RGB frames
        <frame_dir>/x_00001.jpg   ... x_<N-1>.jpg     flow x, 0-255 jpg
        <frame_dir>/y_00001.jpg   ... y_<N-1>.jpg     flow y

    (flow ``t`` is the motion from frame ``t`` to ``t + 1``, so a folder of
    ``N`` frames holds ``N - flow_frames_offset`` flows.)

    The annotation is either mmaction2's ``RawframeDataset`` list (``.txt``,
    one ``frame_dir total_frames label`` line per video, 0-based labels) or
    mmengine's JSON (``.json``) whose ``data_list`` entries hold
    ``frame_dir``, ``total_frames``, ``label`` and optionally
    ``flow_frames`` (the flow count when it does not follow from
    ``flow_frames_offset``). ``frame_dir`` is relative to
    ``data_prefix['img']``. Classes come from ``metainfo=dict(classes=...)``
    (a list, or the path of a file with one class per line) or the JSON's
    ``metainfo``; when known, labels are checked against them.

    Each item gets ``frame_dir``, ``total_frames``, ``label``,
    ``filename_tmpl`` (what mmaction2's ``RawFrameDecode`` reads),
    ``flow_filename_tmpl`` and ``total_flow_frames`` (what
    ``DecodeFlowStacks`` reads), ``start_index`` and ``modality='RGB'``.

    Args:
        ann_file: ``.txt`` rawframe list or ``.json`` annotation.
        pipeline: transforms; dicts are built in mmaction's registry scope.
        data_prefix: ``dict(img=root)`` of the frame folders. Default ``''``.
        modalities: which of ``'rgb'`` / ``'flow'`` the folders must hold
            (for ``check_files`` and ``total_flow_frames``).
            Default ``('rgb', 'flow')``.
        filename_tmpl: RGB file name template. Default ``'img_{:05d}.jpg'``.
        flow_filename_tmpl: flow template, formatted with ``'x'`` / ``'y'``
            and the index. Default ``'{}_{:05d}.jpg'``.
        flow_frames_offset: a folder with ``total_frames`` RGB frames holds
            ``total_frames - flow_frames_offset`` flows: 1 for ``denseflow``
            and ``tools/data/ucf101/extract_flow.py``. Default 1.
        check_files: at load time, check that every folder exists and holds
            the first, the last and not one more than the last expected
            file of each modality. Default False.
        start_index: index of the first frame file. Default 1.
        **kwargs: ``data_root``, ``test_mode``, ``metainfo``, ... as
            :class:`BaseActionDataset`.

    Raises:
        FileNotFoundError: the annotation file, or (``check_files``) a frame
            folder or an expected frame file, does not exist.
        ValueError: a line or entry is malformed (field count, a count that
            is not a positive int, a label outside the classes), or
            (``check_files``) a folder holds more frames than its count.
        KeyError: a JSON entry lacks a field, or an unknown modality.
        Every message names the annotation file, the line (or ``data_list``
        index) and the field.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 data_prefix: Optional[dict] = None,
                 modalities: Sequence[str] = FRAME_MODALITIES,
                 filename_tmpl: str = 'img_{:05d}.jpg',
                 flow_filename_tmpl: str = '{}_{:05d}.jpg',
                 flow_frames_offset: int = 1,
                 check_files: bool = False,
                 start_index: int = 1,
                 **kwargs) -> None:
        unknown = [m for m in modalities if m not in FRAME_MODALITIES]
        if unknown or not modalities:
            raise KeyError(f'modalities={list(modalities)}: expected a '
                           f'non-empty subset of {list(FRAME_MODALITIES)}')
        self.modalities = tuple(modalities)
        self.filename_tmpl = filename_tmpl
        self.flow_filename_tmpl = flow_filename_tmpl
        self.flow_frames_offset = flow_frames_offset
        self.check_files = check_files
        with DefaultScope.overwrite_default_scope('mmaction'):
            super().__init__(
                ann_file,
                pipeline,
                data_prefix={
                    'img': '',
                    **(data_prefix or {})
                },
                start_index=start_index,
                **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read, validate and (``check_files``) check every video."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'annotation file {self.ann_file} does not exist')
        if self.ann_file.endswith('.json'):
            rows = self._json_rows()
        else:
            rows = self._list_rows()
        classes = self._metainfo.get('classes')
        if isinstance(classes, str):  # mmengine keeps an unreadable path
            raise FileNotFoundError(
                f'metainfo.classes={classes!r} is neither a list of names nor '
                'a readable class file (one name a line)')
        return [
            self._parse(where, raw, None if not classes else len(classes))
            for where, raw in rows
        ]

    def _list_rows(self) -> List[Tuple[str, dict]]:
        """``frame_dir total_frames label`` lines -> ``(where, entry)``."""
        rows = []
        for lineno, line in enumerate(list_from_file(self.ann_file), 1):
            fields = line.split()
            if not fields:
                continue
            where = f'{self.ann_file}, line {lineno}'
            if len(fields) != 3:
                raise ValueError(
                    f'{where}: expected 3 fields "frame_dir total_frames '
                    f'label", got {len(fields)}: {line.strip()!r}')
            raw = dict(frame_dir=fields[0])
            for key, text in zip(('total_frames', 'label'), fields[1:]):
                try:
                    raw[key] = int(text)
                except ValueError:
                    raise ValueError(
                        f'{where}: field {key!r} is {text!r}, not an '
                        'integer') from None
            rows.append((where, raw))
        return rows

    def _json_rows(self) -> List[Tuple[str, dict]]:
        """mmengine JSON -> ``(where, entry)``; metainfo fills gaps."""
        try:
            ann = load(self.ann_file, file_format='json')
        except ValueError as exc:
            raise ValueError(
                f'{self.ann_file} is not valid JSON: {exc}') from exc
        if not isinstance(ann, dict) or not isinstance(
                ann.get('data_list'), list):
            raise KeyError(
                f'{self.ann_file}: expected a JSON object with "metainfo" and '
                'a "data_list" list')
        for key, value in ann.get('metainfo', {}).items():
            self._metainfo.setdefault(key, value)
        rows = []
        for i, raw in enumerate(ann['data_list']):
            where = f'{self.ann_file}: data_list[{i}]'
            if not isinstance(raw, dict):
                raise ValueError(f'{where} must be a JSON object, got '
                                 f'{type(raw).__name__}')
            for key in ('frame_dir', 'total_frames', 'label'):
                if key not in raw:
                    raise KeyError(f'{where} lacks the field {key!r} (fields '
                                   f'present: {sorted(raw)})')
            rows.append((where, raw))
        return rows

    def _parse(self, where: str, raw: dict,
               num_classes: Optional[int]) -> dict:
        """Validate one video, resolve its folder, add the flow count."""
        if not (isinstance(raw['frame_dir'], str) and raw['frame_dir']):
            raise ValueError(f'{where}: field \'frame_dir\' must be a '
                             f'non-empty path, got {raw["frame_dir"]!r}')
        counts = {'total_frames': raw['total_frames']}
        if 'flow' in self.modalities:
            counts['flow_frames'] = raw.get(
                'flow_frames', raw['total_frames'] - self.flow_frames_offset)
        for key, count in counts.items():
            if isinstance(count,
                          bool) or not isinstance(count, int) or count < 1:
                hint = (f' (total_frames - flow_frames_offset '
                        f'{self.flow_frames_offset})'
                        if key == 'flow_frames' and key not in raw else '')
                raise ValueError(f'{where}: field {key!r} is {count!r}{hint}, '
                                 'not a positive int')
        label = raw['label']
        high = '' if num_classes is None else f', {num_classes}'
        if isinstance(label, bool) or not isinstance(label, int) or (
                label < 0 or num_classes is not None and label >= num_classes):
            raise ValueError(f'{where}: field \'label\' is {label!r}, not an '
                             f'int in [0{high or ", inf"})')
        info = dict(raw)
        info['frame_dir'] = osp.join(self.data_prefix['img'], raw['frame_dir'])
        info['filename_tmpl'] = self.filename_tmpl
        if 'flow' in self.modalities:
            info['flow_filename_tmpl'] = self.flow_filename_tmpl
            info['total_flow_frames'] = counts['flow_frames']
        if self.check_files:
            self._check_folder(where, info)
        return info

    def _check_folder(self, where: str, info: dict) -> None:
        """Raise unless the folder holds exactly the expected frame range."""
        folder = info['frame_dir']
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'{where}: field \'frame_dir\' points to {folder}, which is '
                'not a folder')
        first = self.start_index
        ranges = []  # (count field, count, template, flow components)
        if 'rgb' in self.modalities:
            ranges.append(('total_frames', info['total_frames'],
                           self.filename_tmpl, (None, )))
        if 'flow' in self.modalities:
            ranges.append(('flow_frames', info['total_flow_frames'],
                           self.flow_filename_tmpl, ('x', 'y')))
        for field, count, tmpl, components in ranges:
            last = first + count - 1
            for component in components:
                args = () if component is None else (component, )
                names = {i: tmpl.format(*args, i) for i in (first, last)}
                for index, must_exist in ((first, True), (last, True),
                                          (last + 1, False)):
                    name = tmpl.format(*args, index)
                    if osp.isfile(osp.join(folder, name)) != must_exist:
                        error = FileNotFoundError if must_exist else ValueError
                        raise error(
                            f'{where}: frame folder {folder} '
                            f'{"lacks" if must_exist else "holds"} {name}, '
                            f'but field {field!r}={count} expects '
                            f'{names[first]} .. {names[last]} (template '
                            f'{tmpl!r})')
