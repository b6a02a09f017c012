import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools' / 'data' / 'extract_audio_features.py'


def run(src, dst, *extra):
    return subprocess.run([sys.executable, str(TOOL), '--src', str(src), '--dst', str(dst), '--n-mels', '40', *extra],
                          capture_output=True, text=True, timeout=120)


def test_extractor_mirrors_tree_resumes_and_reports_failures(media_files, tmp_path):
    src = tmp_path / 'src'
    (src / 'a' / 'b').mkdir(parents=True)
    shutil.copy(media_files['wav'], src / 'a' / 'tone.wav')
    shutil.copy(media_files['mp4'], src / 'a' / 'b' / 'clip.mp4')
    (src / 'a' / 'broken.mp4').write_bytes(b'garbage')
    dst = tmp_path / 'dst'
    first = run(src, dst)
    assert first.returncode == 1
    assert 'broken.mp4' in (dst / 'failed.txt').read_text()
    feature = np.load(dst / 'a' / 'tone.wav.npy')
    assert feature.shape == (40, 201) and feature.dtype == np.float32
    assert (dst / 'a' / 'b' / 'clip.mp4.npy').is_file()
    assert not list(dst.rglob('*.tmp.npy'))
    stamp = (dst / 'a' / 'tone.wav.npy').stat().st_mtime_ns
    (src / 'a' / 'broken.mp4').unlink()
    second = run(src, dst)
    assert second.returncode == 0 and '2 already extracted, 0 to do' in second.stdout
    assert (dst / 'a' / 'tone.wav.npy').stat().st_mtime_ns == stamp
    assert not (dst / 'failed.txt').exists()
