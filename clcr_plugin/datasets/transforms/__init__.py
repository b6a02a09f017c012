from .audio_transforms import (AudioFrequencyTimeMask, LoadAudioLogMel,
                               SampleAudioWindows)
from .formatting import PackMultiModalInputs

__all__ = [
    'AudioFrequencyTimeMask', 'LoadAudioLogMel', 'PackMultiModalInputs',
    'SampleAudioWindows'
]
