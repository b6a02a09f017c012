from .audio_transforms import (AudioFrequencyTimeMask, LoadAudioLogMel,
                               SampleAudioWindows)
from .depth_transforms import LoadDepthFrames
from .formatting import PackMultiModalInputs
from .rawframe_transforms import (DecodeFlowStacks, FormatFrameStacks,
                                  SyncedFrameTransforms)

__all__ = [
    'AudioFrequencyTimeMask', 'DecodeFlowStacks', 'FormatFrameStacks',
    'LoadAudioLogMel', 'LoadDepthFrames', 'PackMultiModalInputs',
    'SampleAudioWindows', 'SyncedFrameTransforms'
]
