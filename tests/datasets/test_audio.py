import numpy as np
import pytest

from clcr_plugin.datasets.audio import (AudioFeatureConfig, decode_audio, hz_to_mel, log_mel_spectrogram,
                                        mel_filterbank, mel_to_hz)


def test_mel_scale_round_trip_and_filterbank_shape():
    hz = np.array([0.0, 440.0, 8000.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(hz)), hz, atol=1e-6)
    fb = mel_filterbank(16000, 512, 40)
    assert fb.shape == (40, 257) and fb.min() >= 0 and fb.max() == pytest.approx(1.0, abs=0.05)


def test_filter_peaks_lie_at_increasing_frequencies():
    fb = mel_filterbank(16000, 512, 40)
    peaks = fb.argmax(1) * 16000 / 512
    assert np.all(np.diff(peaks) >= 0)
    centres = mel_to_hz(np.linspace(hz_to_mel(0), hz_to_mel(8000), 42))[1:-1]
    np.testing.assert_allclose(peaks, centres, atol=16000 / 512)


def test_sine_energy_peaks_in_the_band_of_its_frequency(make_tone):
    cfg = AudioFeatureConfig(n_mels=40)
    spec = log_mel_spectrogram(make_tone(440.0, 1.0), cfg)
    assert spec.shape == (40, 1 + 16000 // cfg.hop_length)
    band = spec[:, 10:-10].mean(1).argmax()
    fb = mel_filterbank(16000, cfg.n_fft, 40)
    assert fb[band, int(round(440 * cfg.n_fft / 16000))] > 0.5  # that band's filter covers 440 Hz


def test_decode_wav_and_mp4_give_the_waveform_duration(media_files):
    wav = decode_audio(media_files['wav'], 16000)
    assert len(wav) == 32000
    np.testing.assert_allclose(wav, media_files['wave'], atol=1e-3)
    mp4 = decode_audio(media_files['mp4'], 8000)  # resampled
    assert abs(len(mp4) - 16000) < 1100  # AAC adds up to one frame of priming


def test_decode_errors_name_the_file(tmp_path, media_files):
    bad = tmp_path / 'broken.mp4'
    bad.write_bytes(b'not a video')
    with pytest.raises(RuntimeError, match='broken.mp4'):
        decode_audio(bad, 16000)
    import av
    silent = tmp_path / 'silent.mp4'
    with av.open(str(silent), 'w') as out:
        s = out.add_stream('mpeg4', rate=8)
        s.width = s.height = 16
        s.pix_fmt = 'yuv420p'
        for packet in s.encode(av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format='rgb24')):
            out.mux(packet)
        for packet in s.encode():
            out.mux(packet)
    with pytest.raises(ValueError, match='silent.mp4 has no audio stream'):
        decode_audio(silent, 16000)
