from .audio_transforms import (AudioFrequencyTimeMask, LoadAudioLogMel,
                               SampleAudioWindows)
from .depth_transforms import LoadDepthFrames
from .formatting import PackMultiModalInputs

__all__ = [
    'AudioFrequencyTimeMask', 'LoadAudioLogMel', 'LoadDepthFrames',
    'PackMultiModalInputs', 'SampleAudioWindows'
]
