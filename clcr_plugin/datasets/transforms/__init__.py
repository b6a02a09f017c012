from .audio_masking import AudioFrequencyTimeMask
from .audio_transforms import SampleAudioWindows
from .depth_transforms import LoadDepthFrames
from .formatting import PackMultiModalInputs
from .load_audio import LoadAudioLogMel
from .rawframe_transforms import (DecodeFlowStacks, FormatFrameStacks,
                                  SyncedFrameTransforms)
from .segment_sampling import SampleSegmentAudio, SampleSegmentFrames

__all__ = [
    'AudioFrequencyTimeMask', 'DecodeFlowStacks', 'FormatFrameStacks',
    'LoadAudioLogMel', 'LoadDepthFrames', 'PackMultiModalInputs',
    'SampleAudioWindows', 'SampleSegmentAudio', 'SampleSegmentFrames',
    'SyncedFrameTransforms'
]
