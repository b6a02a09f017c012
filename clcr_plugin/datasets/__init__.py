"""Datasets and transforms registered in mmaction2's registries, and the
numpy-only audio features.

The registered parts are imported only where OpenMMLab is installed, so
``clcr_plugin.datasets.audio`` also works without it.
"""
from .. import OPENMMLAB_AVAILABLE

if OPENMMLAB_AVAILABLE:
    from .audio_visual_dataset import AudioVisualDataset
    from .rawframe_dataset import MultiModalRawframeDataset
    from .segment_dataset import SegmentAudioVisualDataset
    from .sentiment_dataset import PackSentimentInputs, SentimentPickleDataset
    from .transforms import (AudioFrequencyTimeMask, LoadAudioLogMel,
                             LoadDepthFrames, PackMultiModalInputs,
                             SampleAudioWindows, SampleSegmentAudio,
                             SampleSegmentFrames)

    __all__ = [
        'AudioFrequencyTimeMask', 'AudioVisualDataset', 'LoadAudioLogMel',
        'LoadDepthFrames', 'MultiModalRawframeDataset', 'PackMultiModalInputs',
        'PackSentimentInputs', 'SampleAudioWindows', 'SampleSegmentAudio',
        'SampleSegmentFrames', 'SegmentAudioVisualDataset',
        'SentimentPickleDataset'
    ]
