import hashlib
import json
import os.path as osp
from collections import defaultdict
from dataclasses import replace

import av
import decord
import numpy as np
import pytest
from tool_scripts import load_script

from clcr_plugin.datasets import synthetic_av_hard as hard
from clcr_plugin.datasets.audio import decode_audio
from clcr_plugin.datasets.synthetic_av import (CLASSES, DRONE_HZ, FACTORS,
                                               PITCH_HZ, RHYTHM_HZ, SPLITS,
                                               VISIBLE, SyntheticAVConfig,
                                               bayes_accuracy, factors_of,
                                               generate, is_generated,
                                               label_of, params_from_json)
from clcr_plugin.datasets.synthetic_av_default import (draw_params,
                                                       event_times,
                                                       render_audio,
                                                       render_video)

GENERATE_PY = osp.join(
    osp.dirname(__file__), '..', '..', 'tools', 'data', 'synthetic_av',
    'generate.py')


def entries(root, split='train'):
    return json.loads((root / f'{split}.json').read_text())['data_list']


def band_envelope(wave: np.ndarray,
                  hz: float,
                  sample_rate: int,
                  win: int = 400) -> np.ndarray:
    """Magnitude (S,) of the ``hz`` component of ``wave`` (S,) in a sliding
    ``win``-sample window."""
    t = np.arange(len(wave)) / sample_rate
    return np.abs(
        np.convolve(
            wave * np.exp(-2j * np.pi * hz * t),
            np.ones(win) / win,
            mode='same'))


def test_labels_are_recoverable_from_the_factor_metadata(
        tiny_av_set, tiny_av_cfg):
    assert len(CLASSES) == 16 and CLASSES[
        0] == 'red-low-slow-rise' and CLASSES[-1] == 'blue-high-fast-fall'
    for split in SPLITS:
        ann = json.loads((tiny_av_set / f'{split}.json').read_text())
        assert ann['metainfo']['classes'] == list(
            CLASSES) and ann['metainfo']['dataset'] == 'synthetic-av'
        counts = np.bincount([item['label'] for item in ann['data_list']],
                             minlength=16)
        assert (counts == tiny_av_cfg.per_class(split)).all()  # balanced
        for item in ann['data_list']:
            assert label_of(item['factors']) == item['label'] and factors_of(
                item['label']) == item['factors']
            names = [FACTORS[f][item['factors'][f]] for f in FACTORS]
            assert CLASSES[item['label']] == '-'.join(names)


def test_no_single_modality_determines_the_label(tiny_av_set):
    for modality, seen in VISIBLE.items():
        labels_per_view = defaultdict(set)
        for item in entries(tiny_av_set):
            labels_per_view[tuple(item['factors'][f]
                                  for f in seen)].add(item['label'])
        assert all(len(labels) == 2
                   for labels in labels_per_view.values()), modality
    assert bayes_accuracy(VISIBLE['video']) == bayes_accuracy(
        VISIBLE['audio']) == 0.5
    assert bayes_accuracy(['rhythm', 'order'
                           ]) == 0.25  # the shared evidence alone
    assert bayes_accuracy(list(FACTORS)) == 1.0  # fusion
    with pytest.raises(ValueError, match="unknown factors \\['texture'\\]"):
        bayes_accuracy(['texture'])


def test_video_ignores_pitch_and_audio_ignores_colour():
    cfg = SyntheticAVConfig(size=32, fps=8)
    params = draw_params(np.random.RandomState(0), cfg)
    base = factors_of(0)
    frames, wave = render_video(base, params,
                                cfg), render_audio(base, params, cfg)
    assert frames.shape == (16, 32, 32, 3) and frames.dtype == np.uint8
    assert wave.shape == (32000, ) and wave.dtype == np.float32
    np.testing.assert_array_equal(
        render_video({
            **base, 'pitch': 1
        }, params, cfg), frames)
    np.testing.assert_array_equal(
        render_audio({
            **base, 'colour': 1
        }, params, cfg), wave)
    for shared in ('rhythm', 'order'):
        assert not np.array_equal(
            render_video({
                **base, shared: 1
            }, params, cfg), frames)
        assert not np.array_equal(
            render_audio({
                **base, shared: 1
            }, params, cfg), wave)


