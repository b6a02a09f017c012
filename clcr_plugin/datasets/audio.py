"""Audio decoding and log-mel features (numpy + PyAV, no OpenMMLab imports).

mmaction2 1.x only loads precomputed audio features, so the plug-in decodes
audio itself: :func:`decode_audio` reads the first audio stream of any
container PyAV opens (wav, mp4, flv, avi, mkv ...), downmixes to mono and
resamples with PyAV's ``AudioResampler``; :func:`log_mel_spectrogram` turns
the waveform into a natural-log mel power spectrogram with an HTK-scale,
unit-peak triangular filter bank (:func:`mel_filterbank`). The offline
extractor (``tools/data/extract_audio_features.py``) and the
``LoadAudioLogMel`` transform share these functions through
:class:`AudioFeatureConfig`, so a ``.npy`` feature equals the on-the-fly one.
"""
import textwrap
import typing
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Optional, Tuple, TypeVar, Union

import numpy as np

HOP_SECONDS = 0.010  # default hop: 10 ms
WIN_SECONDS = 0.025  # default window: 25 ms
# a docstring line that :func:`document_settings` replaces
SETTINGS_MARKER = '<audio settings>'


def _setting(default: Any, doc: str, unset: str = '') -> Any:
    """A field of :class:`AudioFeatureConfig` with its documentation.

    Args:
        default: the field's default.
        doc: what the setting is, one sentence.
        unset: what a None default resolves to. Default ``''``.
    """
    return field(default=default, metadata=dict(doc=doc, unset=unset))


@dataclass(frozen=True)
class AudioFeatureConfig:
    """Log-mel settings: the one definition behind every place that takes them.

    ``LoadAudioLogMel``'s keyword arguments, the extractor's command-line
    options (``--hop-length`` for ``hop_length`` ...), their documentation
    and the extractor's ``audio_feature_config.json`` all come from these
    fields; adding a setting here adds it everywhere. Lengths left as None
    are derived from ``sample_rate`` when the config is built, so
    ``AudioFeatureConfig(sample_rate=22050)`` keeps 10 ms hops.

    Args:
        <audio settings>
    """

    sample_rate: int = _setting(16000, 'decode/resample rate in Hz.')
    n_fft: Optional[int] = _setting(
        None, 'FFT size (each window is zero-padded to it).',
        'twice the smallest power of two >= ``win_length`` (1024 at 16 kHz), '
        'fine enough that 128 mel bands '
        'all get FFT bins')
    hop_length: Optional[int] = _setting(None, 'samples between frames.',
                                         '10 ms (160 at 16 kHz)')
    win_length: Optional[int] = _setting(None,
                                         'Hann window length in samples.',
                                         '25 ms (400 at 16 kHz)')
    n_mels: int = _setting(128, 'mel bands.')
    fmin: float = _setting(0.0, 'lowest band edge in Hz.')
    fmax: Optional[float] = _setting(None, 'highest band edge in Hz.',
                                     '``sample_rate / 2``')
    log_offset: float = _setting(
        1e-6,
        'added to the mel power before the natural log (the value of silence '
        'is '
        '``log(log_offset)``).')

    def __post_init__(self) -> None:
        if self.sample_rate <= 0:
            raise ValueError(
                f'sample_rate must be positive, got {self.sample_rate}')
        win = self.win_length or int(round(WIN_SECONDS * self.sample_rate))
        hop = self.hop_length or int(round(HOP_SECONDS * self.sample_rate))
        n_fft = self.n_fft or 2 * (1 << (win - 1).bit_length())
        fmax = self.sample_rate / 2 if self.fmax is None else float(self.fmax)
        if hop <= 0 or win <= 0 or self.n_mels <= 0:
            raise ValueError(
                'hop_length, win_length and n_mels must be positive, got '
                f'{hop}, {win}, {self.n_mels}')
        if win > n_fft:
            raise ValueError(
                f'win_length ({win}) must not exceed n_fft ({n_fft})')
        if not 0 <= self.fmin < fmax <= self.sample_rate / 2:
            raise ValueError('need 0 <= fmin < fmax <= sample_rate / 2, got '
                             f'fmin={self.fmin}, fmax={fmax}, '
                             f'sample_rate={self.sample_rate}')
        if self.log_offset <= 0:
            raise ValueError(
                f'log_offset must be positive, got {self.log_offset}')
        for name, value in (('win_length', win), ('hop_length', hop),
                            ('n_fft', n_fft), ('fmax', fmax)):
            object.__setattr__(
                self, name, value)  # frozen: resolve the derived defaults once

    @classmethod
    def from_dict(cls, settings: Mapping[str, Any],
                  source: str) -> 'AudioFeatureConfig':
        """Build from ``settings`` (keyword arguments, a json record), naming
        ``source`` on unknown keys.

        Settings left out take their defaults.

        Raises:
            KeyError: a key is not a setting; the message names ``source``,
                the key and the known settings.
        """
        unknown = sorted(set(settings) - {s.name for s in audio_settings()})
        if unknown:
            raise KeyError(
                f'{source}: unknown audio settings {unknown}; known: '
                f'{[s.name for s in audio_settings()]}')
        return cls(**settings)

    @property
    def frame_rate(self) -> float:
        """Feature frames per second."""
        return self.sample_rate / self.hop_length

    def to_dict(self) -> dict:
        """The resolved settings (what the extractor records in its json)."""
        return asdict(self)


