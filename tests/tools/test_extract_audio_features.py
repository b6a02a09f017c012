import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tool_scripts import load_script

from clcr_plugin.datasets.audio import (AudioFeatureConfig, audio_settings,
                                        decode_audio, log_mel_spectrogram)

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools' / 'data' / 'extract_audio_features.py'
ARGS = ['--n-mels', '40', '--n-fft', '512']


@pytest.fixture(scope='module')
def tool():
    """The extractor as a module, so most runs stay in this process (its
    package import takes seconds)."""
    # registered, so --workers can pickle its functions
    module = load_script(TOOL, register=True)
    yield module
    del sys.modules[module.__name__]


@pytest.fixture
def src(media_files, tmp_path):
    """``a/tone.wav``, ``a/b/clip.mp4``, a corrupt ``a/broken.mp4`` and an
    ignored ``a/notes.txt``."""
    root = tmp_path / 'src'
    (root / 'a' / 'b').mkdir(parents=True)
    shutil.copy(media_files['wav'], root / 'a' / 'tone.wav')
    shutil.copy(media_files['mp4'], root / 'a' / 'b' / 'clip.mp4')
    (root / 'a' / 'broken.mp4').write_bytes(b'garbage')
    (root / 'a' / 'notes.txt').write_text('not media')
    return root


def test_extractor_mirrors_the_tree_and_reports_failures_after_the_rest(
        src, tmp_path, media_files):
    dst = tmp_path / 'dst'
    run = subprocess.run([
        sys.executable,
        str(TOOL), '--src',
        str(src), '--dst',
        str(dst), *ARGS
    ],
                         capture_output=True,
                         text=True,
                         timeout=120)
    assert run.returncode == 1, run.stderr
    assert 'FAILED' in run.stderr and 'broken.mp4' in run.stderr
    failed = (dst / 'failed.txt').read_text().splitlines()
    assert len(failed) == 1 and failed[0].startswith(
        str(src / 'a' / 'broken.mp4') + '\t')
    assert sorted(
        p.relative_to(dst).as_posix()
        for p in dst.rglob('*.npy')) == ['a/b/clip.mp4.npy', 'a/tone.wav.npy']
    cfg = AudioFeatureConfig(n_mels=40, n_fft=512)
    expected = log_mel_spectrogram(
        decode_audio(media_files['wav'], 16000), cfg)
    np.testing.assert_array_equal(
        np.load(dst / 'a' / 'tone.wav.npy'),
        expected)  # what LoadAudioLogMel computes
    assert json.loads(
        (dst / 'audio_feature_config.json').read_text()) == cfg.to_dict()


def test_extractor_resumes_and_clears_failures_once_fixed(
        tool, src, tmp_path, capsys):
    dst = tmp_path / 'dst'
    assert tool.main(['--src', str(src), '--dst', str(dst), *ARGS]) == 1
    done = dst / 'a' / 'tone.wav.npy'
    stamp = done.stat().st_mtime_ns
    (dst / 'a' / 'b' / 'clip.mp4.npy').write_bytes(
        b'half a file')  # as if written by an old, killed tool
    (src / 'a' / 'broken.mp4').unlink()
    capsys.readouterr()
    assert tool.main(
        ['--src',
         str(src), '--dst',
         str(dst), *ARGS, '--workers', '2']) == 0
    assert '2 inputs, 1 already extracted, 1 to do' in capsys.readouterr().out
    assert done.stat().st_mtime_ns == stamp  # skipped, not rewritten
    assert np.load(
        dst / 'a' / 'b' /
        'clip.mp4.npy').shape[0] == 40  # the unloadable output was redone
    assert not (dst / 'failed.txt').exists() and not list(
        dst.rglob('*.tmp.npy'))


def test_extractor_reads_list_files_relative_to_root(tool, src, tmp_path):
    listing = tmp_path / 'videos.txt'
    listing.write_text('a/b/clip.mp4 3\n\na/tone.wav 0\n')
    dst = tmp_path / 'dst'
    assert tool.main(
        ['--src',
         str(listing), '--root',
         str(src), '--dst',
         str(dst), *ARGS]) == 0
    assert sorted(
        p.relative_to(dst).as_posix()
        for p in dst.rglob('*.npy')) == ['a/b/clip.mp4.npy', 'a/tone.wav.npy']


def test_extractor_refuses_bad_arguments(tool, src, tmp_path, capsys):
    dst = tmp_path / 'dst'
    assert tool.main(
        ['--src', str(src), '--dst',
         str(dst), '--ext', 'flac', *ARGS]) == 2
    assert 'no inputs' in capsys.readouterr().err
    outside = tmp_path / 'outside.txt'
    outside.write_text('../elsewhere.mp4\n')
    assert tool.main(['--src', str(outside), '--dst', str(dst), *ARGS]) == 2
    assert 'outside --root' in capsys.readouterr().err
    assert tool.main(
        ['--src', str(src), '--dst',
         str(dst), '--ext', 'wav', *ARGS]) == 0
    assert tool.main([
        '--src',
        str(src), '--dst',
        str(dst), '--ext', 'wav', '--n-fft', '512', '--n-mels', '64'
    ]) == 2
    err = capsys.readouterr().err
    assert (f'features in {dst} were made with n_mels=40 '
            f'({dst / "audio_feature_config.json"}), this run asks for '
            'n_mels=64; use another --dst' in err)


def test_every_setting_is_an_option_that_reaches_the_record(
        tool, src, tmp_path):
    options = {
        s.name: '--' + s.name.replace('_', '-')
        for s in audio_settings()
    }
    values = dict(
        sample_rate=8000,
        n_fft=256,
        hop_length=100,
        win_length=200,
        n_mels=20,
        fmin=50.0,
        fmax=3000.0,
        log_offset=1e-4)
    assert set(values) == set(options)  # a new setting needs a value here
    settings = [
        str(v) for name in values for v in (options[name], values[name])
    ]
    args = tool.parse_args(['--src', 'x', '--dst', 'y', *settings])
    assert {name: getattr(args, name) for name in values} == values
    dst = tmp_path / 'dst'
    assert tool.main(
        ['--src',
         str(src), '--dst',
         str(dst), '--ext', 'wav', *settings]) == 0
    assert json.loads(
        (dst / 'audio_feature_config.json').read_text()) == values
    assert np.load(dst / 'a' /
                   'tone.wav.npy').shape == (20, 1 + 16000 // 100
                                             )  # 2 s at 8 kHz, hop 100


def test_help_documents_every_setting_as_the_config_does(tool, capsys):
    with pytest.raises(SystemExit):
        tool.parse_args(['--help'])
    # argparse re-wraps the lines
    help_text = ' '.join(capsys.readouterr().out.split())
    for setting in audio_settings():
        assert (f"--{setting.name.replace('_', '-')} {setting.name.upper()} "
                f'{setting.doc}' in help_text)
