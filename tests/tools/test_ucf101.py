"""UCF101 RGB + flow, from a miniature official release to a trained model.

The test writes ``UCF-101/<Class>/v_<Class>_gXX_cYY.avi`` (MPEG-4 part 2 in
AVI, as shipped) with a texture moving in a known direction, and
``ucfTrainTestlist/`` in the official formats (Windows line ends, 1-based
labels, test lists without labels, the ``HandstandPushups`` folder holding
``v_HandStandPushups_*`` files), runs ``tools/data/ucf101/convert.py`` and
``extract_flow.py``, and steps the configs
``clcr_r18-r18_1xb64-3x1x1-100e_ucf101-split1-rgb-flow.py`` and
``concat_r18-r18_1xb64-3x1x1-100e_ucf101-split1-rgb-flow.py`` through
mmengine's Runner on the result.
"""
import json
import shutil
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from tool_scripts import load_script

from clcr_plugin.datasets.optical_flow import decode_flow, has_tvl1

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / 'tools' / 'data' / 'ucf101'
CONFIGS = [
    ROOT / 'configs' / 'clcr' /
    'clcr_r18-r18_1xb64-3x1x1-100e_ucf101-split1-rgb-flow.py',
    ROOT / 'configs' / 'baselines' /
    'concat_r18-r18_1xb64-3x1x1-100e_ucf101-split1-rgb-flow.py',
]
# (folder name, name in the file names, motion in px per frame (dx, dy))
CLASSES = [('ApplyEyeMakeup', 'ApplyEyeMakeup', (2, 0)),
           ('HandstandPushups', 'HandStandPushups', (0, 2)),
           ('YoYo', 'YoYo', (-2, 0))]
NUM_FRAMES = 6


def load_tool(name: str):
    # registered, so --workers can pickle its functions
    return load_script(TOOLS / f'{name}.py', f'ucf101_{name}', register=True)


