"""Inference with a trained multi-modal recognizer (mmaction2's ``apis``
names)."""
from .inference import (MODALITY_TRANSFORMS, inference_recognizer,
                        init_recognizer, segment_scores, top_k)
from .input_kinds import (InputKind, find_input_kind, register_input_kind,
                          sentiment_sample)
from .window_inference import WindowPrediction, inference_windows

__all__ = [
    'InputKind', 'MODALITY_TRANSFORMS', 'WindowPrediction', 'find_input_kind',
    'inference_recognizer', 'inference_windows', 'init_recognizer',
    'register_input_kind', 'segment_scores', 'sentiment_sample', 'top_k'
]
