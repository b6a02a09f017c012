"""Writing a clip with sound to an mp4 file."""
import os

import numpy as np


def write_mp4(path: str, frames: np.ndarray, wave: np.ndarray, fps: int,
              sample_rate: int) -> None:
    """Write frames (T, H, W, 3) uint8 and a mono waveform (S,) float32 to an
    mp4.

    Video: MPEG-4 Part 2 (``mpeg4``, yuv420p), which PyAV encodes and decord
    0.6.0 decodes; audio: AAC. Written to ``path + '.part'`` and renamed, so a
    file at ``path`` is always complete. Byte-identical for identical inputs.
    """
    import av  # imported here: only writing needs PyAV

    tmp = path + '.part'
    with av.open(tmp, 'w', format='mp4') as out:
        video = out.add_stream('mpeg4', rate=fps)
        video.width, video.height = frames.shape[2], frames.shape[1]
        video.pix_fmt = 'yuv420p'
        video.bit_rate = 1_000_000
        audio = out.add_stream('aac', rate=sample_rate)
        audio.layout = 'mono'
        for frame in frames:
            for packet in video.encode(
                    av.VideoFrame.from_ndarray(frame, format='rgb24')):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        chunk = 1024  # one AAC frame
        for start in range(0, len(wave), chunk):
            af = av.AudioFrame.from_ndarray(
                wave[None, start:start + chunk], format='fltp', layout='mono')
            af.sample_rate, af.pts = sample_rate, start
            for packet in audio.encode(af):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    os.replace(tmp, path)