class AudioSetting(NamedTuple):
    """One field of :class:`AudioFeatureConfig`, as the transform and the
    extractor describe it."""

    name: str
    type: type  # int or float (None is allowed where ``default`` is None)
    default: Any
    # ``'<what it is>. Default <default>[: <what None resolves to>].'``
    doc: str


def audio_settings() -> Tuple[AudioSetting, ...]:
    """Every setting of :class:`AudioFeatureConfig`, in field order."""
    hints = typing.get_type_hints(AudioFeatureConfig)
    out = []
    for f in fields(AudioFeatureConfig):
        kind = next(
            t for t in typing.get_args(hints[f.name]) or (hints[f.name], )
            if t is not type(None))
        unset = f.metadata['unset']
        doc = f'{f.metadata["doc"]} Default {f.default}' + (f': {unset}.'
                                                            if unset else '.')
        out.append(AudioSetting(f.name, kind, f.default, doc))
    return tuple(out)


T = TypeVar('T')


def document_settings(obj: T) -> T:
    """Replace the ``<audio settings>`` line of ``obj``'s docstring by one
    ``Args`` entry per setting.

    The entries take the marker line's indentation, so a class that takes the
    settings as keyword arguments (``LoadAudioLogMel``) documents every one of
    them without spelling them out. Returns ``obj``.

    Raises:
        ValueError: the docstring has no ``<audio settings>`` line.
    """
    if obj.__doc__ is None:  # python -OO
        return obj
    lines = obj.__doc__.split('\n')
    marked = [
        i for i, line in enumerate(lines) if line.strip() == SETTINGS_MARKER
    ]
    if not marked:
        raise ValueError(
            f'the docstring of {obj.__qualname__} has no {SETTINGS_MARKER!r} '
            'line to replace')
    at = marked[0]
    indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
    entries = [
        textwrap.fill(
            f'{s.name}: {s.doc}',
            79,
            initial_indent=indent,
            subsequent_indent=indent + '    ') for s in audio_settings()
    ]
    obj.__doc__ = '\n'.join(lines[:at] + entries + lines[at + 1:])
    return obj


document_settings(AudioFeatureConfig)


