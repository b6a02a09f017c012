from .audio_masking import AudioFrequencyTimeMask
from .audio_transforms import LoadAudioLogMel, SampleAudioWindows
from .formatting import PackMultiModalInputs
from .rawframe_transforms import (DecodeFlowStacks, FormatFrameStacks,
                                  SyncedFrameTransforms)

__all__ = [
    'AudioFrequencyTimeMask', 'DecodeFlowStacks', 'FormatFrameStacks',
    'LoadAudioLogMel', 'PackMultiModalInputs', 'SampleAudioWindows',
    'SyncedFrameTransforms'
]
