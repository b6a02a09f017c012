"""Render one multi-modal sample as a contact sheet: its frames, its audio
windows as spectrogram images, and the labels drawn on top."""
from typing import Mapping, Optional, Sequence

import cv2
import numpy as np


def draw_text(image: np.ndarray, lines: Sequence[str]) -> np.ndarray:
    """``lines`` in white on a dark band at the top of an (H, W, 3) uint8
    image (a copy)."""
    out = np.ascontiguousarray(image).copy()
    h, w = out.shape[:2]
    scale = max(0.3, w / 640)
    step = int(22 * scale) + 4
    cv2.rectangle(out, (0, 0), (w, step * len(lines) + 4), (0, 0, 0), -1)
    for i, line in enumerate(lines):
        cv2.putText(out, line, (4, step * (i + 1)), cv2.FONT_HERSHEY_SIMPLEX,
                    scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def spectrogram_image(feature: np.ndarray, height: int,
                      width: int) -> np.ndarray:
    """A (F, T) log-mel window as an (height, width, 3) uint8 RGB image, low
    frequencies at the bottom, min-max scaled (viridis colours)."""
    feature = np.asarray(feature, np.float32)
    span = float(feature.max() - feature.min())
    scaled = (feature - feature.min()) / (span if span > 0 else 1.0)
    grey = (scaled[::-1] * 255).astype(np.uint8)
    grey = cv2.resize(grey, (width, height), interpolation=cv2.INTER_NEAREST)
    return cv2.applyColorMap(grey, cv2.COLORMAP_VIRIDIS)[..., ::-1].copy()


def _frames_of(x: np.ndarray) -> Optional[np.ndarray]:
    """(K, 3, H, W) or (V, 3, T, H, W) pixels -> (K', H, W, 3) uint8; None if
    ``x`` is not a 3-channel image stack."""
    if x.ndim == 4 and x.shape[1] == 3:
        frames = x.transpose(0, 2, 3, 1)
    elif x.ndim == 5 and x.shape[1] == 3:
        frames = x.transpose(0, 2, 3, 4, 1).reshape(-1, *x.shape[3:], 3)
    else:
        return None
    return np.clip(frames, 0, 255).astype(np.uint8)


def contact_sheet(tiles: Sequence[np.ndarray]) -> np.ndarray:
    """Tiles of one size side by side, (H, sum W, 3)."""
    return np.concatenate(list(tiles), axis=1)


def render_sample(inputs: Mapping[str, np.ndarray],
                  lines: Sequence[str],
                  max_frames: int = 8) -> np.ndarray:
    """One sample as an (H, W_total, 3) uint8 RGB contact sheet.

    Every 3-channel modality (RGB frames ``(K, 3, H, W)`` or clips
    ``(V, 3, T, H, W)``, unnormalised pixels as the pipeline packs them)
    gives up to ``max_frames`` frames; ``(V, 1, F, T)`` audio windows give
    one spectrogram tile per window and ``(T, D)`` feature sequences
    (sentiment) one ``D x T`` heat map, at the frames' size (128 x 128
    without frames). ``lines`` are drawn on
    the first tile.

    Raises:
        ValueError: naming the modality whose shape is neither.
    """
    frames, spectra = [], []
    for name, x in inputs.items():
        x = np.asarray(x)
        visual = _frames_of(x)
        if visual is not None:
            frames.extend(visual[:max_frames])
        elif x.ndim == 4 and x.shape[1] == 1:
            spectra.extend(w[0] for w in x)
        elif x.ndim == 2:  # a (T, D) feature sequence: D x T heat map
            spectra.append(x.T.astype(np.float32))
        else:
            raise ValueError(
                f'cannot draw modality {name!r} of shape {x.shape}: expected '
                '(K, 3, H, W) frames, (V, 3, T, H, W) clips, (V, 1, F, T) '
                'windows or (T, D) sequences')
    height, width = frames[0].shape[:2] if frames else (128, 128)
    tiles = list(frames) + [
        spectrogram_image(s, height, width) for s in spectra
    ]
    if not tiles:
        raise ValueError('the sample has no modality to draw')
    tiles[0] = draw_text(tiles[0], lines)
    return contact_sheet(tiles)
