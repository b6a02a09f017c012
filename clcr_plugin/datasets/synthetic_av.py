"""A synthetic audio-visual set where neither modality alone solves the task.

Each clip has three binary factors, one per semantic level:

=========  ===========================  ==========================  ==========================
level      factor                       video shows it as           audio shows it as
=========  ===========================  ==========================  ==========================
shallow    ``colour`` (red / blue)      colour of a square patch    -- (not audible)
mid        ``rhythm`` (slow / fast)     the patch pulses bright/dim beat clicks at 1 / 2 Hz,
                                        at 1 / 2 Hz and carries     in phase with the pulses
                                        wide / narrow stripes
deep       ``sweep`` (up / down)        -- (not visible)            a pitch glide over the clip
=========  ===========================  ==========================  ==========================

``label = 4 * colour + 2 * rhythm + sweep`` (8 classes). Video alone sees
``colour`` and ``rhythm``: every video-visible combination is shared by two
labels (the sweep), so its Bayes accuracy is 50 %; audio alone sees ``rhythm``
and ``sweep``, also 50 %. Only fusion reaches 100 %. ``rhythm`` is shared
cross-modal evidence (the same beats, aligned in time; the stripe density makes
it visible in a single frame too, so a few sampled frames suffice).

Private nuisance carries no label: random background grey, pixel noise and a
randomly moving white dot (video); a steady distractor tone of random pitch
and loudness and white noise (audio).
"""
import json
import os
import os.path as osp
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

COLOURS = {'red': (210, 40, 40), 'blue': (40, 60, 210)}
RHYTHMS_HZ = {'slow': 1.0, 'fast': 2.0}
STRIPE_PERIOD = {'slow': 0.2, 'fast': 0.066}  # fraction of the frame size
SWEEPS = ('up', 'down')
CLASSES = tuple(f'{c}-{r}-{s}' for c in COLOURS for r in RHYTHMS_HZ for s in SWEEPS)
SPLIT_OFFSETS = {'train': 0, 'val': 1_000_000, 'test': 2_000_000}


@dataclass(frozen=True)
class SyntheticAVConfig:
    """Generation settings (all recorded in the manifest)."""

    seed: int = 0
    train_per_class: int = 40
    val_per_class: int = 10
    test_per_class: int = 12
    size: int = 64
    fps: int = 8
    seconds: float = 2.0
    sample_rate: int = 16000


