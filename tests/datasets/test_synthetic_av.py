import importlib.util
import json
import os.path as osp
from collections import defaultdict
from dataclasses import replace

import av
import decord
import numpy as np
import pytest

from clcr_plugin.datasets.audio import decode_audio
from clcr_plugin.datasets.synthetic_av import (CLASSES, FACTORS, PITCH_HZ, DRONE_HZ, RHYTHM_HZ, SPLITS, VISIBLE,
                                               SyntheticAVConfig, bayes_accuracy, draw_params, event_times,
                                               factors_of, generate, is_generated, label_of, params_from_json,
                                               render_audio, render_video)

GENERATE_PY = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'data', 'synthetic_av', 'generate.py')


def entries(root, split='train'):
    return json.loads((root / f'{split}.json').read_text())['data_list']


def band_envelope(wave: np.ndarray, hz: float, sample_rate: int, win: int = 400) -> np.ndarray:
    """Magnitude (S,) of the ``hz`` component of ``wave`` (S,) in a sliding ``win``-sample window."""
    t = np.arange(len(wave)) / sample_rate
    return np.abs(np.convolve(wave * np.exp(-2j * np.pi * hz * t), np.ones(win) / win, mode='same'))


def test_labels_are_recoverable_from_the_factor_metadata(tiny_av_set, tiny_av_cfg):
    assert len(CLASSES) == 16 and CLASSES[0] == 'red-low-slow-rise' and CLASSES[-1] == 'blue-high-fast-fall'
    for split in SPLITS:
        ann = json.loads((tiny_av_set / f'{split}.json').read_text())
        assert ann['metainfo']['classes'] == list(CLASSES) and ann['metainfo']['dataset'] == 'synthetic-av'
        counts = np.bincount([item['label'] for item in ann['data_list']], minlength=16)
        assert (counts == tiny_av_cfg.per_class(split)).all()  # balanced
        for item in ann['data_list']:
            assert label_of(item['factors']) == item['label'] and factors_of(item['label']) == item['factors']
            names = [FACTORS[f][item['factors'][f]] for f in FACTORS]
            assert CLASSES[item['label']] == '-'.join(names)


def test_no_single_modality_determines_the_label(tiny_av_set):
    for modality, seen in VISIBLE.items():
        labels_per_view = defaultdict(set)
        for item in entries(tiny_av_set):
            labels_per_view[tuple(item['factors'][f] for f in seen)].add(item['label'])
        assert all(len(labels) == 2 for labels in labels_per_view.values()), modality
    assert bayes_accuracy(VISIBLE['video']) == bayes_accuracy(VISIBLE['audio']) == 0.5
    assert bayes_accuracy(['rhythm', 'order']) == 0.25  # the shared evidence alone
    assert bayes_accuracy(list(FACTORS)) == 1.0  # fusion
    with pytest.raises(ValueError, match="unknown factors \\['texture'\\]"):
        bayes_accuracy(['texture'])


def test_video_ignores_pitch_and_audio_ignores_colour():
    cfg = SyntheticAVConfig(size=32, fps=8)
    params = draw_params(np.random.RandomState(0), cfg)
    base = factors_of(0)
    frames, wave = render_video(base, params, cfg), render_audio(base, params, cfg)
    assert frames.shape == (16, 32, 32, 3) and frames.dtype == np.uint8
    assert wave.shape == (32000, ) and wave.dtype == np.float32
    np.testing.assert_array_equal(render_video({**base, 'pitch': 1}, params, cfg), frames)
    np.testing.assert_array_equal(render_audio({**base, 'colour': 1}, params, cfg), wave)
    for shared in ('rhythm', 'order'):
        assert not np.array_equal(render_video({**base, shared: 1}, params, cfg), frames)
        assert not np.array_equal(render_audio({**base, shared: 1}, params, cfg), wave)


def test_mp4_holds_the_written_frames_fps_and_audio(tiny_av_set, tiny_av_cfg):
    path = str(tiny_av_set / 'train' / '000000.mp4')
    reader = decord.VideoReader(path)
    assert len(reader) == 16 and reader.get_avg_fps() == 8
    assert reader[0].asnumpy().shape == (32, 32, 3)
    with av.open(path) as container:
        assert container.streams.video[0].codec_context.name == 'mpeg4'
        stream = container.streams.audio[0]
        assert stream.codec_context.name == 'aac' and stream.rate == 16000 and stream.channels == 1
        assert abs(float(stream.duration * stream.time_base) - tiny_av_cfg.seconds) < 0.1


