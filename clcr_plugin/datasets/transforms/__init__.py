from .audio_transforms import (AudioFrequencyTimeMask, LoadAudioLogMel,
                               SampleAudioWindows)
from .formatting import PackMultiModalInputs
from .rawframe_transforms import (DecodeFlowStacks, FormatFrameStacks,
                                  SyncedFrameTransforms)
from .segment_sampling import SampleSegmentAudio, SampleSegmentFrames

__all__ = [
    'AudioFrequencyTimeMask', 'DecodeFlowStacks', 'FormatFrameStacks',
    'LoadAudioLogMel', 'PackMultiModalInputs', 'SampleAudioWindows',
    'SampleSegmentAudio', 'SampleSegmentFrames', 'SyncedFrameTransforms'
]
