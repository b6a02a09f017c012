"""Packing several modalities into one ``inputs`` dict."""
from typing import Dict, Mapping, Sequence

from mmaction.datasets.transforms import PackActionInputs
from mmaction.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackMultiModalInputs(PackActionInputs):
    """Pack result keys into ``inputs`` keyed by modality name.

    ``PackMultiModalInputs(modalities=dict(rgb='imgs', audio='audios'))`` gives
    ``inputs={'rgb': tensor, 'audio': tensor}`` and an ``ActionDataSample``
    with ``gt_label`` and the meta keys, as mmaction2's ``PackActionInputs``.

    Args:
        modalities: ``{modality name: results key}``.
        meta_keys: keys copied into the data sample's metainfo.
        algorithm_keys: custom keys set as data sample fields.
    """

    def __init__(self,
                 modalities: Mapping[str, str],
                 meta_keys: Sequence[str] = ('img_shape', 'img_key', 'video_id', 'timestamp'),
                 algorithm_keys: Sequence[str] = ()) -> None:
        if not modalities:
            raise ValueError('PackMultiModalInputs needs at least one modality')
        super().__init__(collect_keys=tuple(modalities.values()), meta_keys=meta_keys,
                         algorithm_keys=algorithm_keys)
        self.modalities = dict(modalities)

    def transform(self, results: Dict) -> Dict:
        for modality, key in self.modalities.items():
            if key not in results:
                raise KeyError(f'PackMultiModalInputs: modality {modality!r} reads results[{key!r}], which the '
                               f'pipeline did not produce; available keys: {sorted(results)}')
        packed = super().transform(results)
        packed['inputs'] = {m: packed['inputs'][key] for m, key in self.modalities.items()}
        return packed

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(modalities={self.modalities}, meta_keys={self.meta_keys})'
