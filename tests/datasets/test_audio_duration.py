"""Durations declared by file headers, to tell a truncated file from short
audio."""
import pytest

from clcr_plugin.datasets.audio_duration import (declared_audio_seconds,
                                                 wav_declared_seconds)


def test_headers_declare_the_whole_length_of_a_truncated_file(bad_media):
    assert wav_declared_seconds(bad_media / 'whole.wav') == pytest.approx(2.0)
    assert wav_declared_seconds(bad_media /
                                'truncated.wav') == pytest.approx(2.0)
    assert declared_audio_seconds(bad_media / 'good0.mp4') == pytest.approx(
        2.0, abs=0.07)
    assert declared_audio_seconds(bad_media / 'no_audio.mp4') is None
    assert declared_audio_seconds(bad_media / 'cut.mp4') is None


def test_unknown_or_foreign_headers_declare_nothing(bad_media, tmp_path):
    streamed = bytearray((bad_media / 'whole.wav').read_bytes())
    at = streamed.index(b'data') + 4
    streamed[at:at + 4] = b'\xff\xff\xff\xff'  # a streaming writer's size
    (tmp_path / 'streamed.wav').write_bytes(bytes(streamed))
    assert wav_declared_seconds(tmp_path / 'streamed.wav') is None
    (tmp_path / 'not.wav').write_bytes(b'ID3 not a wav at all')
    assert wav_declared_seconds(tmp_path / 'not.wav') is None
