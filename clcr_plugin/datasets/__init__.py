"""Datasets and transforms registered in mmaction2's registries."""
from .audio_visual_dataset import AudioVisualDataset
from .transforms import AudioFrequencyTimeMask, LoadAudioLogMel, PackMultiModalInputs, SampleAudioWindows

__all__ = ['AudioFrequencyTimeMask', 'AudioVisualDataset', 'LoadAudioLogMel', 'PackMultiModalInputs',
           'SampleAudioWindows']
