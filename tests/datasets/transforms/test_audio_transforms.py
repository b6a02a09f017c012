import re
import warnings

import numpy as np
import pytest
from mmaction.datasets.transforms import DecordInit, PyAVInit, SampleFrames
from mmaction.registry import TRANSFORMS

from clcr_plugin.datasets import audio_record
from clcr_plugin.datasets.audio import (AudioFeatureConfig, audio_settings,
                                        decode_audio, log_mel_spectrogram)
from clcr_plugin.datasets.audio_record import write_record
from clcr_plugin.datasets.transforms import (AudioFrequencyTimeMask,
                                             LoadAudioLogMel,
                                             SampleAudioWindows)

CFG = dict(
    n_mels=40, n_fft=512, hop_length=160)  # 100 feature frames per second


def ramp(n_frames=50, n_mels=4):
    """A feature whose value is its frame index: windows show which frames they
    cut."""
    return np.tile(np.arange(n_frames, dtype=np.float32),
                   (n_mels, 1))  # (n_mels, n_frames)


def test_transforms_are_registered():
    for name in ('LoadAudioLogMel', 'SampleAudioWindows',
                 'AudioFrequencyTimeMask'):
        assert TRANSFORMS.get(name) is not None


def extract(media_files, folder, **settings):
    """Write ``<folder>/clips/tone.npy`` and its record, as the extractor
    would; returns the .npy path."""
    cfg = AudioFeatureConfig(**settings)
    npy = folder / 'clips' / 'tone.npy'
    npy.parent.mkdir(parents=True)
    np.save(
        npy,
        log_mel_spectrogram(
            decode_audio(media_files['wav'], cfg.sample_rate), cfg))
    write_record(str(folder), cfg)
    return npy


def test_npy_with_a_matching_record_equals_the_on_the_fly_feature(
        media_files, tmp_path):
    on_the_fly = LoadAudioLogMel(**CFG)(
        dict(audio_path=str(media_files['wav'])))
    npy = extract(media_files, tmp_path, **CFG)
    with warnings.catch_warnings():
        warnings.simplefilter(
            'error')  # a recorded feature loads without a warning
        loaded = LoadAudioLogMel(**CFG)(dict(audio_path=str(npy)))
    np.testing.assert_array_equal(loaded['audio_feature'],
                                  on_the_fly['audio_feature'])
    assert on_the_fly['audio_feature'].shape == (
        40, 201) and on_the_fly['audio_frame_rate'] == 100.0


def test_npy_of_another_hop_is_refused_naming_the_record_and_both_values(
        media_files, tmp_path):
    npy = extract(media_files, tmp_path, **CFG)
    record = tmp_path / 'audio_feature_config.json'
    message = (
        f'features in {tmp_path} were made with hop_length=160 ({record}), '
        'the pipeline (LoadAudioLogMel) '
        'asks for hop_length=320; give LoadAudioLogMel the recorded settings')
    with pytest.raises(ValueError, match=re.escape(message)):
        LoadAudioLogMel(**dict(CFG, hop_length=320))(dict(audio_path=str(npy)))
    with pytest.raises(
            ValueError,
            match=r'made with sample_rate=16000, win_length=400, fmax=8000.0 '
            r'\(.*\), the '
            r'pipeline \(LoadAudioLogMel\) asks for sample_rate=8000, '
            r'win_length=200, '
            r'fmax=4000.0;'):  # every differing setting, derived ones included
        LoadAudioLogMel(**dict(CFG, sample_rate=8000))(
            dict(audio_path=str(npy)))


def test_the_record_is_read_once_per_folder(media_files, tmp_path,
                                            monkeypatch):
    npy = extract(media_files, tmp_path, **CFG)
    second = npy.with_name('again.npy')
    second.write_bytes(npy.read_bytes())
    reads = []
    monkeypatch.setattr(
        audio_record, 'read_record',
        lambda path: reads.append(path) or AudioFeatureConfig(**CFG))
    load = LoadAudioLogMel(**CFG)
    for path in (npy, second, npy):
        load(dict(audio_path=str(path)))
    assert reads == [str(tmp_path / 'audio_feature_config.json')]


def test_npy_without_a_record_loads_with_one_warning(tmp_path):
    for name in ('a.npy', 'b.npy'):
        np.save(tmp_path / name,
                np.arange(280, dtype=np.float32).reshape(
                    40, 7))  # not constant: a constant log-mel is silence
    load = LoadAudioLogMel(**CFG)
    with pytest.warns(
            UserWarning,
            match='no audio_feature_config.json in the folder of '
            f'{tmp_path / "a.npy"} or '
            'above') as caught:
        for name in ('a.npy', 'b.npy', 'a.npy'):
            assert load(dict(
                audio_path=str(tmp_path /
                               name)))['audio_feature'].shape == (40, 7)
    assert len(caught) == 1
    with pytest.warns(UserWarning), pytest.raises(
            ValueError, match=r'expected a \(64, n_frames\) log-mel'):
        LoadAudioLogMel(n_mels=64)(dict(audio_path=str(tmp_path / 'a.npy')))