def test_mp4_holds_the_written_frames_fps_and_audio(tiny_av_set, tiny_av_cfg):
    path = str(tiny_av_set / 'train' / '000000.mp4')
    reader = decord.VideoReader(path)
    assert len(reader) == 16 and reader.get_avg_fps() == 8
    assert reader[0].asnumpy().shape == (32, 32, 3)
    with av.open(path) as container:
        assert container.streams.video[0].codec_context.name == 'mpeg4'
        stream = container.streams.audio[0]
        assert (stream.codec_context.name == 'aac' and stream.rate == 16000
                and stream.channels == 1)
        assert abs(
            float(stream.duration * stream.time_base) -
            tiny_av_cfg.seconds) < 0.1


def test_decoded_clips_show_every_factor_at_the_recorded_times(
        tiny_av_set, tiny_av_cfg):
    """Colour and bars in the frames, pitch and drones in the audio, pulses and
    beeps in phase."""
    cfg, bar = tiny_av_cfg, 2
    for item in entries(tiny_av_set)[:16]:  # one clip per class
        f, params = item['factors'], params_from_json(item['params'])
        path = str(tiny_av_set / item['video'])
        frames = decord.VideoReader(path).get_batch(
            range(16)).asnumpy().astype(float)  # (T, H, W, 3)
        wave = decode_audio(path, cfg.sample_rate)[:32000]
        top, left = params.patch_yx
        patch = frames[:, top + 2:top + 10,
                       left + 2:left + 10]  # inside the 12-pixel patch
        assert (patch[..., 0].mean() > patch[..., 2].mean()) == (
            f['colour'] == 0)
        assert ((band_envelope(wave, PITCH_HZ[0], 16000).mean()
                 > band_envelope(wave, PITCH_HZ[1],
                                 16000).mean()) == (f['pitch'] == 0))
        for event, rows, hz in (('low', slice(32 - bar, 32), DRONE_HZ[0]),
                                ('high', slice(0, bar), DRONE_HZ[1])):
            onset = event_times(f['order'], params)[event]
            green = frames[:, rows, :, 1].mean(
                (1, 2)) - frames[:, rows, :, 0].mean((1, 2))  # (T,)
            assert np.argmax(green > 60) == np.ceil(
                onset * cfg.fps - 1e-9)  # first frame with the bar
            env = band_envelope(wave, hz, 16000)
            assert abs(np.argmax(env > env.max() / 2) / 16000 - onset) < 0.03
        # mid level: bright frames <=> beep on, at the frame times, away from
        # gate edges
        times, rate = np.arange(16) / cfg.fps, RHYTHM_HZ[f['rhythm']]
        cycle = (times * rate + params.phase) % 1.0
        clear = np.minimum(np.abs(cycle - 0.5), np.minimum(
            cycle, 1 - cycle)) / rate > 0.03  # seconds to an edge
        assert clear.sum() >= 6  # at worst every other frame sits near an edge
        brightness = patch.mean((1, 2, 3))
        beep = band_envelope(wave, PITCH_HZ[f['pitch']],
                             16000)[(times * 16000).astype(int)]
        gate = cycle < 0.5
        assert ((brightness > brightness.mean()) == gate)[clear].all()
        assert ((beep > beep.max() / 2) == gate)[clear & (times > 0.02)].all()


def test_same_seed_gives_identical_annotations_and_media(
        tiny_av_set, tiny_av_cfg, tmp_path):
    again = tmp_path / 'again'
    generate(str(again), tiny_av_cfg, progress=False)
    for split in SPLITS:
        assert (again /
                f'{split}.json').read_text() == (tiny_av_set /
                                                 f'{split}.json').read_text()
        for item in entries(again, split):
            assert (again / item['video']).read_bytes() == (
                tiny_av_set / item['video']).read_bytes()
    a = decord.VideoReader(str(again / 'val' /
                               '000003.mp4')).get_batch(range(16)).asnumpy()
    b = decord.VideoReader(str(tiny_av_set / 'val' /
                               '000003.mp4')).get_batch(range(16)).asnumpy()
    np.testing.assert_array_equal(a, b)
    item = entries(tiny_av_set)[5]  # the stored params re-render the clip
    np.testing.assert_array_equal(
        render_video(item['factors'], params_from_json(item['params']),
                     tiny_av_cfg),
        render_video(
            item['factors'],
            draw_params(np.random.RandomState([3, 0, 5]), tiny_av_cfg),
            tiny_av_cfg))
    other = draw_params(np.random.RandomState([4, 0, 5]), tiny_av_cfg)
    assert other != params_from_json(item['params'])