def factors_of(label: int) -> Dict[str, int]:
    """``{'colour', 'rhythm', 'sweep'}`` bits of a label."""
    return {'colour': label // 4, 'rhythm': (label // 2) % 2, 'sweep': label % 2}


def render_clip(label: int, rng: np.random.RandomState, cfg: SyntheticAVConfig) -> Tuple[np.ndarray, np.ndarray, dict]:
    """Frames (T, H, W, 3) uint8, audio (S,) float32 and the nuisance draws of one clip."""
    f = factors_of(label)
    T, S, size = int(round(cfg.seconds * cfg.fps)), int(round(cfg.seconds * cfg.sample_rate)), cfg.size
    rate = list(RHYTHMS_HZ.values())[f['rhythm']]
    phase = rng.uniform(0, 1.0 / rate)
    # video
    grey = rng.uniform(40, 120)
    patch = max(4, int(0.4 * size))
    top, left = rng.randint(0, size - patch, size=2)
    colour = np.array(list(COLOURS.values())[f['colour']], dtype=np.float32)
    period = max(2.0, list(STRIPE_PERIOD.values())[f['rhythm']] * size)
    stripes = 0.6 + 0.4 * ((np.arange(patch) // (period / 2)) % 2)  # (patch,) across columns
    dot = rng.uniform(0, size - 3, size=2)
    velocity = rng.uniform(-size / 4, size / 4, size=2) / cfg.fps
    frames = np.empty((T, size, size, 3), np.uint8)
    for t in range(T):
        time = t / cfg.fps
        bright = ((time + phase) * rate) % 1.0 < 0.5
        img = np.full((size, size, 3), grey, np.float32) + rng.normal(0, 10, (size, size, 3))
        img[top:top + patch, left:left + patch] = colour * stripes[None, :, None] * (1.0 if bright else 0.45)
        y, x = np.clip(dot + velocity * t, 0, size - 3).astype(int)
        img[y:y + 3, x:x + 3] = 255
        frames[t] = np.clip(img, 0, 255).astype(np.uint8)
    # audio
    ts = np.arange(S) / cfg.sample_rate
    lo, hi = 300.0, 1500.0
    f0, f1 = (lo, hi) if f['sweep'] == 0 else (hi, lo)
    inst = f0 + (f1 - f0) * ts / cfg.seconds
    wave = 0.2 * np.sin(2 * np.pi * np.cumsum(inst) / cfg.sample_rate)
    click = (rng.normal(0, 1, int(0.03 * cfg.sample_rate)) * np.hanning(int(0.03 * cfg.sample_rate))) * 0.5
    onset = -phase
    while onset < cfg.seconds:
        start = int(round(onset * cfg.sample_rate))
        if start >= 0:
            end = min(S, start + len(click))
            wave[start:end] += click[:end - start]
        onset += 1.0 / rate
    distractor = rng.uniform(2000, 4000)
    wave += rng.uniform(0, 0.1) * np.sin(2 * np.pi * distractor * ts + rng.uniform(0, 2 * np.pi))
    wave += rng.normal(0, 0.02, S)
    nuisance = dict(grey=float(grey), distractor_hz=float(distractor), phase=float(phase))
    return frames, np.clip(wave, -1, 1).astype(np.float32), nuisance


def write_mp4(path: str, frames: np.ndarray, wave: np.ndarray, fps: int, sample_rate: int) -> None:
    """Write frames (T, H, W, 3) uint8 and mono audio to an mp4 (MPEG-4 Part 2 video + AAC)."""
    import av

    tmp = path + '.part'
    with av.open(tmp, 'w', format='mp4') as out:
        video = out.add_stream('mpeg4', rate=fps)
        video.width, video.height = frames.shape[2], frames.shape[1]
        video.pix_fmt = 'yuv420p'
        video.bit_rate = 2_000_000
        audio = out.add_stream('aac', rate=sample_rate)
        audio.layout = 'mono'
        for frame in frames:
            for packet in video.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        chunk = 1024
        for start in range(0, len(wave), chunk):
            af = av.AudioFrame.from_ndarray(wave[None, start:start + chunk], format='fltp', layout='mono')
            af.sample_rate, af.pts = sample_rate, start
            for packet in audio.encode(af):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    os.replace(tmp, path)


def _manifest(cfg: SyntheticAVConfig) -> dict:
    return dict(generator='clcr_plugin.datasets.synthetic_av', version=2, config=asdict(cfg))


def is_generated(out_dir: str, cfg: SyntheticAVConfig) -> bool:
    """True when ``out_dir`` holds a complete set made with exactly ``cfg``."""
    path = osp.join(out_dir, 'manifest.json')
    if not osp.isfile(path):
        return False
    with open(path) as f:
        return json.load(f) == _manifest(cfg)


def generate(out_dir: str, cfg: SyntheticAVConfig = SyntheticAVConfig(), overwrite: bool = False,
             progress: bool = True) -> Dict[str, str]:
    """Write ``<split>/*.mp4`` and ``<split>.json`` annotations; returns ``{split: annotation path}``.

    Skips the work when the manifest shows the same settings (unless ``overwrite``).
    The manifest is written last, so an interrupted run is redone.
    """
    splits = {'train': cfg.train_per_class, 'val': cfg.val_per_class, 'test': cfg.test_per_class}
    anns = {s: osp.join(out_dir, f'{s}.json') for s in splits}
    if not overwrite and is_generated(out_dir, cfg):
        return anns
    manifest = osp.join(out_dir, 'manifest.json')
    if osp.exists(manifest):
        os.remove(manifest)
    total = len(CLASSES) * sum(splits.values())
    bar = _progress(total) if progress else None
    for split, per_class in splits.items():
        os.makedirs(osp.join(out_dir, split), exist_ok=True)
        data_list: List[dict] = []
        for i in range(per_class * len(CLASSES)):
            label = i % len(CLASSES)
            rng = np.random.RandomState(cfg.seed * 7_919 + SPLIT_OFFSETS[split] + i)
            frames, wave, nuisance = render_clip(label, rng, cfg)
            rel = f'{split}/{i:06d}.mp4'
            write_mp4(osp.join(out_dir, rel), frames, wave, cfg.fps, cfg.sample_rate)
            data_list.append(dict(video=rel, label=label, factors=factors_of(label), nuisance=nuisance))
            if bar is not None:
                bar.update()
        metainfo = dict(dataset='synthetic-av', classes=list(CLASSES), fps=cfg.fps, seconds=cfg.seconds,
                        sample_rate=cfg.sample_rate)
        with open(anns[split], 'w') as f:
            json.dump(dict(metainfo=metainfo, data_list=data_list), f, indent=1, sort_keys=True)
    if bar is not None:
        print()
    with open(manifest, 'w') as f:
        json.dump(_manifest(cfg), f, indent=1, sort_keys=True)
    return anns


def _progress(total: int) -> Optional[object]:
    from mmengine.utils import ProgressBar

    return ProgressBar(total)
