"""tools/data/kinetics_sounds/convert.py on a miniature Kinetics-400 layout,
and both Kinetics-Sounds configs
(clcr_r18-r18_1xb64-3x1x1-100e_kinetics-sounds-rgb-audio.py and
concat_r18-r18_1xb64-3x1x1-100e_kinetics-sounds-rgb-audio.py) trained and
tested through the Runner on what it writes."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from av_media import TINY_AUDIO_ARGS, tiny_config, train_and_test, write_clip
from tool_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
TOOL_DIR = ROOT / 'tools' / 'data' / 'kinetics_sounds'
KS = (TOOL_DIR / 'classes.txt').read_text().splitlines()
CONFIGS = [
    ROOT / 'configs' / 'clcr' /
    'clcr_r18-r18_1xb64-3x1x1-100e_kinetics-sounds-rgb-audio.py',
    ROOT / 'configs' / 'baselines' /
    'concat_r18-r18_1xb64-3x1x1-100e_kinetics-sounds-rgb-audio.py',
]
# three KS classes, one written as mmaction2's renamed folders write it
USED = ['playing bagpipes', 'tapping pen', 'chopping wood']


@pytest.fixture(scope='module')
def tool():
    module = load_script(TOOL_DIR / 'convert.py', 'ks_convert', register=True)
    yield module
    del sys.modules[module.__name__]


def clip_id(label: str, i: int) -> str:
    return f'{label[:3]}{i:08d}'[:11]  # youtube ids have 11 characters


@pytest.fixture(scope='module')
def kinetics(tmp_path_factory):
    """Kinetics-400 as downloaded: ``<split>/<label>/<id>_<start>_<end>.mp4``
    and the csv files; 3 KS classes x (3 train + 1 val) clips, one of them
    without an audio stream, one truncated, one listed but not downloaded,
    and a clip of a class outside KS."""
    root = tmp_path_factory.mktemp('k400')
    train_rows, val_rows = [], []
    for c, label in enumerate(USED):
        for i in range(4):
            split = 'train' if i < 3 else 'val'
            yid, start = clip_id(label, i), 10 * i
            folder = root / 'videos' / split / label.replace(' ', '_')
            path = folder / f'{yid}_{start:06d}_{start + 10:06d}.mp4'
            write_clip(path, shade=40 * c + 10 * i)
            csv_label = label.replace(' ', '_') if c == 0 else label
            row = (csv_label, yid, start, start + 10, split)
            (train_rows if split == 'train' else val_rows).append(row)
    silent = clip_id('tapping pen', 1)
    write_clip(
        root / 'videos' / 'train' / 'tapping_pen' /
        f'{silent}_000010_000020.mp4',
        audio_codec=None)  # overwrites it without audio
    broken = root / 'videos' / 'val' / 'chopping_wood' / (
        f'{clip_id("chopping wood", 3)}_000030_000040.mp4')
    broken.write_bytes(broken.read_bytes()[:500])
    train_rows.append(('tapping pen', 'notdownload', 0, 10, 'train'))
    write_clip(root / 'videos' / 'train' / 'abseiling' /
               'abseil00000_000000_000010.mp4')
    train_rows.append(('abseiling', 'abseil00000', 0, 10, 'train'))
    ann = root / 'annotations'
    ann.mkdir()
    # the train csv with an is_cc column and quoted labels; val in another
    # column order; the test csv has no labels
    (ann / 'kinetics_train.csv'
     ).write_text('label,youtube_id,time_start,time_end,split,is_cc\n' +
                  ''.join(f'"{lb}",{y},{s},{e},{sp},0\n'
                          for lb, y, s, e, sp in train_rows))
    (ann / 'kinetics_val.csv'
     ).write_text('youtube_id,label,time_start,time_end,split\n' +
                  ''.join(f'{y},{lb},{s},{e},{sp}\n'
                          for lb, y, s, e, sp in val_rows))
    (ann / 'kinetics_test.csv').write_text(
        'youtube_id,time_start,time_end,split\nzzzzzzzzzzz,0,10,test\n')
    return root


@pytest.fixture(scope='module')
def converted(tool, kinetics, tmp_path_factory):
    out = tmp_path_factory.mktemp('ks_out')
    ann = kinetics / 'annotations'
    code = tool.main([
        '--csv',
        str(ann / 'kinetics_train.csv'),
        str(ann / 'kinetics_val.csv'),
        str(ann / 'kinetics_test.csv'), '--videos',
        str(kinetics / 'videos'), '--out',
        str(out), '--val-fraction', '0.34', '--no-progress', *TINY_AUDIO_ARGS
    ])
    return code, out


def load(out: Path, split: str) -> list:
    return json.loads((out / f'{split}.json').read_text())['data_list']


def test_class_list_is_shipped_with_its_source():
    assert len(KS) == len(set(KS)) == 31
    readme = (TOOL_DIR / 'README.md').read_text()
    assert '1705.08168' in readme and 'OGM-GE' in readme


def test_lists_keep_ks_clips_with_audio_in_their_splits(converted):
    code, out = converted
    assert code == 1
    assert (out / 'classes.txt').read_text().splitlines() == KS
    train, val, test = (load(out, s) for s in ('train', 'val', 'test'))
    # K400 train: 3 per class, one per class to val (0.34 x 3 rounds to 1),
    # minus the silent tapping-pen clip; K400 val -> test, minus the
    # truncated chopping-wood clip
    assert len(train) + len(val) == 8 and len(val) == 3
    assert sorted(KS[e['label']]
                  for e in test) == ['playing bagpipes', 'tapping pen']
    for entry in train + val + test:
        label = KS[entry['label']]
        assert label in USED
        assert Path(entry['video']).parent.name == label.replace(' ', '_')
        assert entry['audio'] == entry['video'] + '.npy'
        assert np.load(out / 'audio_logmel' / entry['audio']).shape[0] == 32
        assert entry['total_frames'] == 8
    assert all(e['video'].startswith('val/') for e in test)
    assert all(e['video'].startswith('train/') for e in train + val)
    assert not {e['youtube_id']
                for e in train} & {e['youtube_id']
                                   for e in val}


def test_report_lists_silent_truncated_and_missing_clips(converted):
    _, out = converted
    report = json.loads((out / 'conversion_report.json').read_text())
    assert report['skipped_by_kind'] == {
        'missing': 1,
        'no audio stream': 1,
        'unreadable': 1
    }
    by_kind = {s['kind']: s for s in report['skipped']}
    assert by_kind['no audio stream']['reason'].endswith(
        f'{clip_id("tapping pen", 1)}_000010_000020.mp4 has no audio stream')
    assert by_kind['missing']['source'].endswith(
        'kinetics_train.csv:11')  # header + 9 rows
    assert 'notdownload_000000_000010' in by_kind['missing']['reason']
    assert report['counts']['test'] == {
        'playing bagpipes': 1,
        'tapping pen': 1
    }
    assert sum(report['counts']['train'].values()) == len(load(out, 'train'))


def test_rerun_keeps_features_and_lists(tool, converted, kinetics):
    _, out = converted
    entry = load(out, 'train')[0]
    feature = out / 'audio_logmel' / entry['audio']
    stamp = feature.stat().st_mtime_ns
    ann = kinetics / 'annotations'
    before = [load(out, s) for s in ('train', 'val', 'test')]
    assert tool.main([
        '--csv',
        str(ann / 'kinetics_train.csv'),
        str(ann / 'kinetics_val.csv'), '--videos',
        str(kinetics / 'videos'), '--out',
        str(out), '--val-fraction', '0.34', '--no-progress', *TINY_AUDIO_ARGS
    ]) == 1
    assert feature.stat().st_mtime_ns == stamp
    assert [load(out, s) for s in ('train', 'val', 'test')] == before


def test_csv_errors_name_the_file(tool, tmp_path):
    bad = tmp_path / 'bad.csv'
    bad.write_text('label,youtube_id,start,end\nx,y,0,10\n')
    with pytest.raises(
            ValueError,
            match=r"bad.csv: header .* lacks "
            r"\['time_start', 'time_end', 'split'\]"):
        tool.read_kinetics_csv(str(bad))
    bad.write_text('label,youtube_id,time_start,time_end,split\n'
                   'x,y,zero,10,train\n')
    with pytest.raises(ValueError, match='bad.csv: line 2: time_start'):
        tool.read_kinetics_csv(str(bad))


@pytest.mark.slow
@pytest.mark.parametrize('config', CONFIGS, ids=[c.stem for c in CONFIGS])
def test_config_trains_and_tests_on_the_converted_set(config, converted,
                                                      kinetics, tmp_path):
    _, out = converted
    cfg = tiny_config(
        config, tmp_path / 'work', out,
        dict(video=str(kinetics / 'videos'), audio=str(out / 'audio_logmel')))
    assert cfg.model.cls_head.num_classes == len(KS)
    iters, metrics = train_and_test(cfg)
    assert iters == 2
    assert set(metrics) >= {'acc/top1', 'macro_f1'}
    assert 0 <= metrics['acc/top1'] <= 1 and 0 <= metrics['macro_f1'] <= 1