def test_an_existing_set_is_skipped_and_changed_settings_regenerate(tmp_path):
    cfg = SyntheticAVConfig(
        seed=1,
        train_per_class=1,
        val_per_class=0,
        test_per_class=0,
        size=16,
        fps=4,
        seconds=1.0)
    root = tmp_path / 'set'
    generate(str(root), cfg, progress=False)
    assert is_generated(
        str(root), cfg) and not is_generated(str(root), replace(cfg, seed=2))
    stamp = (root / 'train' / '000000.mp4').stat().st_mtime_ns
    generate(str(root), cfg, progress=False)
    assert (root / 'train' / '000000.mp4').stat().st_mtime_ns == stamp
    generate(str(root), replace(cfg, seed=2), progress=False)
    assert (root / 'train' / '000000.mp4').stat().st_mtime_ns != stamp
    assert is_generated(str(root), replace(
        cfg, seed=2)) and not is_generated(str(root), cfg)


def test_cli_writes_the_set_skips_it_and_rejects_bad_sizes(tmp_path, capsys):
    cli = load_script(GENERATE_PY)
    args = [
        '--out',
        str(tmp_path), '--per-class', '1', '0', '0', '--size', '16', '--fps',
        '4', '--seconds', '1', '--seed', '7', '--no-progress'
    ]
    cli.main(args)
    assert 'wrote 16 clips' in capsys.readouterr().out
    assert len(entries(tmp_path)) == 16 and entries(tmp_path, 'val') == []
    cli.main(args)
    assert 'exists; skipping' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='size must be an even number >= 16'):
        cli.main(['--out', str(tmp_path), '--size', '15'])


# ----------------------------------------------------------------------------------------------------------------
# The default set is pinned; the hard variant shows what
# tools/data/synthetic_av/README.md ("Harder variant") says.


def test_default_set_is_byte_identical_to_the_one_before_variants_existed(
        tmp_path):
    """Hashes recorded from the generator before the hard variant was added
    (annotation, manifest, frames)."""
    cfg = SyntheticAVConfig(
        seed=3,
        train_per_class=1,
        val_per_class=0,
        test_per_class=0,
        size=32,
        fps=8)
    generate(str(tmp_path), cfg, progress=False)
    sha = lambda data: hashlib.sha256(data).hexdigest()  # noqa: E731
    assert sha((tmp_path / 'train.json').read_bytes()) == \
        '1885d2dbf51e218879e00e589898ccd225ca1109aa8fbffd050c8013460cd6af'
    assert sha((tmp_path / 'manifest.json').read_bytes()) == \
        '5e206e8fef225e7e4392bf3be45678cdab765673947e692498cf652a3e7323a5'
    params = draw_params(np.random.RandomState([3, 0, 5]), cfg)
    assert sha(render_video(factors_of(5), params, cfg).tobytes()) == \
        '657383d7528e00fbffecc91dd5ebd5a1543d1cafef8b9b583d4c34a465a4e6ff'
    wave = render_audio(factors_of(5), params, cfg).astype(np.float64)
    assert (wave.sum(), (wave**2).sum()) == pytest.approx(
        (-2.135546070672717, 725.4290321759381), rel=1e-6)


HARD = SyntheticAVConfig(size=32, fps=8, variant='hard')


def hard_params(index: int = 0, **changes):
    return replace(
        hard.draw_params(np.random.RandomState([0, 0, index]), HARD),
        **changes)


def test_unknown_variant_is_rejected():
    with pytest.raises(
            ValueError,
            match=r"variant must be one of \['default', 'hard'\], got 'harder'"
    ):
        SyntheticAVConfig(variant='harder')


def test_hard_video_and_audio_depend_on_exactly_the_factors_of_the_table():
    base = factors_of(0)
    for cue in (False, True):
        params = hard_params(video_cue=cue, audio_cue=cue)
        frames, wave = hard.render_video(base, params,
                                         HARD), hard.render_audio(
                                             base, params, HARD)
        assert frames.shape == (16, 32, 32, 3) and wave.shape == (32000, )
        np.testing.assert_array_equal(
            hard.render_video({
                **base, 'pitch': 1
            }, params, HARD), frames)
        np.testing.assert_array_equal(
            hard.render_audio({
                **base, 'colour': 1
            }, params, HARD), wave)
        assert not np.array_equal(
            hard.render_video({
                **base, 'colour': 1
            }, params, HARD), frames)
        assert not np.array_equal(
            hard.render_audio({
                **base, 'pitch': 1
            }, params, HARD), wave)
        assert not np.array_equal(
            hard.render_video({
                **base, 'order': 1
            }, params, HARD), frames)  # motion: always
        assert not np.array_equal(
            hard.render_audio({
                **base, 'rhythm': 1
            }, params, HARD), wave)  # beep rate: always
        # the shallow shared cues only when shown: stripes (video rhythm),
        # chirps (audio order)
        assert np.array_equal(
            hard.render_video({
                **base, 'rhythm': 1
            }, params, HARD), frames) == (not cue)
        assert np.array_equal(
            hard.render_audio({
                **base, 'order': 1
            }, params, HARD), wave) == (not cue)


