"""OpenCV flow, its denseflow encoding, per-folder extraction; all without
OpenMMLab."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest

from clcr_plugin.datasets import optical_flow
from clcr_plugin.datasets.optical_flow import (decode_flow, encode_flow,
                                               extract_flow_folder,
                                               flow_estimator)

REPO = Path(__file__).resolve().parents[2]


def texture_frames(folder: Path, num_frames: int, dx: int) -> None:
    """``img_00001.jpg ..``: a smooth texture moving ``dx`` px a frame."""
    rng = np.random.default_rng(0)
    tex = cv2.GaussianBlur(
        rng.integers(0, 255, (48, 96)).astype(np.uint8), (0, 0), 2)
    tex = cv2.normalize(tex, None, 0, 255, cv2.NORM_MINMAX)
    folder.mkdir(parents=True, exist_ok=True)
    for t in range(num_frames):
        x0 = 16 - dx * t
        cv2.imwrite(
            str(folder / f'img_{t + 1:05d}.jpg'),
            np.ascontiguousarray(tex[:, x0:x0 + 64]))


def test_encoding_round_trips_within_half_a_step():
    flow = np.random.default_rng(0).uniform(-20, 20, (5, 7, 2))
    x, y = encode_flow(flow.astype(np.float32))
    back = np.stack([decode_flow(x), decode_flow(y)], -1)
    assert np.abs(back - flow).max() <= 0.5 * 40 / 255 + 1e-6
    np.testing.assert_allclose(
        decode_flow(255 - x), -decode_flow(x), atol=1e-5)


def test_encode_flow_rejects_a_single_component():
    with pytest.raises(ValueError, match=r'\(H, W, 2\) flow, got \(4, 4\)'):
        encode_flow(np.zeros((4, 4), np.float32))


@pytest.mark.parametrize('method', ['farneback', 'tvl1'])
def test_folder_gets_n_minus_1_flows_of_the_motion(tmp_path, method):
    if method == 'tvl1' and not optical_flow.has_tvl1():
        pytest.skip('needs opencv-contrib')
    texture_frames(tmp_path, 3, dx=-2)
    assert extract_flow_folder(str(tmp_path), method) == 2
    assert (tmp_path / '.flow_complete').read_text() == f'2 {method}'
    assert not (tmp_path / 'x_00003.jpg').exists()
    x = decode_flow(cv2.imread(str(tmp_path / 'x_00002.jpg'), 0))
    assert abs(x[8:-8, 8:-8].mean() + 2) < 0.3


def test_unfinished_folder_is_redone_and_stale_flows_removed(tmp_path):
    texture_frames(tmp_path, 3, dx=1)
    (tmp_path / 'x_00009.jpg').write_bytes(b'stale')
    assert extract_flow_folder(str(tmp_path), 'farneback') == 2
    assert sorted(p.name for p in tmp_path.glob('[xy]_*')) == [
        'x_00001.jpg', 'x_00002.jpg', 'y_00001.jpg', 'y_00002.jpg'
    ]


def test_one_frame_is_not_enough(tmp_path):
    texture_frames(tmp_path, 1, dx=1)
    with pytest.raises(
            ValueError,
            match=r'holds 1 frame\(s\) named '
            r'img_\{:05d\}.jpg; flow needs at least 2'):
        extract_flow_folder(str(tmp_path))


def test_methods_are_checked(monkeypatch):
    with pytest.raises(ValueError, match="'brox' is not one of"):
        flow_estimator('brox')
    monkeypatch.setattr(optical_flow, 'has_tvl1', lambda: False)
    assert flow_estimator('auto')[0] == 'farneback'
    with pytest.raises(ValueError, match='needs opencv-contrib'):
        flow_estimator('tvl1')


def test_extract_flow_tool_runs_without_openmmlab(tmp_path):
    texture_frames(tmp_path / 'A' / 'v1', 2, dx=1)
    code = textwrap.dedent('''
        import importlib.abc, runpy, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('mmengine', 'mmcv', 'mmaction'):
                    raise ModuleNotFoundError(name, name=name)

        sys.meta_path.insert(0, Block())
        sys.argv = sys.argv[1:]
        try:
            runpy.run_path(sys.argv[0], run_name='__main__')
        finally:
            loaded = [m for m in sys.modules
                      if m.split('.')[0] in ('mmengine', 'mmcv', 'mmaction')]
            assert not loaded, loaded
        ''')
    run = subprocess.run([
        sys.executable, '-c', code,
        str(REPO / 'tools' / 'data' / 'ucf101' / 'extract_flow.py'),
        '--frames',
        str(tmp_path), '--method', 'farneback', '--no-progress'
    ],
                         capture_output=True,
                         text=True,
                         env=dict(os.environ, PYTHONPATH=str(REPO)),
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / 'A' / 'v1' / '.flow_complete').is_file()