def test_decoded_clips_show_every_factor_at_the_recorded_times(tiny_av_set, tiny_av_cfg):
    """Colour and bars in the frames, pitch and drones in the audio, pulses and beeps in phase."""
    cfg, bar = tiny_av_cfg, 2
    for item in entries(tiny_av_set)[:16]:  # one clip per class
        f, params = item['factors'], params_from_json(item['params'])
        path = str(tiny_av_set / item['video'])
        frames = decord.VideoReader(path).get_batch(range(16)).asnumpy().astype(float)  # (T, H, W, 3)
        wave = decode_audio(path, cfg.sample_rate)[:32000]
        top, left = params.patch_yx
        patch = frames[:, top + 2:top + 10, left + 2:left + 10]  # inside the 12-pixel patch
        assert (patch[..., 0].mean() > patch[..., 2].mean()) == (f['colour'] == 0)
        assert (band_envelope(wave, PITCH_HZ[0], 16000).mean() > band_envelope(wave, PITCH_HZ[1], 16000).mean()) \
            == (f['pitch'] == 0)
        for event, rows, hz in (('low', slice(32 - bar, 32), DRONE_HZ[0]), ('high', slice(0, bar), DRONE_HZ[1])):
            onset = event_times(f['order'], params)[event]
            green = frames[:, rows, :, 1].mean((1, 2)) - frames[:, rows, :, 0].mean((1, 2))  # (T,)
            assert np.argmax(green > 60) == np.ceil(onset * cfg.fps - 1e-9)  # first frame with the bar
            env = band_envelope(wave, hz, 16000)
            assert abs(np.argmax(env > env.max() / 2) / 16000 - onset) < 0.03
        # mid level: bright frames <=> beep on, at the frame times, away from gate edges
        times, rate = np.arange(16) / cfg.fps, RHYTHM_HZ[f['rhythm']]
        cycle = (times * rate + params.phase) % 1.0
        clear = np.minimum(np.abs(cycle - 0.5), np.minimum(cycle, 1 - cycle)) / rate > 0.03  # seconds to an edge
        assert clear.sum() >= 6  # at worst every other frame sits near an edge
        brightness = patch.mean((1, 2, 3))
        beep = band_envelope(wave, PITCH_HZ[f['pitch']], 16000)[(times * 16000).astype(int)]
        gate = cycle < 0.5
        assert ((brightness > brightness.mean()) == gate)[clear].all()
        assert ((beep > beep.max() / 2) == gate)[clear & (times > 0.02)].all()


def test_same_seed_gives_identical_annotations_and_media(tiny_av_set, tiny_av_cfg, tmp_path):
    again = tmp_path / 'again'
    generate(str(again), tiny_av_cfg, progress=False)
    for split in SPLITS:
        assert (again / f'{split}.json').read_text() == (tiny_av_set / f'{split}.json').read_text()
        for item in entries(again, split):
            assert (again / item['video']).read_bytes() == (tiny_av_set / item['video']).read_bytes()
    a = decord.VideoReader(str(again / 'val' / '000003.mp4')).get_batch(range(16)).asnumpy()
    b = decord.VideoReader(str(tiny_av_set / 'val' / '000003.mp4')).get_batch(range(16)).asnumpy()
    np.testing.assert_array_equal(a, b)
    item = entries(tiny_av_set)[5]  # the stored params re-render the clip
    np.testing.assert_array_equal(render_video(item['factors'], params_from_json(item['params']), tiny_av_cfg),
                                  render_video(item['factors'], draw_params(np.random.RandomState([3, 0, 5]),
                                                                            tiny_av_cfg), tiny_av_cfg))
    other = draw_params(np.random.RandomState([4, 0, 5]), tiny_av_cfg)
    assert other != params_from_json(item['params'])


def test_an_existing_set_is_skipped_and_changed_settings_regenerate(tmp_path):
    cfg = SyntheticAVConfig(seed=1, train_per_class=1, val_per_class=0, test_per_class=0, size=16, fps=4,
                            seconds=1.0)
    root = tmp_path / 'set'
    generate(str(root), cfg, progress=False)
    assert is_generated(str(root), cfg) and not is_generated(str(root), replace(cfg, seed=2))
    stamp = (root / 'train' / '000000.mp4').stat().st_mtime_ns
    generate(str(root), cfg, progress=False)
    assert (root / 'train' / '000000.mp4').stat().st_mtime_ns == stamp
    generate(str(root), replace(cfg, seed=2), progress=False)
    assert (root / 'train' / '000000.mp4').stat().st_mtime_ns != stamp
    assert is_generated(str(root), replace(cfg, seed=2)) and not is_generated(str(root), cfg)


def test_cli_writes_the_set_skips_it_and_rejects_bad_sizes(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('generate_synthetic_av', GENERATE_PY)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    args = ['--out', str(tmp_path), '--per-class', '1', '0', '0', '--size', '16', '--fps', '4', '--seconds', '1',
            '--seed', '7', '--no-progress']
    cli.main(args)
    assert 'wrote 16 clips' in capsys.readouterr().out
    assert len(entries(tmp_path)) == 16 and entries(tmp_path, 'val') == []
    cli.main(args)
    assert 'exists; skipping' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='size must be an even number >= 16'):
        cli.main(['--out', str(tmp_path), '--size', '15'])