def test_settings_are_the_audio_feature_config_fields():
    assert LoadAudioLogMel(**CFG).cfg == AudioFeatureConfig(**CFG)
    with pytest.raises(
            KeyError,
            match=r"LoadAudioLogMel: unknown audio settings \['hop'\]; known: "
            r"\['sample_rate'"):
        LoadAudioLogMel(hop=160)


def test_docstring_lists_every_setting_with_its_default():
    doc = LoadAudioLogMel.__doc__
    args = doc[doc.index('    Args:\n'):]
    for setting in audio_settings():
        assert (f'\n        {setting.name}: ' in args
                and f'Default {setting.default}' in args)
    assert '<audio settings>' not in doc and args.count(': ') >= len(
        audio_settings())


def test_video_file_is_decoded_when_there_is_no_audio_path(media_files):
    out = LoadAudioLogMel(**CFG)(dict(filename=str(media_files['mp4'])))
    assert out['audio_feature'].shape[
        0] == 40 and 2.0 <= out['audio_feature'].shape[1] / 100 < 2.1
    with pytest.raises(
            KeyError, match="LoadAudioLogMel needs results\\['filename'\\]"):
        LoadAudioLogMel(**CFG)(dict(label=0))


def test_windows_follow_the_sampled_video_clips(media_files):
    """The tone starts at 1.0 s: only clips after 1.0 s may hear it, in the
    clips' order."""
    results = dict(
        filename=str(media_files['mp4']), start_index=0, modality='RGB')
    results = DecordInit()(results)
    results = SampleFrames(
        clip_len=2, frame_interval=1, num_clips=4, test_mode=True)(
            results)
    results = LoadAudioLogMel(**CFG)(results)
    results = SampleAudioWindows(window_seconds=0.2)(results)
    audios = results['audios']
    assert audios.shape == (4, 1, 40, 20) and audios.dtype == np.float32
    spans = SampleAudioWindows().clip_spans(results, 2.0)
    np.testing.assert_allclose(
        spans, (results['frame_inds'].reshape(4, 2)[:, [0, 1]] + [0, 1]) / 8.0)
    loud = audios.max(
        (1, 2)).mean(-1)  # (num_clips,) strongest band, averaged over time
    for (start, end), energy in zip(spans, loud):
        centre = (start + end) / 2
        if centre + 0.1 < 0.99:  # the whole window is before the tone
            assert energy < loud.max() - 5
        if centre - 0.1 > 1.01:  # the whole window hears it
            assert energy > loud.max() - 1
    assert (
        loud[:-1] <= loud[1:] +
        1e-3).all()  # clip order is time order: silence first, then the tone


def test_window_positions_match_frame_times():
    """Frames 5-6 at 10 fps span [0.5, 0.7) s = feature frames [50, 70) at 100
    frames/s."""
    results = dict(
        audio_feature=ramp(200),
        audio_frame_rate=100.0,
        frame_inds=np.array([5, 6, 15, 16]),
        num_clips=2,
        clip_len=2,
        avg_fps=10.0,
        start_index=0)
    span = SampleAudioWindows(
        window_seconds=None, window_frames=20)(dict(results))['audios'][:, 0,
                                                                        0]
    np.testing.assert_array_equal(span,
                                  [np.arange(50, 70),
                                   np.arange(150, 170)])
    wide = SampleAudioWindows(window_seconds=0.4)(dict(results))['audios'][:,
                                                                           0,
                                                                           0]
    np.testing.assert_array_equal(
        wide,
        [np.arange(40, 80), np.arange(140, 180)])  # centred on 0.6 s and 1.6 s
    shifted = SampleAudioWindows(
        window_seconds=None, window_frames=20)(dict(
            results, frame_inds=np.array([6, 7, 16, 17]),
            start_index=1))['audios'][:, 0, 0]
    np.testing.assert_array_equal(shifted, span)  # rawframe indices start at 1


def test_span_windows_are_cropped_or_padded_to_window_frames():
    results = dict(
        audio_feature=ramp(200),
        audio_frame_rate=100.0,
        frame_inds=np.arange(10, 14),
        num_clips=1,
        clip_len=4,
        avg_fps=10.0)  # [1.0, 1.4) s = frames [100, 140)
    cropped = SampleAudioWindows(
        window_seconds=None, window_frames=20)(dict(results))['audios'][0, 0,
                                                                        0]
    np.testing.assert_array_equal(cropped, np.arange(110, 130))
    padded = SampleAudioWindows(
        window_seconds=None, window_frames=50,
        pad_value=-1.0)(dict(results))['audios']
    np.testing.assert_array_equal(
        padded[0, 0, 0], np.r_[np.arange(100, 140),
                               np.full(10, -1.0)])