def test_hard_bar_moves_with_the_order_and_one_frame_does_not_tell():
    params = hard_params(3)
    videos = {
        order: hard.render_video({
            **factors_of(0), 'order': order
        }, params, HARD)
        for order in (0, 1)
    }
    np.testing.assert_array_equal(videos[0][0],
                                  videos[1][0])  # same first frame
    for order, frames in videos.items():
        f = frames.astype(int)
        green = ((f[..., 1] > 150) & (f[..., 0] < 100) &
                 (f[..., 2] < 100)).mean(2)  # (T, H) share of green pixels
        tops = []
        for t in range(16):
            rows = hard.bar_rows(order, params, t / HARD.fps, 32)
            assert set(np.flatnonzero(
                green[t] > 0.3)) == set(rows.tolist()), (order, t)
            tops.append(rows[0])
        steps = (np.diff(tops) + 16
                 ) % 32 - 16  # signed displacement per frame, wrapping around
        assert ((steps <= 0) if order == 0 else (steps >= 0)).all()
        assert abs(steps.sum() - (-1 if order == 0 else 1) * hard.BAR_SPEED *
                   32 * 15 / 8) <= 1
    # over many clips the bar's row in a single frame is spread over the whole
    # height
    tops = [hard.bar_rows(0, hard_params(i), 1.0, 32)[0] for i in range(200)]
    assert np.histogram(tops, bins=4, range=(0, 32))[0].min() > 30


def test_hard_patch_and_lure_never_overlap_and_lures_ignore_the_label():
    for size in (32, 64):
        cfg = replace(HARD, size=size)
        patch, lure = hard._patch_size(size), hard.lure_size(size)
        draws = [
            hard.draw_params(np.random.RandomState([1, 0, i]), cfg)
            for i in range(300)
        ]
        for p in draws:
            assert p.lure_yx[1] + lure <= p.patch_yx[
                1] or p.patch_yx[1] + patch <= p.lure_yx[1]
            assert 0 <= p.lure_yx[0] <= size - lure and 0 <= p.patch_yx[
                0] <= size - patch
        for field in ('video_cue', 'audio_cue', 'lure_colour', 'lure_stripes',
                      'lure_direction', 'lure_rhythm'):
            assert 0.4 < np.mean([getattr(p, field)
                                  for p in draws]) < 0.6, field
    params = hard_params(2, video_cue=True)
    frames = hard.render_video(factors_of(0b1000), params,
                               HARD).astype(float)  # blue large patch
    (top, left), (ltop, lleft) = params.patch_yx, params.lure_yx
    big, small = frames[0, top + 2:top + 10,
                        left + 2:left + 10], frames[0, ltop + 1:ltop + 5,
                                                    lleft + 1:lleft + 5]
    assert big[..., 2].mean() > big[..., 0].mean()
    assert (small[..., 0].mean() > small[..., 2].mean()) == (
        params.lure_colour == 0)


