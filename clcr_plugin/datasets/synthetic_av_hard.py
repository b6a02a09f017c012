"""The ``'hard'`` variant of the synthetic audio-visual set: shared evidence at
different levels per modality.

Same four binary factors, classes and labels as the default set
(:mod:`clcr_plugin.datasets.synthetic_av`), rendered differently:

======  ===================================  ==================================
factor  video                                audio
======  ===================================  ==================================
colour  shallow: colour of the large patch   --  (private to video)
pitch   --  (private to audio)               shallow: carrier of the beeps, 500
                                             / 1000 Hz
rhythm  shallow, local: wide / narrow        deep, temporal: 0.15 s beeps
        stripes of the large patch, *in      repeat at 1 / 2 Hz (one beep looks
        half of the clips*                   the same for both)
order   deep, temporal: a bar moves up       shallow, local: 0.2 s chirps sweep
        (rise) or down (fall), wrapping      up (rise) or down (fall) in 1.5-3
        around; any single frame is          kHz, *in half of the clips*
        uninformative
======  ===================================  ==================================

Label-free, modality-private nuisance mimics each cue: a small striped
*lure* patch of random colour and stripe width, and a moving dot (video); lure
chirps of random direction in 4.5-6.5 kHz and a lure pulse train at a random
1 / 2 Hz rate on a 3.5-4 kHz carrier (audio); plus the default set's grey
level, pixel noise, gain and white noise. See
``tools/data/synthetic_av/README.md``,
section "Harder variant", for the rationale and the predictions.
"""
from dataclasses import dataclass
from functools import partial
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .synthetic_av import (BAR_RGB, COLOUR_RGB, PITCH_HZ, RHYTHM_HZ,
                           SyntheticAVConfig, _bar_height, _num_frames,
                           _patch_size, _round, bayes_accuracy)
from .synthetic_av_default import smooth_gate

STRIPE_PERIOD = (
    0.2, 0.1
    # period of the stripes as a fraction of the frame size, per rhythm (wide,
    # narrow)
)
BAR_SPEED = 0.4  # frame heights per second
BEEP_S = 0.15
CHIRP_S, CHIRP_PERIOD_S = 0.2, 0.5
CHIRP_BAND = (1500.0, 3000.0)
LURE_CHIRP_BAND = (4500.0, 6500.0)
# probability that the shallow cue of a shared factor is shown (independently
# per modality)
CUE_PROBABILITY = 0.5

# Which factors a classifier can read, and how often: [(probability, visible
# factors), ...].
BAYES_VIEWS: Dict[str, List[Tuple[float, Sequence[str]]]] = {
    'video': [(0.5, ('colour', 'rhythm', 'order')),
              (0.5, ('colour', 'order'))],
    'audio': [(0.5, ('pitch', 'rhythm', 'order')), (0.5, ('pitch', 'rhythm'))],
    'both modalities': [(1.0, ('colour', 'pitch', 'rhythm', 'order'))],
    'shallow cues only': [(0.25, ('colour', 'pitch', 'rhythm', 'order')),
                          (0.25, ('colour', 'pitch', 'rhythm')),
                          (0.25, ('colour', 'pitch', 'order')),
                          (0.25, ('colour', 'pitch'))],
    'private cues + deep cues':
    [(1.0, ('colour', 'pitch', 'rhythm', 'order'))],
    'audio + video without frame order':
    [(0.5, ('colour', 'pitch', 'rhythm', 'order')),
     (0.5, ('colour', 'pitch', 'rhythm'))],
    'shared factors only': [(1.0, ('rhythm', 'order'))],
}
"""Classifier views of the hard variant; :func:`bayes_table` turns them into
Bayes accuracies."""


