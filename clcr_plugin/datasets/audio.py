"""Audio decoding and log-mel features (numpy + PyAV, no OpenMMLab imports)."""
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np


@dataclass(frozen=True)
class AudioFeatureConfig:
    """Log-mel parameters shared by the offline extractor and the transforms.

    Args:
        sample_rate: decode/resample rate in Hz. Default 16000.
        n_fft: FFT size. Default 512.
        hop_length: samples between frames. Default 160 (10 ms at 16 kHz).
        win_length: Hann window length. Default 400 (25 ms at 16 kHz).
        n_mels: mel bands. Default 128.
        fmin: lowest band edge in Hz. Default 0.
        fmax: highest band edge in Hz; None means sample_rate / 2.
        log_offset: added before the log. Default 1e-6.
    """

    sample_rate: int = 16000
    n_fft: int = 512
    hop_length: int = 160
    win_length: int = 400
    n_mels: int = 128
    fmin: float = 0.0
    fmax: Optional[float] = None
    log_offset: float = 1e-6

    @property
    def frame_rate(self) -> float:
        """Feature frames per second."""
        return self.sample_rate / self.hop_length

    def to_dict(self) -> dict:
        return asdict(self)


def decode_audio(path: str, sample_rate: int) -> np.ndarray:
    """Decode the first audio stream of any container to mono float32 at ``sample_rate``.

    Returns:
        (num_samples,) float32 waveform in [-1, 1].
    Raises:
        RuntimeError naming ``path`` when it cannot be opened or decoded,
        ValueError when it has no audio stream.
    """
    import av  # imported here: only decoding needs PyAV

    try:
        container = av.open(str(path))
    except Exception as exc:  # PyAV raises several error types
        raise RuntimeError(f'cannot open {path}: {exc}') from exc
    with container:
        if not container.streams.audio:
            raise ValueError(f'{path} has no audio stream')
        resampler = av.AudioResampler(format='flt', layout='mono', rate=sample_rate)
        chunks = []
        try:
            for frame in container.decode(audio=0):
                chunks.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(frame))
            chunks.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(None))
        except Exception as exc:
            raise RuntimeError(f'cannot decode the audio of {path}: {exc}') from exc
    if not chunks:
        return np.zeros(0, np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0,
                   fmax: Optional[float] = None) -> np.ndarray:
    """Triangular HTK-mel filters, unit peak.

    Returns:
        (n_mels, n_fft // 2 + 1) float32 weights over the FFT bins.
    """
    fmax = sample_rate / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ValueError(f'need 0 <= fmin < fmax <= sample_rate / 2, got fmin={fmin}, fmax={fmax}, '
                         f'sample_rate={sample_rate}')
    bins = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def log_mel_spectrogram(wave: np.ndarray, cfg: AudioFeatureConfig = AudioFeatureConfig()) -> np.ndarray:
    """Log-mel spectrogram of a mono waveform.

    Args:
        wave: (num_samples,) float waveform at ``cfg.sample_rate``.
        cfg: feature parameters.

    Returns:
        (n_mels, n_frames) float32, ``n_frames = 1 + num_samples // hop_length``
        (centred frames, reflect-free zero padding).
    """
    wave = np.asarray(wave, dtype=np.float32).reshape(-1)
    pad = cfg.n_fft // 2
    padded = np.pad(wave, (pad, pad))
    n_frames = 1 + len(wave) // cfg.hop_length
    starts = np.arange(n_frames) * cfg.hop_length
    window = np.zeros(cfg.n_fft, np.float32)
    offset = (cfg.n_fft - cfg.win_length) // 2
    window[offset:offset + cfg.win_length] = np.hanning(cfg.win_length + 1)[:-1]
    needed = starts[-1] + cfg.n_fft
    if needed > len(padded):
        padded = np.pad(padded, (0, needed - len(padded)))
    frames = padded[starts[:, None] + np.arange(cfg.n_fft)] * window  # (n_frames, n_fft)
    power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2  # (n_frames, n_fft // 2 + 1)
    fb = mel_filterbank(cfg.sample_rate, cfg.n_fft, cfg.n_mels, cfg.fmin, cfg.fmax)
    return np.log(power @ fb.T + cfg.log_offset).T.astype(np.float32)
