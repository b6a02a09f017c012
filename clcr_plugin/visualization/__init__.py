"""Drawing multi-modal samples and predictions (NumPy + OpenCV only)."""
from .render import contact_sheet, draw_text, render_sample, spectrogram_image

__all__ = ['contact_sheet', 'draw_text', 'render_sample', 'spectrogram_image']
