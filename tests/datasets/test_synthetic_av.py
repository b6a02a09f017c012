import json

import av
import decord
import numpy as np

from clcr_plugin.datasets.synthetic_av import CLASSES, SyntheticAVConfig, factors_of, generate, is_generated


def test_annotations_match_the_factor_ground_truth(tiny_av_set):
    ann = json.loads((tiny_av_set / 'train.json').read_text())
    assert ann['metainfo']['classes'] == list(CLASSES) and len(CLASSES) == 8
    assert len(ann['data_list']) == 16
    for item in ann['data_list']:
        f = item['factors']
        assert item['label'] == 4 * f['colour'] + 2 * f['rhythm'] + f['sweep']
        assert factors_of(item['label']) == f


def test_neither_modality_alone_determines_the_label():
    video_view = {}  # (colour, rhythm) -> labels
    audio_view = {}  # (rhythm, sweep) -> labels
    for label in range(len(CLASSES)):
        f = factors_of(label)
        video_view.setdefault((f['colour'], f['rhythm']), set()).add(label)
        audio_view.setdefault((f['rhythm'], f['sweep']), set()).add(label)
    assert all(len(v) == 2 for v in video_view.values())  # Bayes accuracy 50 % from video
    assert all(len(v) == 2 for v in audio_view.values())  # and from audio


def test_clips_decode_with_decord_and_pyav(tiny_av_set):
    path = str(tiny_av_set / 'train' / '000000.mp4')
    reader = decord.VideoReader(path)
    assert len(reader) == 16 and reader.get_avg_fps() == 8
    assert reader[0].asnumpy().shape == (32, 32, 3)
    with av.open(path) as c:
        stream = c.streams.audio[0]
        assert stream.rate == 16000
        assert abs(float(stream.duration * stream.time_base) - 2.0) < 0.1


def test_generation_is_deterministic_and_skipped_when_present(tiny_av_set, tiny_av_cfg, tmp_path):
    again = tmp_path / 'again'
    generate(str(again), tiny_av_cfg, progress=False)
    for split in ('train', 'val', 'test'):
        assert (again / f'{split}.json').read_text() == (tiny_av_set / f'{split}.json').read_text()
    a = decord.VideoReader(str(again / 'val' / '000003.mp4'))[5].asnumpy()
    b = decord.VideoReader(str(tiny_av_set / 'val' / '000003.mp4'))[5].asnumpy()
    np.testing.assert_array_equal(a, b)
    assert is_generated(str(again), tiny_av_cfg)
    assert not is_generated(str(again), SyntheticAVConfig(seed=4))
    stamp = (again / 'train' / '000000.mp4').stat().st_mtime_ns
    generate(str(again), tiny_av_cfg, progress=False)
    assert (again / 'train' / '000000.mp4').stat().st_mtime_ns == stamp


def test_colour_is_visible_and_the_sweep_audible(tiny_av_set):
    ann = json.loads((tiny_av_set / 'train.json').read_text())
    from clcr_plugin.datasets.audio import AudioFeatureConfig, decode_audio, log_mel_spectrogram
    for item in ann['data_list'][:8]:
        frames = decord.VideoReader(str(tiny_av_set / item['video'])).get_batch(range(16)).asnumpy()
        red_minus_blue = (frames[..., 0].astype(float) - frames[..., 2].astype(float)).mean()
        assert (red_minus_blue > 0) == (item['factors']['colour'] == 0)
        spec = log_mel_spectrogram(decode_audio(str(tiny_av_set / item['video']), 16000), AudioFeatureConfig(n_mels=40))
        low_band = slice(2, 12)  # ~100-700 Hz
        early, late = spec[low_band, 10:60].mean(), spec[low_band, 140:190].mean()
        assert (early > late) == (item['factors']['sweep'] == 0)  # up-sweep starts low