def test_windows_are_padded_at_the_audio_edges():
    feature = ramp(50) + 3
    edge = dict(
        audio_feature=feature,
        audio_frame_rate=100.0,
        frame_inds=np.array([0]),
        num_clips=1,
        clip_len=1,
        avg_fps=10.0
    )  # [0, 0.1) s, a 0.4 s window starts 0.15 s before the audio
    constant = SampleAudioWindows(window_seconds=0.4)(dict(edge))['audios'][0,
                                                                            0]
    np.testing.assert_array_equal(
        constant[:, :15], 3.0)  # the feature's minimum: its silence level
    np.testing.assert_array_equal(constant[:, 15:], feature[:, :25])
    zero = SampleAudioWindows(
        window_seconds=0.4, pad_value=0.0)(dict(edge))['audios'][0, 0]
    np.testing.assert_array_equal(zero[:, :15], 0.0)
    late = dict(
        edge, frame_inds=np.array(
            [4]))  # [0.4, 0.5) s: the window runs 0.15 s past the audio's end
    repeated = SampleAudioWindows(
        window_seconds=0.4, pad_mode='edge')(late)['audios'][0, 0]
    np.testing.assert_array_equal(repeated[:, 25:], feature[:,
                                                            -1:].repeat(15, 1))


def test_audio_only_windows_are_evenly_spaced():
    out = SampleAudioWindows(
        window_seconds=0.2, num_clips=2)(
            dict(audio_feature=ramp(100), audio_frame_rate=100.0))
    assert out['audios'].shape == (2, 1, 4, 20)
    np.testing.assert_array_equal(out['audios'][:, 0, 0, 0],
                                  [15, 65])  # centred on 0.25 s and 0.75 s


def test_fps_comes_from_the_video_reader_or_the_fallback(media_files):
    results = dict(
        filename=str(media_files['mp4']), start_index=0, modality='RGB')
    results = PyAVInit()(results)  # sets no avg_fps
    results = SampleFrames(
        clip_len=2, frame_interval=1, num_clips=2, test_mode=True)(
            results)
    assert 'avg_fps' not in results
    spans = SampleAudioWindows().clip_spans(results, 2.0)
    np.testing.assert_allclose(spans[:, 1] - spans[:, 0],
                               2 / 8.0)  # the mp4's 8 fps
    bare = dict(
        audio_feature=ramp(),
        audio_frame_rate=100.0,
        frame_inds=np.array([1]),
        num_clips=1,
        clip_len=1)
    assert SampleAudioWindows(
        fallback_fps=10.0).clip_spans(bare, 0.5).tolist() == [[0.1, 0.2]]
    with pytest.raises(KeyError, match="avg_fps.*fallback_fps"):
        SampleAudioWindows()(bare)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(
            KeyError,
            match="SampleAudioWindows needs results\\['audio_feature'\\]"):
        SampleAudioWindows()(dict())
    with pytest.raises(
            KeyError,
            match="SampleAudioWindows needs results\\['num_clips'\\]"):
        SampleAudioWindows()(
            dict(
                audio_feature=ramp(),
                audio_frame_rate=100.0,
                frame_inds=np.arange(4)))
    with pytest.raises(
            ValueError,
            match='5 frame_inds are not num_clips=2 clips of clip_len=2'):
        SampleAudioWindows(fallback_fps=10.0)(
            dict(
                audio_feature=ramp(),
                audio_frame_rate=100.0,
                frame_inds=np.arange(5),
                num_clips=2,
                clip_len=2))
    with pytest.raises(ValueError, match='window_seconds must be positive'):
        SampleAudioWindows(window_seconds=0)
    with pytest.raises(ValueError, match='needs window_frames'):
        SampleAudioWindows(window_seconds=None)
    with pytest.raises(
            ValueError, match="pad_mode must be 'constant' or 'edge'"):
        SampleAudioWindows(pad_mode='reflect')


def test_frequency_time_mask_sets_a_band_and_a_span_to_the_floor():
    np.random.seed(5)  # draws a 2-band and a 5-frame mask
    audios = np.random.rand(2, 1, 16, 20).astype(np.float32) + 1
    audios[1, 0, 0, 0] = 0.0  # the floor; every value of clip 0 lies above it
    out = AudioFrequencyTimeMask(
        max_freq=4, max_time=5)(dict(audios=audios.copy()))['audios']
    assert out.shape == audios.shape
    masked = out[0, 0] != audios[0, 0]  # (n_mels, n_frames)
    rows, cols = masked.all(1), masked.all(0)  # whole bands, whole frames
    assert (rows.sum(), cols.sum()) == (2, 5)
    np.testing.assert_array_equal(masked, rows[:, None] | cols[None, :])
    assert (out[:, 0, masked] == 0.0
            ).all()  # the same mask for every clip, set to the floor
    np.testing.assert_array_equal(out[:, 0, ~masked], audios[:, 0, ~masked])
