"""A synthetic audio-visual set that neither modality can solve alone.

Four binary factors make 16 classes,
``label = 8 * colour + 4 * pitch + 2 * rhythm + order``:

=======  ======  ==========  ========================  ========================
level    factor  values      video shows it as         audio has it as
=======  ======  ==========  ========================  ========================
shallow  colour  red, blue   colour of a square patch  -- (private to video)
shallow  pitch   low, high   --  (private to audio)    beeps at 500 / 1000 Hz
mid      rhythm  slow, fast  the patch pulses at 1 /   the beeps sound at 1 / 2
                             2 Hz, with wide / narrow  Hz, in phase with the
                             stripes                   pulses
deep     order   rise, fall  a bar at the bottom edge  a 200 Hz drone and a 3
                             and one at the top edge   kHz drone start one
                             appear one after the      after the other, at the
                             other (rise: bottom       same times (rise: low
                             first)                    first)
=======  ======  ==========  ========================  ========================

Video is rendered from ``(colour, rhythm, order)``, audio from ``(pitch,
rhythm, order)``, both from label-free clip parameters (:class:`ClipParams`);
so each video-visible combination is shared by two labels and the Bayes
accuracy of any video-only or audio-only classifier is 50 %
(:func:`bayes_accuracy`). ``rhythm`` and ``order`` are shared cross-modal
evidence, aligned in time. Private nuisance carries no label: background grey,
pixel noise, patch position and a moving white dot (video); gain, white noise
and a distractor tone of random pitch (audio). See
``tools/data/synthetic_av/README.md``. ``SyntheticAVConfig(variant='hard')``
renders the same factors at different levels per modality, with lures
(:mod:`clcr_plugin.datasets.synthetic_av_hard`).
"""
import json
import os
import os.path as osp
from dataclasses import asdict, dataclass
from functools import partial
from itertools import product
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

FACTORS: Dict[str, tuple] = {
    'colour': ('red', 'blue'),
    'pitch': ('low', 'high'),
    'rhythm': ('slow', 'fast'),
    'order': ('rise', 'fall'),
}
"""Factor name -> value names; a label's bits are the factors in this order
(colour is the top bit)."""
LEVELS: Dict[str, str] = {
    'colour': 'shallow',
    'pitch': 'shallow',
    'rhythm': 'mid',
    'order': 'deep'
}
VISIBLE: Dict[str, tuple] = {
    'video': ('colour', 'rhythm', 'order'),
    'audio': ('pitch', 'rhythm', 'order')
}
"""Modality -> the factors its signal depends on."""
CLASSES = tuple('-'.join(names) for names in product(*FACTORS.values()))
SPLITS = ('train', 'val', 'test')
VARIANTS = ('default', 'hard')

COLOUR_RGB = ((210, 40, 40), (40, 60, 210))
PITCH_HZ = (500.0, 1000.0)
RHYTHM_HZ = (1.0, 2.0)
STRIPE_PERIOD = (
    0.2, 0.066
)  # stripe period of the patch as a fraction of the frame size, per rhythm
BAR_RGB = (40, 200, 40)
DRONE_HZ = (200.0, 3000.0)  # (bottom-bar event, top-bar event)