@dataclass(frozen=True)
class HardClipParams:
    """Everything random about one clip of the hard variant; drawn
    independently of its label.

    Cues: ``video_cue`` (the large patch shows its stripes), ``audio_cue`` (the
    chirps sound). Video: ``grey``, ``patch_yx``, ``lure_yx``, ``lure_colour``,
    ``lure_stripes``, ``bar_y0`` (top row of the bar at t = 0), ``dot_yx`` /
    ``dot_v``, ``video_noise_seed``. Audio: ``phase`` (beeps, fraction of a
    period), ``chirp_offset`` / ``lure_chirp_offset`` (s), ``lure_direction``
    (0 up, 1 down), ``lure_pulse_hz`` / ``lure_rhythm`` / ``lure_phase`` /
    ``lure_amp``, ``gain``, ``audio_noise_seed`` / ``noise_std``.
    """

    video_cue: bool
    audio_cue: bool
    grey: float
    patch_yx: tuple
    lure_yx: tuple
    lure_colour: int
    lure_stripes: int
    bar_y0: float
    dot_yx: tuple
    dot_v: tuple
    video_noise_seed: int
    phase: float
    chirp_offset: float
    lure_chirp_offset: float
    lure_direction: int
    lure_pulse_hz: float
    lure_rhythm: int
    lure_phase: float
    lure_amp: float
    gain: float
    audio_noise_seed: int
    noise_std: float


def bayes_table() -> Dict[str, float]:
    """Bayes accuracy of each view in :data:`BAYES_VIEWS`:
    ``sum_k p_k * bayes_accuracy(visible_k)``."""
    return {
        view: sum(p * bayes_accuracy(visible) for p, visible in cases)
        for view, cases in BAYES_VIEWS.items()
    }


def lure_size(size: int) -> int:
    return _patch_size(size) // 2


def draw_params(rng: np.random.RandomState,
                cfg: SyntheticAVConfig) -> HardClipParams:
    """Draw one clip's label-free parameters; the lure patch never overlaps the
    large patch."""
    size, patch, lure = cfg.size, _patch_size(cfg.size), lure_size(cfg.size)
    video_cue, audio_cue = bool(rng.uniform() < CUE_PROBABILITY), bool(
        rng.uniform() < CUE_PROBABILITY)
    patch_yx = (int(rng.randint(0, size - patch + 1)),
                int(rng.randint(0, size - patch + 1)))
    left = patch_yx[1]
    free_x = [
        *range(0, left - lure + 1), *range(left + patch, size - lure + 1)
    ]  # columns beside the patch
    lure_yx = (int(rng.randint(0, size - lure + 1)),
               int(free_x[rng.randint(len(free_x))]))
    return HardClipParams(
        video_cue=video_cue,
        audio_cue=audio_cue,
        grey=_round(rng.uniform(40, 120)),
        patch_yx=patch_yx,
        lure_yx=lure_yx,
        lure_colour=int(rng.randint(2)),
        lure_stripes=int(rng.randint(2)),
        bar_y0=_round(rng.uniform(0, size)),
        dot_yx=tuple(_round(v) for v in rng.uniform(0, size - 3, size=2)),
        dot_v=tuple(
            _round(v)
            for v in rng.uniform(-size / 4, size / 4, size=2) / cfg.fps),
        video_noise_seed=int(rng.randint(2**31)),
        phase=_round(rng.uniform()),
        chirp_offset=_round(rng.uniform(0, CHIRP_PERIOD_S)),
        lure_chirp_offset=_round(rng.uniform(0, CHIRP_PERIOD_S)),
        lure_direction=int(rng.randint(2)),
        lure_pulse_hz=_round(rng.uniform(3500, 4000)),
        lure_rhythm=int(rng.randint(2)),
        lure_phase=_round(rng.uniform()),
        lure_amp=_round(rng.uniform(0.5, 1.0)),
        gain=_round(rng.uniform(0.6, 1.0)),
        audio_noise_seed=int(rng.randint(2**31)),
        noise_std=_round(rng.uniform(0.005, 0.03)),
    )


def bar_rows(order: int, params: HardClipParams, t: float,
             size: int) -> np.ndarray:
    """Rows (bar height,) the bar covers at time ``t`` s: it moves up (rise,
    order 0) or down (fall), wrapping."""
    step = (-1.0 if order == 0 else 1.0) * BAR_SPEED * size * t
    top = int(np.floor(params.bar_y0 + step + 1e-9)) % size
    return (top + np.arange(_bar_height(size))) % size


def striped(colour: int, period: float, side: int) -> np.ndarray:
    """A (side, side, 3) patch of ``colour`` with vertical stripes of
    ``period`` pixels (0 / inf: flat)."""
    columns = 0.6 + 0.4 * (
        (np.arange(side) //
         (max(2.0, period) / 2)) % 2) if period else np.full(side, 0.8)
    return np.asarray(COLOUR_RGB[colour],
                      np.float32) * columns[None, :, None] * np.ones(
                          (side, 1, 1), np.float32)


