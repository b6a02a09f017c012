from .audio_masking import AudioFrequencyTimeMask
from .audio_transforms import LoadAudioLogMel, SampleAudioWindows
from .formatting import PackMultiModalInputs

__all__ = [
    'AudioFrequencyTimeMask', 'LoadAudioLogMel', 'PackMultiModalInputs',
    'SampleAudioWindows'
]
