import numpy as np
import pytest

from clcr_plugin.datasets.audio import AudioFeatureConfig, decode_audio, log_mel_spectrogram
from clcr_plugin.datasets.transforms import AudioFrequencyTimeMask, LoadAudioLogMel, SampleAudioWindows
from mmaction.datasets.transforms import DecordInit, SampleFrames

CFG = dict(n_mels=40, hop_length=160)


def test_npy_and_on_the_fly_features_agree(media_files, tmp_path):
    on_the_fly = LoadAudioLogMel(**CFG)(dict(audio_path=str(media_files['wav'])))
    npy = tmp_path / 'tone.npy'
    np.save(npy, log_mel_spectrogram(decode_audio(media_files['wav'], 16000), AudioFeatureConfig(**CFG)))
    loaded = LoadAudioLogMel(**CFG)(dict(audio_path=str(npy)))
    np.testing.assert_array_equal(loaded['audio_feature'], on_the_fly['audio_feature'])
    assert on_the_fly['audio_frame_rate'] == 100.0
    with pytest.raises(ValueError, match='expected a \\(64, n_frames\\) log-mel'):
        LoadAudioLogMel(n_mels=64)(dict(audio_path=str(npy)))


def test_windows_follow_the_sampled_video_clips(media_files):
    """The tone starts at 1.0 s: only clips after 1.0 s may hear it."""
    results = dict(filename=str(media_files['mp4']), start_index=0, modality='RGB')
    results = DecordInit()(results)
    results = SampleFrames(clip_len=2, frame_interval=1, num_clips=4, test_mode=True)(results)
    results = LoadAudioLogMel(**CFG)(results)
    results = SampleAudioWindows(window_seconds=0.2)(results)
    audios = results['audios']
    assert audios.shape == (4, 1, 40, 20) and audios.dtype == np.float32
    centres = SampleAudioWindows(window_seconds=0.2).clip_centres(results, 2.0)
    loud = audios.mean((1, 2, 3))
    for centre, energy in zip(centres, loud):
        if centre < 0.85:
            assert energy < loud.max() - 3  # silence (log floor) before the tone
        if centre > 1.15:
            assert energy > loud.max() - 1


def test_windows_are_padded_at_the_clip_edges_and_audio_only_works():
    feature = np.arange(40 * 50, dtype=np.float32).reshape(40, 50)
    out = SampleAudioWindows(window_seconds=0.3, num_clips=2)(dict(audio_feature=feature, audio_frame_rate=100.0))
    assert out['audios'].shape == (2, 1, 40, 30)
    edge = dict(audio_feature=feature, audio_frame_rate=100.0, frame_inds=np.array([0]), num_clips=1, clip_len=1,
                avg_fps=10.0)
    padded = SampleAudioWindows(window_seconds=0.4)(edge)['audios'][0, 0]
    assert (padded[:, :15] == feature.min()).all()  # before t = 0: log floor
    np.testing.assert_array_equal(padded[:, 15:], feature[:, :25])


def test_missing_keys_are_named():
    with pytest.raises(KeyError, match="SampleAudioWindows needs results\\['audio_feature'\\]"):
        SampleAudioWindows()(dict())
    with pytest.raises(ValueError, match='window_seconds must be positive'):
        SampleAudioWindows(window_seconds=0)


def test_frequency_time_mask_sets_bands_to_the_floor():
    np.random.seed(0)
    audios = np.random.rand(2, 1, 16, 20).astype(np.float32) + 1
    out = AudioFrequencyTimeMask(max_freq=4, max_time=5)(dict(audios=audios.copy()))['audios']
    assert out.shape == audios.shape and (out == audios.min()).sum() > 0
