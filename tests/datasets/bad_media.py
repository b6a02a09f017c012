"""Real broken media files, written with PyAV and numpy, for the bad-data
tests."""
import json
from pathlib import Path
from typing import List

import numpy as np
import pytest

from clcr_plugin.datasets.audio import AudioFeatureConfig, log_mel_spectrogram
from clcr_plugin.datasets.audio_record import write_record
from clcr_plugin.datasets.media_writer import write_mp4

FPS, SECONDS, SIZE, RATE = 8, 2.0, 32, 16000
# the feature settings of the bad-data pipelines (50 frames per second)
AUDIO_CFG = dict(n_mels=40, n_fft=512, hop_length=320)


def noisy_tone(seconds: float, seed: int = 0) -> np.ndarray:
    """A 440 Hz tone with noise: never silent, never constant."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * 440 * t) +
            0.05 * rng.standard_normal(len(t))).astype(np.float32)


def frames(seed: int = 0) -> np.ndarray:
    """(T, H, W, 3) uint8 frames of ``SECONDS`` at ``FPS``."""
    rng = np.random.default_rng(seed)
    return rng.integers(
        0, 255, (int(FPS * SECONDS), SIZE, SIZE, 3), dtype=np.uint8)


def write_video_only_mp4(path: Path, video: np.ndarray) -> None:
    """An mp4 with a video stream and no audio stream."""
    write_mp4(str(path), video, None, FPS)


def write_wav(path: Path, wave: np.ndarray) -> None:
    """A 16-bit mono wav at ``RATE``."""
    import av
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('pcm_s16le', rate=RATE)
        stream.layout = 'mono'
        frame = av.AudioFrame.from_ndarray(
            (np.clip(wave, -1, 1) * 32767).astype(np.int16)[None],
            format='s16',
            layout='mono')
        frame.sample_rate = RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def write_ann(path: Path, data_list: List[dict], num_classes: int = 4) -> str:
    path.write_text(
        json.dumps(
            dict(
                metainfo=dict(classes=[f'c{i}' for i in range(num_classes)]),
                data_list=data_list)))
    return str(path)


@pytest.fixture(scope='session')
def bad_media(tmp_path_factory) -> Path:
    """A folder of good and broken clips (2 s, 16 frames of 32x32 at 8 fps):

    * ``good{0,1,2}.mp4``: video + noisy audio;
    * ``no_audio.mp4``: no audio stream;
    * ``cut.mp4``: ``good0.mp4`` cut in half (a half-downloaded file);
    * ``short.wav``: 0.5 s of audio; ``silent.wav``: 2 s of zeros;
    * ``truncated.wav``: the first 44 % of the bytes of a 2 s wav (its
      header still declares 2 s);
    * ``feats/{good,nan,inf}.npy`` with the pipeline's settings record;
    * ``feats_hop160/good.npy``: made with hop 160, no record (read at hop
      320 it lasts twice the video).
    """
    root = tmp_path_factory.mktemp('bad_media')
    for seed in range(3):
        write_mp4(
            str(root / f'good{seed}.mp4'),
            frames(seed),
            noisy_tone(SECONDS, seed),
            fps=FPS,
            sample_rate=RATE)
    write_video_only_mp4(root / 'no_audio.mp4', frames(3))
    whole = (root / 'good0.mp4').read_bytes()
    (root / 'cut.mp4').write_bytes(whole[:len(whole) // 2])
    write_wav(root / 'short.wav', noisy_tone(0.5))
    write_wav(root / 'silent.wav', np.zeros(int(SECONDS * RATE), np.float32))
    write_wav(root / 'whole.wav', noisy_tone(SECONDS))
    whole = (root / 'whole.wav').read_bytes()
    (root / 'truncated.wav').write_bytes(whole[:len(whole) * 44 // 100])
    cfg = AudioFeatureConfig(**AUDIO_CFG)
    feature = log_mel_spectrogram(noisy_tone(SECONDS), cfg)  # (40, 101)
    (root / 'feats').mkdir()
    write_record(str(root / 'feats'), cfg)
    np.save(root / 'feats' / 'good.npy', feature)
    for name, value in (('nan', np.nan), ('inf', np.inf)):
        broken = feature.copy()
        broken[3, 17] = value
        np.save(root / 'feats' / f'{name}.npy', broken)
    (root / 'feats_hop160').mkdir()
    np.save(
        root / 'feats_hop160' / 'good.npy',
        log_mel_spectrogram(
            noisy_tone(SECONDS),
            AudioFeatureConfig(**dict(AUDIO_CFG, hop_length=160))))
    return root