def decode_audio(path: Union[str, Path], sample_rate: int) -> np.ndarray:
    """Decode the first audio stream of any container to mono float32 at
    ``sample_rate``.

    Channels are averaged (PyAV's mono downmix) and resampled with
    ``av.AudioResampler``; encoder priming is dropped by FFmpeg, so sample 0
    is the stream's first presented sample.

    Args:
        path: audio or video file (wav, mp4, flv, avi, mkv ...).
        sample_rate: output rate in Hz.

    Returns:
        (num_samples,) float32 waveform, nominally in [-1, 1].

    Raises:
        RuntimeError naming ``path`` when it cannot be opened or decoded.
        ValueError naming ``path`` when it has no audio stream or its audio
        stream holds no samples.
    """
    import av  # imported here: only decoding needs PyAV

    try:
        container = av.open(str(path))
    # PyAV raises several error types (FileNotFoundError, InvalidDataError ...)
    except Exception as exc:
        raise RuntimeError(f'cannot open {path}: {exc}') from exc
    with container:
        if not container.streams.audio:
            raise ValueError(f'{path} has no audio stream')
        resampler = av.AudioResampler(
            format='flt', layout='mono', rate=sample_rate)
        chunks = []
        try:
            for frame in container.decode(audio=0):
                chunks.extend(r.to_ndarray().reshape(-1)
                              for r in resampler.resample(frame))
            chunks.extend(r.to_ndarray().reshape(-1)
                          for r in resampler.resample(None))  # flush
        except Exception as exc:
            raise RuntimeError(
                f'cannot decode the audio of {path}: {exc}') from exc
    if not chunks or not sum(len(c) for c in chunks):
        raise ValueError(f'the audio stream of {path} holds no samples')
    return np.concatenate(chunks).astype(np.float32, copy=False)


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """HTK mel scale: ``2595 * log10(1 + hz / 700)``."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`: ``700 * (10 ** (mel / 2595) - 1)``."""
    return 700.0 * (10.0**(np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(sample_rate: int,
                   n_fft: int,
                   n_mels: int,
                   fmin: float = 0.0,
                   fmax: Optional[float] = None) -> np.ndarray:
    """Triangular filters equally spaced on the HTK mel scale, each peaking at
    1.

    Band ``m`` rises from edge ``m`` to its centre (edge ``m + 1``) and falls
    to edge ``m + 2``, where the ``n_mels + 2`` edges are equally spaced in mel
    between ``fmin`` and ``fmax`` (torchaudio's ``melscale_fbanks`` with
    ``mel_scale='htk', norm=None``). Warns when a band falls between FFT bins
    and so has no weight (raise ``n_fft`` or lower ``n_mels``).

    Args:
        sample_rate: audio rate in Hz.
        n_fft: FFT size; the bins are ``k * sample_rate / n_fft``.
        n_mels: number of bands.
        fmin: lowest edge in Hz. Default 0.
        fmax: highest edge in Hz. Default None: ``sample_rate / 2``.

    Returns:
        (n_mels, n_fft // 2 + 1) float32 weights over the FFT bins.
    """
    fmax = sample_rate / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ValueError(
            f'need 0 <= fmin < fmax <= sample_rate / 2, got fmin={fmin}, '
            f'fmax={fmax}, '
            f'sample_rate={sample_rate}')
    bins = np.arange(n_fft // 2 + 1) * sample_rate / n_fft  # (n_bins,) Hz
    edges = mel_to_hz(
        np.linspace(hz_to_mel(fmin), hz_to_mel(fmax),
                    n_mels + 2))  # (n_mels + 2,) Hz
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    fb = np.maximum(0.0,
                    np.minimum(rising,
                               falling)).astype(np.float32)  # (n_mels, n_bins)
    empty = np.flatnonzero(fb.max(1) == 0)
    if empty.size:
        warnings.warn(
            f'mel bands {empty.tolist()} of {n_mels} cover no FFT bin at '
            f'sample_rate={sample_rate}, '
            f'n_fft={n_fft}; raise n_fft or lower n_mels')
    return fb


def log_mel_spectrogram(wave: np.ndarray,
                        cfg: Optional[AudioFeatureConfig] = None
                        ) -> np.ndarray:
    """Natural-log mel power spectrogram of a mono waveform.

    Frames are centred: frame ``t`` is the Hann-windowed ``win_length``
    samples around sample ``t * hop_length`` (zeros beyond the ends),
    zero-padded to ``n_fft``; its power spectrum goes through
    :func:`mel_filterbank`, then ``log(power + log_offset)``.

    Args:
        wave: (num_samples,) float waveform at ``cfg.sample_rate``.
        cfg: the settings. Default None: ``AudioFeatureConfig()``.

    Returns:
        (n_mels, n_frames) float32,
        ``n_frames = 1 + num_samples // hop_length``.
    """
    cfg = AudioFeatureConfig() if cfg is None else cfg
    wave = np.asarray(wave, dtype=np.float32).reshape(-1)
    half = cfg.win_length // 2
    n_frames = 1 + len(wave) // cfg.hop_length
    starts = np.arange(
        n_frames
    ) * cfg.hop_length  # (n_frames,) window starts in the padded wave
    padded = np.pad(
        wave,
        (half, max(half, starts[-1] + cfg.win_length - half - len(wave))))
    window = np.hanning(cfg.win_length +
                        1)[:-1].astype(np.float32)  # periodic Hann
    frames = padded[starts[:, None] + np.arange(
        cfg.win_length)] * window  # (n_frames, win_length)
    power = np.abs(np.fft.rfft(frames, n=cfg.n_fft,
                               axis=-1))**2  # (n_frames, n_fft // 2 + 1)
    fb = mel_filterbank(cfg.sample_rate, cfg.n_fft, cfg.n_mels, cfg.fmin,
                        cfg.fmax)
    return np.log(power @ fb.T +
                  cfg.log_offset).T.astype(np.float32)  # (n_mels, n_frames)
