from .multimodal_recognizer import MultiModalRecognizer, StageTaps

__all__ = ['MultiModalRecognizer', 'StageTaps']
