from .audio_masking import AudioFrequencyTimeMask
from .audio_transforms import SampleAudioWindows
from .formatting import PackMultiModalInputs
from .load_audio import LoadAudioLogMel
from .rawframe_transforms import (DecodeFlowStacks, FormatFrameStacks,
                                  SyncedFrameTransforms)

__all__ = [
    'AudioFrequencyTimeMask', 'DecodeFlowStacks', 'FormatFrameStacks',
    'LoadAudioLogMel', 'PackMultiModalInputs', 'SampleAudioWindows',
    'SyncedFrameTransforms'
]
