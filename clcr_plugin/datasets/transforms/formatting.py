"""Packing several modalities into one ``inputs`` dict."""
from typing import Dict, Mapping, Sequence

import torch
from mmaction.datasets.transforms import PackActionInputs
from mmaction.registry import TRANSFORMS

from ..bad_data import is_unavailable


@TRANSFORMS.register_module()
class PackMultiModalInputs(PackActionInputs):
    """Pack result keys into ``inputs`` keyed by modality name.

    ``PackMultiModalInputs(modalities=dict(rgb='imgs', audio='audios'))`` turns
    ``results['imgs']`` (e.g. ``(num_clips * clip_len, C, H, W)`` after
    ``FormatShape('NCHW')``) and ``results['audios']`` (``(num_clips, 1,
    n_mels, frames)`` from ``SampleAudioWindows``) into
    ``inputs={'rgb': tensor, 'audio': tensor}``, with dtypes kept (uint8
    frames stay uint8), and builds an ``ActionDataSample`` with ``gt_label``
    and the meta keys, as mmaction2's ``PackActionInputs`` does.

    The data sample's metainfo ``modality_available`` maps every modality to
    whether the clip has it: False where a transform left a placeholder
    (a key in ``results['unavailable_keys']``, e.g. the audio of a clip
    without an audio track under ``bad_data.no_audio='mark_missing'``); that
    modality's tensor is zeros of its usual shape. ``MultiModalRecognizer``
    turns the flags into the neck's per-sample ``available`` mask.

    Args:
        modalities: ``{modality name: results key}``; the names are what the
            model's backbones and data preprocessors are keyed by.
        meta_keys: keys copied into the data sample's metainfo when present.
            Default ``('img_shape', 'img_key', 'video_id', 'timestamp')``.
        algorithm_keys: keys set as data sample fields when present.
            Default ``()``.

    Raises:
        ValueError: ``modalities`` is empty.
        KeyError: a modality's results key is missing (the message names both).
    """

    def __init__(
        self,
        modalities: Mapping[str, str],
        meta_keys: Sequence[str] = ('img_shape', 'img_key', 'video_id',
                                    'timestamp'),
        algorithm_keys: Sequence[str] = ()
    ) -> None:
        if not modalities:
            raise ValueError(
                'PackMultiModalInputs needs at least one modality, e.g. '
                'modalities=dict(rgb=\'imgs\')')
        super().__init__(
            collect_keys=tuple(modalities.values()),
            meta_keys=meta_keys,
            algorithm_keys=algorithm_keys)
        self.modalities = dict(modalities)

    def transform(self, results: Dict) -> Dict:
        """Returns
        ``dict(inputs={modality: tensor}, data_samples=ActionDataSample)``."""
        for modality, key in self.modalities.items():
            if key not in results:
                raise KeyError(
                    f'PackMultiModalInputs: modality {modality!r} reads '
                    f'results[{key!r}], which the '
                    'pipeline did not produce; available keys: '
                    f'{sorted(results)}')
        packed = super().transform(results)
        available = {
            modality: not is_unavailable(results, key)
            for modality, key in self.modalities.items()
        }
        packed['inputs'] = {
            modality:
            packed['inputs'][key]
            if available[modality] else torch.zeros_like(packed['inputs'][key])
            for modality, key in self.modalities.items()
        }
        packed['data_samples'].set_metainfo(dict(modality_available=available))
        return packed

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(modalities={self.modalities}, '
                f'meta_keys={self.meta_keys})')
