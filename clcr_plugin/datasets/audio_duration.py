"""How long a file's header says its audio lasts (no OpenMMLab imports).

A truncated download often still decodes: FFmpeg returns the samples that
are there and estimates the duration from the file's size. The header
written with the complete file still holds the real length, which
:func:`declared_audio_seconds` reads, so a short decode can be told apart
from short audio.
"""
import os.path as osp
from pathlib import Path
from typing import Optional, Union

UNKNOWN_SIZES = (0, 0xFFFFFFFF)  # what streaming wav writers put


def wav_declared_seconds(path: Union[str, Path]) -> Optional[float]:
    """The duration a RIFF/WAVE header declares: ``data`` chunk size / byte
    rate of the ``fmt`` chunk; None when the file is no wav or the sizes are
    unknown."""
    with open(path, 'rb') as f:
        head = f.read(12)
        if head[:4] != b'RIFF' or head[8:12] != b'WAVE':
            return None
        byte_rate = 0
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            name, size = chunk[:4], int.from_bytes(chunk[4:], 'little')
            if name == b'fmt ':
                body = f.read(size + (size & 1))
                byte_rate = int.from_bytes(body[8:12], 'little')
            elif name == b'data':
                if size in UNKNOWN_SIZES or not byte_rate:
                    return None
                return size / byte_rate
            else:
                f.seek(size + (size & 1), 1)  # chunks are padded to even


def declared_audio_seconds(path: Union[str, Path]) -> Optional[float]:
    """The duration of the first audio stream as the header declares it.

    A wav's from its RIFF header (:func:`wav_declared_seconds`); any other
    container's from the stream's ``duration`` as PyAV reads it (e.g. an
    mp4's ``moov`` box). None when the header declares none or the file
    cannot be opened.
    """
    if osp.splitext(str(path))[1].lower() == '.wav':
        return wav_declared_seconds(path)
    import av  # imported here: only this branch needs PyAV
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            if stream.duration is None or stream.time_base is None:
                return None
            return float(stream.duration * stream.time_base)
    except Exception:  # noqa: B902 PyAV raises many types; decoding reports
        return None
