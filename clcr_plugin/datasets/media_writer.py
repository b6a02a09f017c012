"""Writing a clip, with or without sound, to an mp4 file."""
import os
from typing import Optional

import numpy as np


def write_mp4(path: str,
              frames: np.ndarray,
              wave: Optional[np.ndarray],
              fps: int,
              sample_rate: Optional[int] = None) -> None:
    """Write frames (T, H, W, 3) uint8 and a mono waveform (S,) float32 to an
    mp4; ``wave=None`` writes a video stream only.

    Video: MPEG-4 Part 2 (``mpeg4``, yuv420p), which PyAV encodes and decord
    0.6.0 decodes; audio: AAC at ``sample_rate``. Written to ``path +
    '.part'`` and renamed, so a file at ``path`` is always complete.
    Byte-identical for identical inputs.
    """
    import av  # imported here: only writing needs PyAV

    if wave is not None and sample_rate is None:
        raise ValueError(f'write_mp4({path!r}): a waveform needs its '
                         'sample_rate')

    tmp = path + '.part'
    with av.open(tmp, 'w', format='mp4') as out:
        video = out.add_stream('mpeg4', rate=fps)
        video.width, video.height = frames.shape[2], frames.shape[1]
        video.pix_fmt = 'yuv420p'
        video.bit_rate = 1_000_000
        if wave is not None:
            audio = out.add_stream('aac', rate=sample_rate)
            audio.layout = 'mono'
        for frame in frames:
            for packet in video.encode(
                    av.VideoFrame.from_ndarray(frame, format='rgb24')):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if wave is not None:
            chunk = 1024  # one AAC frame
            for start in range(0, len(wave), chunk):
                af = av.AudioFrame.from_ndarray(
                    wave[None, start:start + chunk],
                    format='fltp',
                    layout='mono')
                af.sample_rate, af.pts = sample_rate, start
                for packet in audio.encode(af):
                    out.mux(packet)
            for packet in audio.encode():
                out.mux(packet)
    os.replace(tmp, path)
