import warnings

import av
import numpy as np
import pytest

from clcr_plugin.datasets.audio import (AudioFeatureConfig, audio_settings,
                                        decode_audio, document_settings,
                                        hz_to_mel, log_mel_spectrogram,
                                        mel_filterbank, mel_to_hz)


def write_av(path,
             wave,
             sample_rate,
             container,
             video_codec,
             audio_codec,
             fps=8,
             frames=16):
    """A 32x32 video of ``frames`` grey frames plus ``wave`` (S,) float32 as
    its audio track."""
    with av.open(str(path), 'w', format=container) as out:
        video = out.add_stream(video_codec, rate=fps)
        video.width = video.height = 32
        video.pix_fmt = 'yuv420p'
        audio = out.add_stream(audio_codec, rate=sample_rate)
        audio.layout = 'mono'
        for i in range(frames):
            for packet in video.encode(
                    av.VideoFrame.from_ndarray(
                        np.full((32, 32, 3), 16 * i, np.uint8), 'rgb24')):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        # e.g. s16 (pcm), s32p (mp3), fltp (aac)
        fmt = audio.codec_context.format.name
        scale = {'s16': 2**15 - 1, 's32': 2**31 - 256}.get(fmt.rstrip('p'))
        samples = (wave * scale).astype(f'int{fmt[1:3]}') if scale else wave
        chunk = audio.codec_context.frame_size or 1024
        for start in range(0, len(wave), chunk):
            frame = av.AudioFrame.from_ndarray(
                samples[None, start:start + chunk], format=fmt, layout='mono')
            frame.sample_rate, frame.pts = sample_rate, start
            for packet in audio.encode(frame):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)


def onset(wave, sample_rate):
    """Time (s) of the first sample louder than 0.1."""
    return np.argmax(np.abs(wave) > 0.1) / sample_rate


def test_config_derives_lengths_from_the_sample_rate():
    cfg = AudioFeatureConfig()
    assert (cfg.hop_length, cfg.win_length, cfg.n_fft, cfg.fmax,
            cfg.frame_rate) == (160, 400, 1024, 8000.0, 100.0)
    cfg = AudioFeatureConfig(sample_rate=22050)
    assert (cfg.hop_length, cfg.win_length, cfg.n_fft) == (220, 551, 2048)
    assert AudioFeatureConfig(
        n_fft=512, hop_length=320).to_dict()['n_fft'] == 512
    with pytest.raises(
            ValueError,
            match=r'win_length \(400\) must not exceed n_fft \(256\)'):
        AudioFeatureConfig(n_fft=256)
    with pytest.raises(ValueError, match='fmax=9000'):
        AudioFeatureConfig(fmax=9000)


def test_settings_describe_every_field_with_its_type_and_default():
    settings = {s.name: s for s in audio_settings()}
    assert list(settings) == list(AudioFeatureConfig.__dataclass_fields__)
    assert (settings['sample_rate'].type, settings['hop_length'].type,
            settings['fmax'].type) == (int, int, float)
    assert settings['n_mels'].doc == 'mel bands. Default 128.'
    assert settings['hop_length'].doc == (
        'samples between frames. Default None: 10 ms '
        '(160 at 16 kHz).')
    assert AudioFeatureConfig.from_dict({}, source='x') == AudioFeatureConfig()
    with pytest.raises(
            KeyError,
            match=r"my.json: unknown audio settings \['hop', 'mels'\]"):
        AudioFeatureConfig.from_dict(dict(mels=40, hop=160), source='my.json')


def test_document_settings_replaces_the_marker_line_at_its_indentation():

    class Documented:
        """Takes the audio settings.

        Args:
            first: not a setting.
            <audio settings>
            last: not a setting either.
        """

    lines = document_settings(Documented).__doc__.splitlines()
    assert lines[3:5] == [
        '            first: not a setting.',
        '            sample_rate: decode/resample rate in Hz. '
        'Default 16000.'
    ]
    assert lines[-2] == '            last: not a setting either.'
    assert all(len(line) <= 79 for line in lines)
    entries = [
        line for line in lines for s in audio_settings()
        if line.startswith(' ' * 12 + s.name + ': ')
    ]
    assert len(entries) == len(audio_settings())
    assert ('<audio settings>' not in AudioFeatureConfig.__doc__
            and 'log_offset: added' in AudioFeatureConfig.__doc__)

    class Unmarked:
        """No marker."""

    with pytest.raises(
            ValueError,
            match="docstring of .*Unmarked has no '<audio settings>' line"):
        document_settings(Unmarked)


def test_mel_scale_round_trip_and_filterbank_shape():
    hz = np.array([0.0, 440.0, 8000.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(hz)), hz, atol=1e-6)
    np.testing.assert_allclose(
        hz_to_mel(1000.0), 1000.0, atol=0.1)  # HTK: 1 kHz ~ 1000 mel
    fb = mel_filterbank(16000, 512, 40)
    assert fb.shape == (40, 257) and fb.dtype == np.float32
    assert fb.min() >= 0 and fb.max() == pytest.approx(1.0, abs=0.05)


