"""``SentimentPickleDataset``: CMU-MOSI / CMU-MOSEI processed pickles through
mmengine, and ``PackSentimentInputs``."""
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmaction.registry import DATASETS, TRANSFORMS
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

from .sentiment_pickle import load_pickle, read_split


@DATASETS.register_module()
class SentimentPickleDataset(BaseDataset):
    """One split of an ``aligned_50.pkl`` / ``unaligned_50.pkl`` file.

    Each item is ``dict(text=..., audio=..., vision=..., modalities=[...],
    seq_lengths={m: int}, gt_regression=float, id=str)`` with features
    ``(T_m, D_m)`` float32 (``(3, 50)`` int64 token ids, attention mask and
    segment ids for ``text`` with ``text_key='text_bert'``). Non-finite
    feature values are set to 0 (or raise), lengths follow the file's
    ``*_lengths`` or the text mask and are clipped to ``[1, T]``: see
    :mod:`clcr_plugin.datasets.sentiment_pickle`; the counts are logged.

    Args:
        ann_file (str): the pickle, relative to ``data_root`` unless
            absolute.
        split (str): ``'train'``, ``'valid'`` or ``'test'``. Default 'train'.
        modalities (Sequence[str]): modalities to read; leave one out to test
            without it (the model fuses those present). Default
            ``('text', 'audio', 'vision')``.
        text_key (str): ``'text'`` (768-d BERT features of the pickle) or
            ``'text_bert'`` (token ids for a BERT backbone). Default 'text'.
        nonfinite (str): ``'zero'`` or ``'error'``. Default 'zero'.
        pipeline (list): transforms, built in mmaction's scope. Default
            ``[PackSentimentInputs]``.
        **kwargs: ``data_root``, ``test_mode``, ... as mmengine's
            ``BaseDataset``.
    """

    def __init__(self,
                 ann_file: str,
                 split: str = 'train',
                 modalities: Sequence[str] = ('text', 'audio', 'vision'),
                 text_key: str = 'text',
                 nonfinite: str = 'zero',
                 pipeline: Optional[List[Union[dict, Callable]]] = None,
                 **kwargs) -> None:
        self.split = split
        self.modalities = tuple(modalities)
        self.text_key = text_key
        self.nonfinite = nonfinite
        if pipeline is None:
            pipeline = [dict(type='PackSentimentInputs')]
        with DefaultScope.overwrite_default_scope('mmaction'):
            super().__init__(ann_file=ann_file, pipeline=pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read, validate and clean the split; one dict per utterance."""
        part = read_split(
            load_pickle(self.ann_file), self.split, self.modalities,
            self.text_key, self.nonfinite, self.ann_file)
        self.cleaned_counts = part.cleaned
        self.clipped_lengths = part.clipped
        MMLogger.get_current_instance().info(
            f'{self.ann_file} [{self.split}]: {len(part)} samples; '
            f'non-finite values set to 0: {part.cleaned}; lengths clipped '
            f'to [1, T]: {part.clipped}')
        return [
            dict({m: part.features[m][i]
                  for m in self.modalities},
                 modalities=list(self.modalities),
                 seq_lengths={
                     m: int(part.lengths[m][i])
                     for m in self.modalities
                 },
                 gt_regression=float(part.labels[i]),
                 id=str(part.ids[i])) for i in range(len(part))
        ]


@TRANSFORMS.register_module()
class PackSentimentInputs(BaseTransform):
    """Pack a sentiment sample: ``inputs={m: tensor}`` for every modality in
    ``results['modalities']``, an ``ActionDataSample`` with ``gt_regression``
    (float tensor ``(1,)``) and the meta keys.

    Args:
        meta_keys (Sequence[str]): keys copied into the metainfo; the
            recognizer reads ``seq_lengths`` for padding masks. Default
            ``('id', 'seq_lengths')``.
    """

    def __init__(self, meta_keys: Sequence[str] = ('id', 'seq_lengths')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: Dict) -> Dict:
        missing = [
            k for k in ('modalities', 'gt_regression',
                        *results.get('modalities', ())) if k not in results
        ]
        if missing:
            raise KeyError(f'PackSentimentInputs: results lack {missing}; '
                           f'they hold {sorted(results)}')
        inputs = {
            m: torch.from_numpy(np.ascontiguousarray(results[m]))
            for m in results['modalities']
        }
        sample = ActionDataSample()
        sample.set_field(
            torch.tensor([results['gt_regression']], dtype=torch.float32),
            'gt_regression')
        sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