@dataclass(frozen=True)
class SyntheticAVConfig:
    """Generation settings (all recorded in the manifest).

    Args:
        seed: base seed; clip ``i`` of split ``s`` uses
            ``RandomState([seed, s, i])``. Default 0.
        train_per_class: training clips per class. Default 20 (320 clips).
        val_per_class: validation clips per class. Default 6 (96 clips).
        test_per_class: test clips per class. Default 6 (96 clips).
        size: frame height and width in pixels, even, >= 16. Default 64.
        fps: video frame rate. Default 10.
        seconds: clip length. Default 2.0.
        sample_rate: audio rate in Hz (AAC, mono). Default 16000.
        variant: ``'default'``, or ``'hard'``: the same factors at different
            levels per modality, shallow cues shown in half of the clips, lures
            (:mod:`~clcr_plugin.datasets.synthetic_av_hard`).
            Default 'default'.
    """

    seed: int = 0
    train_per_class: int = 20
    val_per_class: int = 6
    test_per_class: int = 6
    size: int = 64
    fps: int = 10
    seconds: float = 2.0
    sample_rate: int = 16000
    variant: str = 'default'

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f'variant must be one of {list(VARIANTS)}, got '
                             f'{self.variant!r}')
        if not 0 <= self.seed < 2**32:
            raise ValueError(f'seed must be in [0, 2**32), got {self.seed}')
        for split in SPLITS:
            if getattr(self, f'{split}_per_class') < 0:
                raise ValueError(f'{split}_per_class must be >= 0, got '
                                 f'{getattr(self, f"{split}_per_class")}')
        if self.size % 2 or self.size < 16:
            raise ValueError(
                f'size must be an even number >= 16 (yuv420p), got {self.size}'
            )
        if self.fps < 4 or self.seconds < 1.0:
            raise ValueError(
                'need fps >= 4 and seconds >= 1.0 to show a 1 Hz rhythm, got '
                f'{self.fps}, '
                f'{self.seconds}')
        if self.sample_rate < 8000:
            raise ValueError(
                'sample_rate must be >= 8000 to hold the 3 kHz drone, got '
                f'{self.sample_rate}')

    def per_class(self, split: str) -> int:
        """Clips per class of ``split``."""
        return getattr(self, f'{split}_per_class')


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


def factors_of(label: int) -> Dict[str, int]:
    """The factor values (0 or 1) of ``label``, e.g.
    ``{'colour': 1, 'pitch': 0, 'rhythm': 1, 'order': 0}``."""
    if not 0 <= label < len(CLASSES):
        raise ValueError(f'label must be in [0, {len(CLASSES)}), got {label}')
    bits = len(FACTORS)
    return {
        name: (label >> (bits - 1 - k)) & 1
        for k, name in enumerate(FACTORS)
    }


def label_of(factors: Dict[str, int]) -> int:
    """Inverse of :func:`factors_of`."""
    label = 0
    for name in FACTORS:
        label = 2 * label + int(factors[name])
    return label


def bayes_accuracy(visible: Sequence[str]) -> float:
    """Best accuracy of a classifier that sees only the factors ``visible``
    (uniform classes).

    Labels sharing the visible values are indistinguishable, so the best guess
    is right 1 / (group size) of the time: accuracy = #groups / #classes.
    """
    unknown = set(visible) - set(FACTORS)
    if unknown:
        raise ValueError(
            f'unknown factors {sorted(unknown)}; allowed: {list(FACTORS)}')
    groups = {
        tuple(factors_of(y)[f] for f in visible)
        for y in range(len(CLASSES))
    }
    return len(groups) / len(CLASSES)


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


def metainfo(cfg: SyntheticAVConfig) -> dict:
    """The ``metainfo`` of every split's annotation file."""
    if cfg.variant == 'hard':
        from .synthetic_av_hard import factor_levels

        factors = {
            name:
            dict(
                values=list(FACTORS[name]),
                levels=levels,
                modalities=list(levels))
            for name, levels in factor_levels().items()
        }
        header = dict(dataset='synthetic-av-hard', variant='hard')
    else:
        factors = {
            name:
            dict(
                values=list(values),
                level=LEVELS[name],
                modalities=[m for m, seen in VISIBLE.items() if name in seen])
            for name, values in FACTORS.items()
        }
        header = dict(dataset='synthetic-av')
    return dict(
        **header,
        classes=list(CLASSES),
        factors=factors,
        fps=cfg.fps,
        seconds=cfg.seconds,
        sample_rate=cfg.sample_rate,
        size=cfg.size)