def test_hard_beeps_repeat_at_the_rhythm_and_chirps_sweep_with_the_order():
    for rhythm in (0, 1):
        params = hard_params(4, audio_cue=True)
        wave = hard.render_audio({
            **factors_of(0), 'rhythm': rhythm
        }, params, HARD)
        env = band_envelope(
            wave, PITCH_HZ[0], 16000, win=800)  # 25 whole cycles: no ripple
        on = env > env.max() / 2
        onsets = np.flatnonzero(np.diff(on.astype(int)) == 1) / 16000
        assert len(onsets) >= 2 and np.allclose(
            np.diff(onsets), 1 / RHYTHM_HZ[rhythm], atol=0.01)
        lengths = (np.flatnonzero(np.diff(on.astype(int)) == -1) /
                   16000)[-1] - onsets[-1]
        assert abs(lengths -
                   hard.BEEP_S) < 0.02  # the same beep for both rhythms
    for order in (0, 1):
        params = hard_params(5, audio_cue=True)
        wave = hard.render_audio({
            **factors_of(0), 'order': order
        }, params, HARD)
        for band, up in ((hard.CHIRP_BAND, order == 0),
                         (hard.LURE_CHIRP_BAND, params.lure_direction == 0)):
            lo, hi = (band_envelope(wave, band[0] + 0.2 * (band[1] - band[0]),
                                    16000),
                      band_envelope(wave, band[1] - 0.2 * (band[1] - band[0]),
                                    16000))
            offset = (
                params.chirp_offset
                if band == hard.CHIRP_BAND else params.lure_chirp_offset)
            start = int(
                (offset + hard.CHIRP_PERIOD_S) * 16000)  # one whole chirp
            window = slice(start, start + int(hard.CHIRP_S * 16000))
            assert (np.argmax(lo[window])
                    < np.argmax(hi[window])) == up, (order, band)
    silent = hard.render_audio(
        factors_of(0), hard_params(5, audio_cue=False), HARD)
    mid = sum(hard.CHIRP_BAND) / 2
    assert band_envelope(
        silent, mid,
        16000).max() < 0.2 * band_envelope(wave, mid, 16000).max()


def test_hard_bayes_accuracies():
    table = hard.bayes_table()
    assert table['video'] == table['audio'] == 0.375
    assert table['both modalities'] == table['private cues + deep cues'] == 1.0
    assert table['shallow cues only'] == 0.5625
    assert table['audio + video without frame order'] == 0.75
    assert table['shared factors only'] == 0.25
    for cases in hard.BAYES_VIEWS.values():
        assert sum(p for p, _ in cases) == 1.0


def test_hard_set_is_generated_decoded_and_re_rendered_from_its_annotation(
        tmp_path):
    cfg = SyntheticAVConfig(
        seed=2,
        train_per_class=1,
        val_per_class=0,
        test_per_class=1,
        size=32,
        fps=8,
        variant='hard')
    generate(str(tmp_path), cfg, progress=False)
    ann = json.loads((tmp_path / 'train.json').read_text())
    meta = ann['metainfo']
    assert meta['dataset'] == 'synthetic-av-hard' and meta[
        'variant'] == 'hard' and meta['classes'] == list(CLASSES)
    assert meta['factors']['rhythm']['levels'] == dict(
        video='shallow', audio='deep')
    assert meta['factors']['order']['levels'] == dict(
        video='deep', audio='shallow')
    assert json.loads(
        (tmp_path /
         'manifest.json').read_text())['config']['variant'] == 'hard'
    assert is_generated(str(tmp_path), cfg) and not is_generated(
        str(tmp_path), replace(cfg, variant='default'))
    item = ann['data_list'][9]
    params = params_from_json(item['params'], 'hard')
    assert params == hard.draw_params(np.random.RandomState([2, 0, 9]), cfg)
    frames = decord.VideoReader(str(tmp_path / item['video'])).get_batch(
        range(16)).asnumpy().astype(float)
    expected = hard.render_video(item['factors'], params, cfg).astype(float)
    assert np.abs(frames - expected).mean() < 12  # lossy MPEG-4, same picture


def test_hard_dataset_config_points_at_its_own_root_with_the_default_pipelines(
):
    from mmengine.config import Config

    configs = osp.join(
        osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets')
    hard_cfg = Config.fromfile(
        osp.join(configs, 'synthetic_av_hard_rgb_audio.py'))
    default = Config.fromfile(osp.join(configs, 'synthetic_av_rgb_audio.py'))
    for split in SPLITS:
        ds, ref = hard_cfg[f'{split}_dataloader'].dataset, default[
            f'{split}_dataloader'].dataset
        assert ds.ann_file == f'data/synthetic_av_hard/{split}.json'
        assert ds.data_prefix == dict(video='data/synthetic_av_hard')
        assert ds.pipeline == ref.pipeline


def test_cli_variant_hard_writes_to_its_default_root(tmp_path, monkeypatch,
                                                     capsys):
    cli = load_script(GENERATE_PY)
    monkeypatch.chdir(tmp_path)
    cli.main([
        '--variant', 'hard', '--per-class', '1', '0', '0', '--size', '16',
        '--fps', '4', '--seconds', '1', '--no-progress'
    ])
    assert 'wrote 16 clips' in capsys.readouterr().out
    ann = json.loads(
        (tmp_path / 'data' / 'synthetic_av_hard' / 'train.json').read_text())
    assert ann['metainfo']['variant'] == 'hard' and len(ann['data_list']) == 16
