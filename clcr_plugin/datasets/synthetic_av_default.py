"""The default variant of the synthetic audio-visual set (the table in
:mod:`clcr_plugin.datasets.synthetic_av`): its clip parameters and
renderers."""
from dataclasses import dataclass
from functools import partial
from typing import Dict

import numpy as np

from .synthetic_av import (BAR_RGB, COLOUR_RGB, DRONE_HZ, PITCH_HZ, RHYTHM_HZ,
                           STRIPE_PERIOD, SyntheticAVConfig, _bar_height,
                           _num_frames, _patch_size, _round)


@dataclass(frozen=True)
class ClipParams:
    """Everything random about one clip; drawn independently of its label.

    Shared timing (the same in both modalities): ``phase`` of the rhythm as a
    fraction of its period, ``first_s`` / ``second_s`` the times of the two
    events. Video nuisance: ``grey``, ``patch_yx``, ``dot_yx`` / ``dot_v``
    (pixels, pixels per frame), ``video_noise_seed``. Audio nuisance: ``gain``,
    ``audio_noise_seed`` / ``noise_std``, ``distractor_hz`` /
    ``distractor_amp`` /
    ``distractor_phase``.
    """

    phase: float
    first_s: float
    second_s: float
    grey: float
    patch_yx: tuple
    dot_yx: tuple
    dot_v: tuple
    video_noise_seed: int
    gain: float
    audio_noise_seed: int
    noise_std: float
    distractor_hz: float
    distractor_amp: float
    distractor_phase: float


def draw_params(rng: np.random.RandomState,
                cfg: SyntheticAVConfig) -> ClipParams:
    """Draw one clip's label-free parameters (rounded, so the annotation
    reproduces them exactly)."""
    size, patch = cfg.size, _patch_size(cfg.size)
    bar = _bar_height(cfg.size)
    return ClipParams(
        phase=_round(rng.uniform()),
        first_s=_round(rng.uniform(0.2, 0.4) * cfg.seconds),
        second_s=_round(rng.uniform(0.6, 0.8) * cfg.seconds),
        grey=_round(rng.uniform(40, 120)),
        patch_yx=(int(rng.randint(bar + 1, size - bar - patch)),
                  int(rng.randint(0, size - patch + 1))),
        dot_yx=tuple(_round(v) for v in rng.uniform(0, size - 3, size=2)),
        dot_v=tuple(
            _round(v)
            for v in rng.uniform(-size / 4, size / 4, size=2) / cfg.fps),
        video_noise_seed=int(rng.randint(2**31)),
        gain=_round(rng.uniform(0.6, 1.0)),
        audio_noise_seed=int(rng.randint(2**31)),
        noise_std=_round(rng.uniform(0.005, 0.03)),
        distractor_hz=_round(rng.uniform(4500, 7000)),
        distractor_amp=_round(rng.uniform(0.0, 0.1)),
        distractor_phase=_round(rng.uniform(0, 2 * np.pi)),
    )


def event_times(order: int, params: ClipParams) -> Dict[str, float]:
    """Onset in seconds of the ``'low'`` (bottom bar, low drone) and ``'high'``
    (top bar, high drone) events."""
    first, second = params.first_s, params.second_s
    return dict(
        low=first, high=second) if order == 0 else dict(
            low=second, high=first)


def render_video(factors: Dict[str, int], params: ClipParams,
                 cfg: SyntheticAVConfig) -> np.ndarray:
    """Frames (T, H, W, 3) uint8 of a clip; depends on colour, rhythm, order
    only."""
    T, size = _num_frames(cfg), cfg.size
    patch, bar = _patch_size(size), _bar_height(size)
    rate = RHYTHM_HZ[factors['rhythm']]
    events = event_times(factors['order'], params)
    times = np.arange(T) / cfg.fps  # (T,)
    bright = ((times * rate + params.phase) % 1.0) < 0.5  # (T,)
    period = max(2.0, STRIPE_PERIOD[factors['rhythm']] * size)
    stripes = 0.6 + 0.4 * (
        (np.arange(patch) // (period / 2)) % 2)  # (patch,) across columns
    texture = np.asarray(COLOUR_RGB[factors['colour']],
                         np.float32) * stripes[:, None]  # (patch, 3)
    noise = np.random.RandomState(params.video_noise_seed).normal(
        0, 8, (T, size, size, 3))
    frames = np.full(
        (T, size, size, 3), params.grey, np.float32) + noise.astype(np.float32)
    top, left = params.patch_yx
    for t in range(T):
        frames[t, top:top + patch,
               left:left + patch] = texture * (1.0 if bright[t] else 0.45)
        if times[t] >= events['low']:
            frames[t, size - bar:] = BAR_RGB
        if times[t] >= events['high']:
            frames[t, :bar] = BAR_RGB
        y, x = np.clip(
            np.add(params.dot_yx, np.multiply(params.dot_v, t)), 0,
            size - 3).astype(int)
        frames[t, y:y + 3, x:x + 3] = 255
    return np.clip(frames, 0, 255).astype(np.uint8)


def smooth_gate(gate: np.ndarray, sample_rate: int) -> np.ndarray:
    """A 0/1 gate (S,) with 10 ms Hann fades, so on/offsets do not click."""
    ramp = np.hanning(int(0.01 * sample_rate))
    ramp /= ramp.sum()
    return np.convolve(gate.astype(np.float64), ramp, mode='same')


def render_audio(factors: Dict[str, int], params: ClipParams,
                 cfg: SyntheticAVConfig) -> np.ndarray:
    """Mono waveform (S,) float32 in [-1, 1] of a clip; depends on pitch,
    rhythm, order only."""
    sr = cfg.sample_rate
    ts = np.arange(int(round(cfg.seconds * sr))) / sr  # (S,)
    smooth = partial(smooth_gate, sample_rate=sr)

    rate = RHYTHM_HZ[factors['rhythm']]
    beeps = smooth(((ts * rate + params.phase) % 1.0) < 0.5) * np.sin(
        2 * np.pi * PITCH_HZ[factors['pitch']] * ts)
    events = event_times(factors['order'], params)
    drones = sum(
        smooth(ts >= events[name]) * np.sin(2 * np.pi * hz * ts)
        for name, hz in zip(('low', 'high'), DRONE_HZ))
    distractor = params.distractor_amp * np.sin(
        2 * np.pi * params.distractor_hz * ts + params.distractor_phase)
    noise = np.random.RandomState(params.audio_noise_seed).normal(
        0, params.noise_std, ts.shape)
    wave = params.gain * (0.25 * beeps + 0.15 * drones + distractor + noise)
    return np.clip(wave, -1, 1).astype(np.float32)
