"""SpecAugment-style masking of the audio windows."""
from typing import Dict

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from .audio_transforms import require_key


@TRANSFORMS.register_module()
class AudioFrequencyTimeMask(BaseTransform):
    """SpecAugment-style masking of ``audios`` (training only).

    Each of ``num_masks`` rounds sets a band of ``U{0..max_freq}`` mel bins
    and a span of ``U{0..max_time}`` frames, at random positions, to the
    windows' minimum, the same for every clip. Uses numpy's global RNG (which
    mmengine seeds per worker).

    Args:
        max_freq: widest frequency mask in bands. Default 8.
        max_time: widest time mask in frames. Default 10.
        num_masks: masks of each kind. Default 1.
    """

    def __init__(self,
                 max_freq: int = 8,
                 max_time: int = 10,
                 num_masks: int = 1) -> None:
        if min(max_freq, max_time, num_masks) < 0:
            raise ValueError(
                'max_freq, max_time and num_masks must be >= 0, got '
                f'{max_freq}, {max_time}, {num_masks}')
        self.max_freq = max_freq
        self.max_time = max_time
        self.num_masks = num_masks

    def transform(self, results: Dict) -> Dict:
        audios = np.array(
            require_key(results, 'audios', 'AudioFrequencyTimeMask'),
            copy=True)
        floor = audios.min()
        # (num_clips, 1, n_mels, n_frames)
        _, _, n_mels, n_frames = audios.shape
        for _ in range(self.num_masks):
            f = np.random.randint(0, min(self.max_freq, n_mels) + 1)
            f0 = np.random.randint(0, n_mels - f + 1)
            audios[:, :, f0:f0 + f] = floor
            t = np.random.randint(0, min(self.max_time, n_frames) + 1)
            t0 = np.random.randint(0, n_frames - t + 1)
            audios[:, :, :, t0:t0 + t] = floor
        results['audios'] = audios
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(max_freq={self.max_freq}, '
                f'max_time={self.max_time}, '
                f'num_masks={self.num_masks})')