def test_filter_peaks_lie_at_the_mel_spaced_centres():
    fb = mel_filterbank(16000, 512, 40, fmin=50, fmax=7000)
    peaks = fb.argmax(1) * 16000 / 512
    centres = mel_to_hz(np.linspace(hz_to_mel(50), hz_to_mel(7000), 42))[1:-1]
    np.testing.assert_allclose(peaks, centres, atol=16000 / 512)
    assert fb[:, :int(50 * 512 / 16000)].max(
    ) == 0 and fb[:, int(np.ceil(7000 * 512 / 16000)) + 1:].max() == 0


def test_default_filterbank_has_no_empty_band_and_a_sparse_one_warns():
    cfg = AudioFeatureConfig()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert mel_filterbank(cfg.sample_rate, cfg.n_fft,
                              cfg.n_mels).max(1).min() > 0.5
    with pytest.warns(UserWarning, match='cover no FFT bin'):
        mel_filterbank(16000, 512, 128)


def test_sine_energy_peaks_in_the_band_of_its_frequency(make_tone):
    cfg = AudioFeatureConfig(n_mels=40)
    spec = log_mel_spectrogram(make_tone(440.0, 1.0), cfg)
    assert spec.shape == (40, 1 +
                          16000 // cfg.hop_length) and spec.dtype == np.float32
    band = spec[:, 10:-10].mean(1).argmax()
    fb = mel_filterbank(16000, cfg.n_fft, 40)
    # the band weighing 440 Hz most
    assert band == fb[:, int(round(440 * cfg.n_fft / 16000))].argmax()
    assert spec[:, 10:-10].min() > np.log(cfg.log_offset)


def test_silence_is_the_log_offset_and_frames_are_centred(make_tone):
    wave = make_tone(1000.0, 1.0, start=0.5)  # silent for 0.5 s
    spec = log_mel_spectrogram(wave, AudioFeatureConfig(n_mels=40))
    np.testing.assert_allclose(
        spec[:, :47], np.log(1e-6),
        atol=1e-4)  # frames whose window ends before 0.5 s
    assert spec[:, 53:].max(
        0).min() > np.log(1e-6) + 10  # frames whose window starts after it


def test_decode_wav_gives_the_waveform_and_its_duration(media_files):
    wav = decode_audio(media_files['wav'], 16000)
    assert wav.dtype == np.float32 and len(wav) == 32000
    np.testing.assert_allclose(wav, media_files['wave'], atol=1e-3)
    resampled = decode_audio(media_files['wav'], 8000)
    assert len(resampled) == pytest.approx(
        16000, abs=64) and onset(resampled, 8000) == pytest.approx(
            1.0, abs=0.01)


@pytest.mark.parametrize(
    'name,container,video_codec,audio_codec,sample_rate,delay',
    [
        ('clip.mp4', 'mp4', 'mpeg4', 'aac', 16000,
         0.0),  # mp4 records AAC's priming and FFmpeg drops it
        ('clip.flv', 'flv', 'flv', 'libmp3lame', 22050,
         0.05),  # CREMA-D's container: FLV keeps MP3's 1105-sample delay
        ('clip.avi', 'avi', 'mpeg4', 'pcm_s16le', 16000, 0.0),
    ])
def test_decode_video_containers_keep_duration_and_timing(
        tmp_path, make_tone, name, container, video_codec, audio_codec,
        sample_rate, delay):
    path = tmp_path / name
    write_av(path, make_tone(440.0, 2.0, sample_rate, start=1.0), sample_rate,
             container, video_codec, audio_codec)
    wave = decode_audio(path, 16000)
    assert 2.0 <= len(
        wave) / 16000 < 2.1  # lossy codecs pad up to a whole frame at the end
    assert onset(wave, 16000) == pytest.approx(1.0 + delay, abs=0.01)


def test_decode_errors_name_the_file(tmp_path):
    bad = tmp_path / 'broken.mp4'
    bad.write_bytes(b'not a video')
    with pytest.raises(RuntimeError, match='cannot open .*broken.mp4'):
        decode_audio(bad, 16000)
    with pytest.raises(RuntimeError, match='missing.wav'):
        decode_audio(tmp_path / 'missing.wav', 16000)
    silent = tmp_path / 'silent.mp4'
    with av.open(str(silent), 'w') as out:
        stream = out.add_stream('mpeg4', rate=8)
        stream.width = stream.height = 16
        stream.pix_fmt = 'yuv420p'
        for packet in stream.encode(
                av.VideoFrame.from_ndarray(
                    np.zeros((16, 16, 3), np.uint8), format='rgb24')):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with pytest.raises(ValueError, match='silent.mp4 has no audio stream'):
        decode_audio(silent, 16000)
