"""Audio-visual clips with one label per time segment (event
localisation)."""
from typing import Optional

from mmaction.registry import DATASETS

from .audio_visual_dataset import AudioVisualDataset


@DATASETS.register_module()
class SegmentAudioVisualDataset(AudioVisualDataset):
    """:class:`AudioVisualDataset` whose entries also label every segment.

    Each entry holds, beside ``video`` and the clip ``label``,
    ``segment_labels``: ``num_segments`` ints, an event class in
    ``[0, len(classes))`` or the background index ``len(classes)``, e.g. for
    AVE (28 events, ten 1 s segments)::

        {"video": "AVE/-0A9suni5YA.mp4", "label": 3,
         "segment_labels": [28, 28, 3, 3, 3, 3, 3, 28, 28, 28], ...}

    The labels travel to the data samples with
    ``PackMultiModalInputs(algorithm_keys=('segment_labels',))``. The
    metainfo gains ``background_index`` (``len(classes)``) and
    ``num_segments``.

    Args:
        ann_file: path of the JSON annotation.
        pipeline: transforms.
        num_segments: segments per clip. Default 10 (AVE: 10 seconds).
        **kwargs: as :class:`AudioVisualDataset`.

    Raises:
        KeyError: an entry lacks ``segment_labels``.
        ValueError: ``segment_labels`` is not a list of ``num_segments``
            ints in ``[0, len(classes)]``; the message names the annotation
            file, the entry's index and the value.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: list,
                 num_segments: int = 10,
                 **kwargs) -> None:
        if num_segments <= 0:
            raise ValueError(
                f'num_segments must be positive, got {num_segments}')
        self.num_segments = int(num_segments)
        super().__init__(ann_file, pipeline, **kwargs)

    def load_data_list(self) -> list:
        data_list = super().load_data_list()
        self._metainfo['background_index'] = len(self._metainfo['classes'])
        self._metainfo['num_segments'] = self.num_segments
        return data_list

    def _parse(self, index: int, raw: dict,
               num_classes: int) -> Optional[dict]:
        info = super()._parse(index, raw, num_classes)
        if info is None:  # an entry a bad-data policy drops
            return None
        where = f'{self.ann_file}: data_list[{index}]'
        if 'segment_labels' not in raw:
            raise KeyError(f"{where} lacks the field 'segment_labels' "
                           f'(fields present: {sorted(raw)})')
        labels = raw['segment_labels']
        valid = isinstance(labels,
                           list) and len(labels) == self.num_segments and all(
                               isinstance(v, int) and not isinstance(v, bool)
                               and 0 <= v <= num_classes for v in labels)
        if not valid:
            raise ValueError(
                f"{where}: field 'segment_labels' is {labels!r}; expected "
                f'{self.num_segments} ints in [0, {num_classes}] (event '
                f'classes, {num_classes} = background)')
        return info