def write_avi(path: Path, motion, seed: int) -> None:
    """``NUM_FRAMES`` 48x64 frames of a smooth random texture shifted by
    ``motion`` px per frame, MPEG-4 in AVI at 25 fps."""
    rng = np.random.default_rng(seed)
    tex = cv2.GaussianBlur(
        rng.integers(0, 255, (96, 128, 3)).astype(np.uint8), (0, 0), 2)
    tex = cv2.normalize(tex, None, 0, 255, cv2.NORM_MINMAX)
    dx, dy = motion
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('mpeg4', rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, 'yuv420p'
        stream.options = {'qscale': '2'}
        for t in range(NUM_FRAMES):
            y0, x0 = 24 - dy * t, 32 - dx * t  # content moves by +motion
            frame = np.ascontiguousarray(tex[y0:y0 + 48, x0:x0 + 64])
            for packet in stream.encode(
                    av.VideoFrame.from_ndarray(frame, format='rgb24')):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def write_release(root: Path) -> Path:
    """2 train + 1 test video per class, 1 missing and 1 corrupt test video;
    returns ``root``."""
    lists = root / 'ucfTrainTestlist'
    lists.mkdir(parents=True)
    train, test = [], []
    for label, (folder, name, motion) in enumerate(CLASSES, 1):
        for group in (8, 9, 1):
            rel = f'{folder}/v_{name}_g{group:02d}_c01.avi'
            write_avi(root / 'UCF-101' / rel, motion, seed=10 * label + group)
            (test if group == 1 else
             train).append(f'{rel}' if group == 1 else f'{rel} {label}')
    test.append('YoYo/v_YoYo_g02_c01.avi')  # listed, not shipped
    (root / 'UCF-101' / 'YoYo' / 'v_YoYo_g03_c01.avi').write_bytes(b'xvid?')
    test.append('YoYo/v_YoYo_g03_c01.avi')  # unreadable
    for name, lines in (('classInd.txt',
                         [f'{i} {c[0]}' for i, c in enumerate(CLASSES, 1)]),
                        ('trainlist01.txt', train), ('testlist01.txt', test)):
        (lists / name).write_bytes(('\r\n'.join(lines) + '\r\n').encode())
    return root


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """The release converted with Farneback flow; ``(release, out, code)``."""
    release = write_release(tmp_path_factory.mktemp('ucf101_raw'))
    out = tmp_path_factory.mktemp('ucf101')
    code = load_tool('convert').main([
        '--root',
        str(release), '--out',
        str(out), '--flow', 'farneback', '--no-progress'
    ])
    return release, out, code


def mean_flow(folder: Path, t: int) -> np.ndarray:
    """Mean (dx, dy) in px of flow ``t`` away from the borders."""
    return np.array([
        decode_flow(cv2.imread(str(folder / f'{d}_{t:05d}.jpg'),
                               0))[8:-8, 8:-8].mean() for d in 'xy'
    ])


def test_converter_writes_mmaction2_lists_class_map_and_report(converted):
    _, out, code = converted
    assert code == 1  # two test videos were skipped
    assert (out / 'classes.txt').read_text().split() == [c[0] for c in CLASSES]
    train = (out / 'ucf101_train_split_1_rawframes.txt').read_text()
    assert train.splitlines() == [
        f'{folder}/v_{name}_g{g:02d}_c01 {NUM_FRAMES} {label}'
        for label, (folder, name, _) in enumerate(CLASSES) for g in (8, 9)
    ]
    test = (out / 'ucf101_val_split_1_rawframes.txt').read_text()
    assert test.splitlines() == [
        f'{folder}/v_{name}_g01_c01 {NUM_FRAMES} {label}'
        for label, (folder, name, _) in enumerate(CLASSES)
    ]
    report = json.loads((out / 'conversion_report.json').read_text())
    assert report['counts'] == {
        'train': {
            c[0]: 2
            for c in CLASSES
        },
        'test': {
            c[0]: 1
            for c in CLASSES
        }
    }
    assert report['skipped_by_kind'] == {'missing': 1, 'unreadable': 1}
    assert {s['source']
            for s in report['skipped']
            } == {'YoYo/v_YoYo_g02_c01.avi', 'YoYo/v_YoYo_g03_c01.avi'}
    summary = (out / 'conversion_report.txt').read_text()
    assert summary.startswith('UCF101 split 1, flow farneback\n')
    assert 'HandstandPushups' in summary and 'missing: 1' in summary


def test_every_folder_holds_n_frames_and_n_minus_1_flows_of_the_right_sign(
        converted):
    _, out, _ = converted
    for folder, name, motion in CLASSES:
        frames = out / 'rawframes' / folder / f'v_{name}_g08_c01'
        assert len(list(frames.glob('img_*.jpg'))) == NUM_FRAMES
        for d in 'xy':
            assert len(list(frames.glob(f'{d}_*.jpg'))) == NUM_FRAMES - 1
        assert cv2.imread(str(frames / 'img_00001.jpg')).shape == (48, 64, 3)
        for t in (1, NUM_FRAMES - 1):
            np.testing.assert_allclose(mean_flow(frames, t), motion, atol=0.5)


def test_rerun_keeps_finished_folders_and_redoes_unfinished_flow(converted):
    release, out, _ = converted
    frames = out / 'rawframes' / 'YoYo' / 'v_YoYo_g08_c01'
    kept = frames / 'x_00002.jpg'
    stamp = kept.stat().st_mtime_ns
    redo = out / 'rawframes' / 'YoYo' / 'v_YoYo_g09_c01'
    (redo / '.flow_complete').unlink()  # as if killed mid-folder
    (redo / 'y_00005.jpg').unlink()
    lists = {p.name: p.read_text() for p in out.glob('ucf101_*_rawframes.txt')}
    code = load_tool('convert').main([
        '--root',
        str(release), '--out',
        str(out), '--flow', 'farneback', '--workers', '2', '--no-progress'
    ])
    assert code == 1  # the same two skipped, now found by worker processes
    report = json.loads((out / 'conversion_report.json').read_text())
    assert report['skipped_by_kind'] == {'missing': 1, 'unreadable': 1}
    assert kept.stat().st_mtime_ns == stamp
    assert (redo / 'y_00005.jpg').is_file()
    assert (redo / '.flow_complete').read_text() == '5 farneback'
    np.testing.assert_allclose(mean_flow(redo, 5), (-2, 0), atol=0.5)
    assert lists == {
        p.name: p.read_text()
        for p in out.glob('ucf101_*_rawframes.txt')
    }


@pytest.mark.skipif(not has_tvl1(), reason='needs opencv-contrib')
def test_extract_flow_tvl1_gives_the_motion_and_resumes(converted, tmp_path):
    _, out, _ = converted
    root = tmp_path / 'frames'
    shutil.copytree(out / 'rawframes' / 'HandstandPushups', root / 'Hs')
    for path in root.rglob('*'):
        if path.name.startswith(('x_', 'y_', '.flow')):
            path.unlink()
    tool = load_tool('extract_flow')
    assert tool.main(
        ['--frames',
         str(root), '--method', 'tvl1', '--no-progress']) == 0
    folder = root / 'Hs' / 'v_HandStandPushups_g08_c01'
    assert (folder / '.flow_complete').read_text() == '5 tvl1'
    np.testing.assert_allclose(mean_flow(folder, 3), (0, 2), atol=0.5)
    report = json.loads((root / 'conversion_report.json').read_text())
    assert report['counts'] == {'flow': {'Hs': 3}}
    stamp = (folder / 'y_00003.jpg').stat().st_mtime_ns
    assert tool.main(['--frames', str(root), '--no-progress']) == 0
    assert (folder / 'y_00003.jpg').stat().st_mtime_ns == stamp


def test_extract_flow_refuses_a_folder_without_frames(tmp_path, capsys):
    assert load_tool('extract_flow').main(['--frames', str(tmp_path)]) == 2
    assert f'no folder under {tmp_path} holds img_00001.jpg' in (
        capsys.readouterr().err)


def test_bad_split_list_line_is_named_before_any_work(tmp_path, capsys):
    lists = tmp_path / 'ucfTrainTestlist'
    lists.mkdir()
    (lists / 'classInd.txt').write_text('1 YoYo\r\n')
    (lists / 'trainlist01.txt').write_text('YoYo/v_YoYo_g08_c01.avi 1\r\n'
                                           'Yo/v_Yo_g08_c01.avi 1\r\n')
    (lists / 'testlist01.txt').write_text('')
    code = load_tool('convert').main(
        ['--root', str(tmp_path), '--out',
         str(tmp_path / 'out')])
    assert code == 2
    assert (f"{lists}/trainlist01.txt, line 2: class folder 'Yo' is not in "
            'classInd.txt') in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def tiny_config(path: Path, out: Path, work_dir: Path) -> Config:
    """The config at 32x32, 2 samples a batch, one epoch, no workers."""
    cfg = Config.fromfile(str(path))
    cfg.work_dir = str(work_dir)
    cfg.model.dry_run_inputs = dict(rgb=(3, 32, 32), flow=(10, 32, 32))
    cfg.train_cfg = dict(
        type='EpochBasedTrainLoop', max_epochs=1, val_interval=1)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        ds = loader.dataset
        ds.ann_file = ds.ann_file.replace('data/ucf101', str(out))
        ds.data_prefix.img = ds.data_prefix.img.replace(
            'data/ucf101', str(out))
        ds.metainfo.classes = str(out / 'classes.txt')
        for step in ds.pipeline:
            for inner in step.get('transforms', []):
                if inner.type == 'Resize':
                    inner.scale = (32, 32)
    cfg.model.cls_head.num_classes = len(CLASSES)
    return cfg


def test_config_stack_length_matches_the_flow_backbone():
    cfg = Config.fromfile(str(CONFIGS[0]))
    stacks = {
        step['stack_len']
        for loader in ('train', 'val', 'test')
        for step in cfg[f'{loader}_dataloader'].dataset.pipeline
        if step['type'] == 'DecodeFlowStacks'
    }
    assert stacks == {cfg.flow_stack_len}
    in_channels = cfg.model.backbones.flow.in_channels
    assert in_channels == 2 * cfg.flow_stack_len
    assert cfg.model.dry_run_inputs['flow'][0] == in_channels
    assert cfg.train_dataloader.batch_size == 64
    assert [m['type']
            for m in cfg.val_evaluator] == ['AccMetric', 'MacroF1Metric']


@pytest.mark.slow
@pytest.mark.parametrize('path', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_trains_and_evaluates_on_the_converted_set(
        converted, path, tmp_path):
    _, out, _ = converted
    runner = Runner.from_cfg(tiny_config(path, out, tmp_path))
    runner.train()
    assert (tmp_path / 'epoch_1.pth').is_file()
    logs = sorted(tmp_path.glob('*/vis_data/scalars.json'))[-1]
    records = [json.loads(line) for line in logs.read_text().splitlines()]
    losses = [r['loss'] for r in records if 'loss' in r]
    assert len(losses) == 3 and all(np.isfinite(losses))  # 6 clips / 2
    metrics = runner.test()
    assert 0.0 <= metrics['acc/top1'] <= 1.0
    assert 0.0 <= metrics['macro_f1'] <= 1.0
    assert sys.modules['clcr_plugin']  # the plug-in came from custom_imports
