"""Shared fixtures: tiny media files and a tiny synthetic audio-visual set,
built by the tests."""
import numpy as np
import pytest
from tool_scripts import load_script

from clcr_plugin.datasets.synthetic_av import (SyntheticAVConfig, generate,
                                               write_mp4)

TINY_AV = SyntheticAVConfig(
    seed=3,
    train_per_class=2,
    val_per_class=1,
    test_per_class=1,
    size=32,
    fps=8,
    seconds=2.0)


@pytest.fixture(scope='session')
def tiny_av_cfg() -> SyntheticAVConfig:
    return TINY_AV


@pytest.fixture(scope='session')
def make_tone():
    return tone


@pytest.fixture(scope='session')
def tiny_av_set(tmp_path_factory):
    """A synthetic set of 16 train / 8 val / 8 test clips; returns its
    folder."""
    root = tmp_path_factory.mktemp('synthetic_av')
    generate(str(root), TINY_AV, progress=False)
    return root


def tone(freq: float,
         seconds: float,
         sample_rate: int = 16000,
         start: float = 0.0) -> np.ndarray:
    """A sine of ``freq`` Hz that begins at ``start`` seconds (silence
    before)."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return (0.5 * np.sin(2 * np.pi * freq * t) *
            (t >= start)).astype(np.float32)


@pytest.fixture(scope='session')
def media_files(tmp_path_factory):
    """A wav (440 Hz from 1.0 s on, 2 s) and an mp4 with the same audio and 16
    frames at 8 fps."""
    import av

    root = tmp_path_factory.mktemp('media')
    wave = tone(440.0, 2.0, start=1.0)
    wav = root / 'tone.wav'
    with av.open(str(wav), 'w') as out:
        stream = out.add_stream('pcm_s16le', rate=16000)
        stream.layout = 'mono'
        frame = av.AudioFrame.from_ndarray(
            (wave * 32767).astype(np.int16)[None], format='s16', layout='mono')
        frame.sample_rate = 16000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    mp4 = root / 'clip.mp4'
    frames = np.stack(
        [np.full((32, 32, 3), 16 * i, np.uint8) for i in range(16)])
    write_mp4(str(mp4), frames, wave, fps=8, sample_rate=16000)
    return dict(wav=wav, mp4=mp4, wave=wave, root=root)


@pytest.fixture(scope='session')
def tiny_trained(tiny_av_set, tmp_path_factory):
    """CLCR trained by tools/train.py for one epoch (4 iterations of 8 clips)
    on the tiny set and validated once, writing to the local JSON and the
    TensorBoard visualiser backends (names carry the split, ``train/...``,
    ``val/...``); returns dict(config, checkpoint,
    work_dir)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    work = tmp_path_factory.mktemp('tiny_trained')
    config = work / 'tiny_clcr.py'
    config.write_text(
        f"_base_ = ['{root}/configs/clcr/"
        "clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']\n"
        "visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), "
        "dict(type='TensorboardVisBackend')])\n"
        "log_processor = dict(log_with_hierarchy=True)\n")
    train = load_script('tools/train.py', 'tool_train_fixture')
    options = [
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'default_hooks.logger.interval=1', 'randomness.seed=0'
    ]
    for split in ('train', 'val', 'test'):
        options += [
            f'{split}_dataloader.dataset.ann_file={tiny_av_set}/{split}.json',
            f'{split}_dataloader.dataset.data_prefix.video={tiny_av_set}',
            f'{split}_dataloader.batch_size={8 if split == "train" else 4}',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False'
        ]
    train.main([
        str(config), '--work-dir',
        str(work / 'run'), '--cfg-options', *options
    ])
    return dict(
        config=config,
        checkpoint=work / 'run' / 'epoch_1.pth',
        work_dir=work / 'run')
