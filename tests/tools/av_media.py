"""Helpers for the converter tests (imported as ``av_media``): tiny real
media files in the official containers, and a few Runner iterations of a
config on converted data."""
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

# the audio settings the converter tests extract with (small, fast) and the
# configs are switched to
TINY_AUDIO = dict(
    sample_rate=16000, n_fft=512, hop_length=160, win_length=400, n_mels=32)
TINY_AUDIO_ARGS = ['--n-fft', '512', '--n-mels', '32']


def _audio_frame(wave: np.ndarray, fmt: str, rate: int, pts: int):
    import av

    if fmt.startswith('s16'):
        data = (wave * 32767).astype(np.int16)
    elif fmt.startswith('s32'):
        data = (wave * 2**30).astype(np.int32)
    else:
        data = wave.astype(np.float32)
    frame = av.AudioFrame.from_ndarray(data[None], format=fmt, layout='mono')
    frame.sample_rate, frame.pts = rate, pts
    return frame


def write_clip(path: Path,
               fmt: str = 'mp4',
               video_codec: str = 'mpeg4',
               audio_codec: Optional[str] = 'aac',
               audio_rate: int = 16000,
               seconds: float = 1.0,
               fps: int = 8,
               size: Tuple[int, int] = (24, 32),
               shade: int = 0) -> Path:
    """A clip of grey frames (``shade + 20 * i``) and a 440 Hz tone; no
    audio stream when ``audio_codec`` is None."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    num = int(seconds * fps)
    with av.open(str(path), 'w', format=fmt) as out:
        video = out.add_stream(video_codec, rate=fps)
        video.height, video.width = size
        video.pix_fmt = 'yuv420p'
        audio = None
        if audio_codec is not None:
            audio = out.add_stream(audio_codec, rate=audio_rate)
            audio.layout = 'mono'
        for i in range(num):
            img = np.full((*size, 3), (shade + 20 * i) % 256, np.uint8)
            for packet in video.encode(
                    av.VideoFrame.from_ndarray(img, format='rgb24')):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if audio is not None:
            fmt_name = audio.codec_context.codec.audio_formats[0].name
            t = np.arange(int(seconds * audio_rate)) / audio_rate
            wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, len(wave), 1152):
                for packet in audio.encode(
                        _audio_frame(wave[start:start + 1152], fmt_name,
                                     audio_rate, start)):
                    out.mux(packet)
            for packet in audio.encode():
                out.mux(packet)
    return path


def write_wav(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    """A 16-bit mono wav of a 440 Hz tone."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('pcm_s16le', rate=rate)
        stream.layout = 'mono'
        for packet in stream.encode(_audio_frame(wave, 's16', rate, 0)):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def tiny_config(config: Path,
                work_dir: Path,
                ann_dir: Path,
                data_prefix: Dict[str, str],
                train_clips: int = 4):
    """``config`` on converted data at tiny shapes: 16x16 frames, the tiny
    audio settings with a 1 s window, batch 2, no workers, one epoch over the
    first ``train_clips`` training clips without validation (the test loop
    evaluates)."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(work_dir)
    cfg.model.dry_run_inputs = dict(rgb=(3, 16, 16), audio=(1, 32, 100))
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        loader.dataset.ann_file = str(ann_dir / f'{split}.json')
        loader.dataset.data_prefix = dict(data_prefix)
        for step in loader.dataset.pipeline:
            if step['type'] == 'Resize':
                step['scale'] = (16, 16)
            elif step['type'] == 'LoadAudioLogMel':
                step.update(TINY_AUDIO)
            elif step['type'] == 'SampleAudioWindows':
                step['window_seconds'] = 1.0
    cfg.train_dataloader.dataset.indices = train_clips
    cfg.train_cfg.update(max_epochs=1, val_interval=2)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    return cfg


def train_and_test(cfg) -> Tuple[int, dict]:
    """Train (see :func:`tiny_config`), then the test loop; returns
    ``(train iterations, test metrics)``."""
    from mmengine.runner import Runner

    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.iter, runner.test()