def render_video(factors: Dict[str, int], params: HardClipParams,
                 cfg: SyntheticAVConfig) -> np.ndarray:
    """Frames (T, H, W, 3) uint8; depends on colour, order, and rhythm only
    when ``params.video_cue``."""
    T, size = _num_frames(cfg), cfg.size
    patch, lure = _patch_size(size), lure_size(size)
    main = striped(
        factors['colour'],
        STRIPE_PERIOD[factors['rhythm']] * size if params.video_cue else 0,
        patch)
    decoy = striped(params.lure_colour,
                    STRIPE_PERIOD[params.lure_stripes] * size, lure)
    noise = np.random.RandomState(params.video_noise_seed).normal(
        0, 8, (T, size, size, 3))
    frames = np.full(
        (T, size, size, 3), params.grey, np.float32) + noise.astype(np.float32)
    (top, left), (ltop, lleft) = params.patch_yx, params.lure_yx
    for t in range(T):
        frames[t,
               bar_rows(factors['order'], params, t / cfg.fps, size)] = BAR_RGB
        frames[t, top:top + patch, left:left + patch] = main
        frames[t, ltop:ltop + lure, lleft:lleft + lure] = decoy
        y, x = np.clip(
            np.add(params.dot_yx, np.multiply(params.dot_v, t)), 0,
            size - 3).astype(int)
        frames[t, y:y + 3, x:x + 3] = 255
    return np.clip(frames, 0, 255).astype(np.uint8)


def pulse_gate(ts: np.ndarray, rate: float, phase: float,
               length: float) -> np.ndarray:
    """1 during the ``length`` s after each onset ``(k - phase) / rate``, else
    0; (S,) like ``ts``."""
    return ((ts * rate + phase) % 1.0) < length * rate


def chirps(ts: np.ndarray, band: Tuple[float, float], up: bool,
           offset: float) -> np.ndarray:
    """Linear sweeps of ``CHIRP_S`` s across ``band`` (up or down), one every
    ``CHIRP_PERIOD_S`` from ``offset``."""
    local = (ts -
             offset) % CHIRP_PERIOD_S  # (S,) time since the last chirp onset
    f0, f1 = band if up else band[::-1]
    phase = 2 * np.pi * (f0 * local + (f1 - f0) * local**2 / (2 * CHIRP_S))
    return np.sin(phase) * np.sin(np.pi * np.clip(
        local / CHIRP_S, 0, 1))  # sine-window, silent between chirps


def render_audio(factors: Dict[str, int], params: HardClipParams,
                 cfg: SyntheticAVConfig) -> np.ndarray:
    """Mono waveform (S,) float32 in [-1, 1]; depends on pitch, rhythm, and
    order only when ``params.audio_cue``."""
    sr = cfg.sample_rate
    ts = np.arange(int(round(cfg.seconds * sr))) / sr  # (S,)
    smooth = partial(smooth_gate, sample_rate=sr)

    beeps = (
        smooth(
            pulse_gate(ts, RHYTHM_HZ[factors['rhythm']], params.phase, BEEP_S))
        * np.sin(2 * np.pi * PITCH_HZ[factors['pitch']] * ts))
    lure_pulses = (
        smooth(
            pulse_gate(ts, RHYTHM_HZ[params.lure_rhythm], params.lure_phase,
                       BEEP_S)) *
        np.sin(2 * np.pi * params.lure_pulse_hz * ts))
    lure_chirps = chirps(ts, LURE_CHIRP_BAND, params.lure_direction == 0,
                         params.lure_chirp_offset)
    wave = 0.25 * beeps + 0.15 * params.lure_amp * (lure_pulses + lure_chirps)
    if params.audio_cue:
        wave = wave + 0.2 * chirps(ts, CHIRP_BAND, factors['order'] == 0,
                                   params.chirp_offset)
    noise = np.random.RandomState(params.audio_noise_seed).normal(
        0, params.noise_std, ts.shape)
    return np.clip(params.gain * (wave + noise), -1, 1).astype(np.float32)


def factor_levels() -> Dict[str, Dict[str, str]]:
    """``{factor: {modality: level}}`` of the hard variant (for the
    annotation's metainfo)."""
    return dict(
        colour=dict(video='shallow'),
        pitch=dict(audio='shallow'),
        rhythm=dict(video='shallow', audio='deep'),
        order=dict(video='deep', audio='shallow'))
