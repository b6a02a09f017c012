from .audio_transforms import (AudioFrequencyTimeMask, LoadAudioLogMel,
                               SampleAudioWindows)
from .formatting import PackMultiModalInputs
from .segment_sampling import SampleSegmentAudio, SampleSegmentFrames

__all__ = [
    'AudioFrequencyTimeMask', 'LoadAudioLogMel', 'PackMultiModalInputs',
    'SampleAudioWindows', 'SampleSegmentAudio', 'SampleSegmentFrames'
]
