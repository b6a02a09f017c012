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
rhythm, order)``, both from label-free clip parameters
(:class:`~clcr_plugin.datasets.synthetic_av_default.ClipParams`);
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
from itertools import product
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

from .media_writer import write_mp4

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
        # imported here: the variants build on this module
        from . import synthetic_av_hard as hard

        return (hard.draw_params, hard.render_video, hard.render_audio,
                hard.HardClipParams)
    if variant == 'default':
        from . import synthetic_av_default as default

        return (default.draw_params, default.render_video,
                default.render_audio, default.ClipParams)
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
    ``ClipParams``, or ``HardClipParams`` for ``variant='hard'``."""
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