def renderers(variant: str) -> Tuple[Callable, Callable, Callable, type]:
    """``(draw_params, render_video, render_audio, params class)`` of a
    variant."""
    if variant == 'hard':
        # imported here: it builds on this module
        from . import synthetic_av_hard as hard

        return (hard.draw_params, hard.render_video, hard.render_audio,
                hard.HardClipParams)
    if variant == 'default':
        return draw_params, render_video, render_audio, ClipParams
    raise ValueError(
        f'variant must be one of {list(VARIANTS)}, got {variant!r}')


def is_generated(out_dir: str, cfg: SyntheticAVConfig) -> bool:
    """True when ``out_dir`` holds a complete set made by this generator
    version with exactly ``cfg``."""
    path = osp.join(out_dir, 'manifest.json')
    if not osp.isfile(path) or not all(
            osp.isfile(osp.join(out_dir, f'{s}.json')) for s in SPLITS):
        return False
    with open(path) as f:
        return json.load(f) == _manifest(cfg)


def generate(out_dir: str,
             cfg: SyntheticAVConfig = SyntheticAVConfig(),
             overwrite: bool = False,
             progress: bool = True) -> Dict[str, str]:
    """Write ``<split>/NNNNNN.mp4`` and ``<split>.json`` for train/val/test;
    returns ``{split: annotation path}``.

    Skipped when the manifest shows the same settings, unless ``overwrite``.
    The manifest is written last, so an interrupted run is redone. Clips are
    ordered ``label = index % 16``: every split is balanced.
    """
    anns = {s: osp.join(out_dir, f'{s}.json') for s in SPLITS}
    if not overwrite and is_generated(out_dir, cfg):
        return anns
    manifest = osp.join(out_dir, 'manifest.json')
    if osp.exists(manifest):
        os.remove(manifest)
    bar = _progress_bar(len(CLASSES) *
                        sum(cfg.per_class(s)
                            for s in SPLITS)) if progress else None
    draw, video, audio, _ = renderers(cfg.variant)
    for split_id, split in enumerate(SPLITS):
        os.makedirs(osp.join(out_dir, split), exist_ok=True)
        data_list: List[dict] = []
        for i in range(cfg.per_class(split) * len(CLASSES)):
            label = i % len(CLASSES)
            factors = factors_of(label)
            params = draw(np.random.RandomState([cfg.seed, split_id, i]), cfg)
            rel = f'{split}/{i:06d}.mp4'
            write_mp4(
                osp.join(out_dir, rel), video(factors, params, cfg),
                audio(factors, params, cfg), cfg.fps, cfg.sample_rate)
            data_list.append(
                dict(
                    video=rel,
                    label=label,
                    factors=factors,
                    params=asdict(params)))
            if bar is not None:
                bar.update()
        with open(anns[split], 'w') as f:
            json.dump(
                dict(metainfo=metainfo(cfg), data_list=data_list),
                f,
                indent=1,
                sort_keys=True)
    if bar is not None:
        print()
    with open(manifest, 'w') as f:
        json.dump(_manifest(cfg), f, indent=1, sort_keys=True)
    return anns


def params_from_json(raw: dict, variant: str = 'default'):
    """The clip parameters stored in an annotation entry's ``params`` (JSON
    turns tuples into lists):
    :class:`ClipParams`, or ``HardClipParams`` for ``variant='hard'``."""
    params_class = renderers(variant)[3]
    return params_class(**{
        k: tuple(v) if isinstance(v, list) else v
        for k, v in raw.items()
    })


def _manifest(cfg: SyntheticAVConfig) -> dict:
    config = asdict(cfg)
    if cfg.variant == 'default':
        del config[
            'variant']  # sets generated before variants existed stay valid
    return dict(
        generator='clcr_plugin.datasets.synthetic_av',
        version=3,
        config=config)


def _round(x: float) -> float:
    return round(float(x), 4)


def _num_frames(cfg: SyntheticAVConfig) -> int:
    return int(round(cfg.seconds * cfg.fps))


def _patch_size(size: int) -> int:
    return max(4, int(0.4 * size))


def _bar_height(size: int) -> int:
    return max(2, size // 12)


def _progress_bar(total: int):
    from mmengine.utils import ProgressBar

    return ProgressBar(total)
