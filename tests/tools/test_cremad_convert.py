"""tools/data/cremad/convert.py on a miniature CREMA-D release, and both
CREMA-D configs (clcr_r18-r18_1xb64-3x1x1-100e_cremad-rgb-audio.py and
concat_r18-r18_1xb64-3x1x1-100e_cremad-rgb-audio.py) trained and tested
through the Runner on what it writes."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from av_media import (TINY_AUDIO_ARGS, tiny_config, train_and_test, write_clip,
                      write_wav)
from tool_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
EMOTIONS = ['ANG', 'DIS', 'FEA', 'HAP', 'NEU', 'SAD']
ACTORS = ['1001', '1002', '1003', '1004', '1005']
SENTENCES = ['DFA', 'IEO', 'TIE']
CONFIGS = [
    ROOT / 'configs' / 'clcr' /
    'clcr_r18-r18_1xb64-3x1x1-100e_cremad-rgb-audio.py',
    ROOT / 'configs' / 'baselines' /
    'concat_r18-r18_1xb64-3x1x1-100e_cremad-rgb-audio.py',
]


@pytest.fixture(scope='module')
def tool():
    module = load_script(
        'tools/data/cremad/convert.py', 'cremad_convert', register=True)
    yield module
    del sys.modules[module.__name__]


def clip_names():
    """15 clips: 5 actors x 3 sentences, emotions cycling over all six."""
    return [
        f'{actor}_{sentence}_{EMOTIONS[(3 * a + s) % 6]}_XX'
        for a, actor in enumerate(ACTORS)
        for s, sentence in enumerate(SENTENCES)
    ]


@pytest.fixture(scope='module')
def release(tmp_path_factory):
    """VideoFlash/*.flv (FLV1 + MP3, as shipped) and AudioWAV/*.wav, with an
    unreadable flv, a flv without its wav, a flv without an audio stream
    (fine: the audio comes from the wav) and a file that is not a CREMA-D
    name."""
    root = tmp_path_factory.mktemp('cremad')
    names = clip_names()
    for i, name in enumerate(names):
        silent = name == '1002_IEO_NEU_XX'
        write_clip(
            root / 'VideoFlash' / f'{name}.flv',
            fmt='flv',
            video_codec='flv',
            audio_codec=None if silent else 'libmp3lame',
            audio_rate=22050,
            shade=10 * i)
        write_wav(root / 'AudioWAV' / f'{name}.wav')
    (root / 'VideoFlash' / '1003_DFA_ANG_XX.flv').write_bytes(b'FLV broken')
    write_clip(
        root / 'VideoFlash' / '1005_MTI_SAD_XX.flv',
        fmt='flv',
        video_codec='flv',
        audio_codec=None)  # no AudioWAV/1005_MTI_SAD_XX.wav
    write_wav(root / 'AudioWAV' / 'readme_notes.wav')
    return root


def load_split(out: Path, split: str) -> dict:
    return json.loads((out / f'{split}.json').read_text())


@pytest.fixture(scope='module')
def converted(tool, release, tmp_path_factory):
    out = tmp_path_factory.mktemp('cremad_out')
    code = tool.main([
        '--root',
        str(release), '--out',
        str(out), '--no-progress', *TINY_AUDIO_ARGS
    ])
    return code, out


def test_actor_disjoint_split_lists_every_readable_clip(converted, release):
    code, out = converted
    assert code == 1  # some clips were skipped
    assert (out / 'classes.txt').read_text().split('\n')[:-1] == EMOTIONS
    splits = {s: load_split(out, s) for s in ('train', 'val', 'test')}
    actors = {
        s: {e['actor']
            for e in ann['data_list']}
        for s, ann in splits.items()
    }
    # 5 actors: 1 test, 1 val (10 %, at least one), 3 train; disjoint
    assert [len(actors[s]) for s in ('train', 'val', 'test')] == [3, 1, 1]
    assert set().union(*actors.values()) == set(ACTORS)
    listed = sorted(
        Path(e['video']).stem for ann in splits.values()
        for e in ann['data_list'])
    assert listed == sorted(set(clip_names()) - {'1003_DFA_ANG_XX'})
    for ann in splits.values():
        assert ann['metainfo']['classes'] == EMOTIONS
        for entry in ann['data_list']:
            name = Path(entry['video']).stem
            assert entry['label'] == EMOTIONS.index(name.split('_')[2])
            assert entry['video'] == f'VideoFlash/{name}.flv'
            assert entry['audio'] == f'AudioWAV/{name}.wav.npy'
            assert entry['total_frames'] == 8  # 1 s at 8 fps
            feature = np.load(out / 'audio_logmel' / entry['audio'])
            assert feature.shape == (32, 101)  # 1 s at a 10 ms hop


def test_report_names_each_skipped_file_and_counts(converted):
    _, out = converted
    report = json.loads((out / 'conversion_report.json').read_text())
    assert report['skipped_by_kind'] == {
        'bad name': 1,
        'missing': 1,
        'unreadable': 1
    }
    reasons = {s['kind']: s for s in report['skipped']}
    assert reasons['unreadable']['source'] == '1003_DFA_ANG_XX'
    assert 'VideoFlash/1003_DFA_ANG_XX.flv' in reasons['unreadable']['reason']
    assert reasons['missing']['source'] == '1005_MTI_SAD_XX'
    assert 'AudioWAV/1005_MTI_SAD_XX.wav does not exist' in reasons['missing'][
        'reason']
    assert reasons['bad name']['source'] == 'readme_notes'
    for split, counts in report['counts'].items():
        labels = [e['label'] for e in load_split(out, split)['data_list']]
        assert counts == {
            EMOTIONS[k]: labels.count(k)
            for k in sorted(set(labels))
        }
    table = (out / 'conversion_report.txt').read_text()
    assert table.startswith('CREMA-D\nclass') and 'skipped: 3' in table


def test_rerun_keeps_finished_outputs(tool, converted, release):
    _, out = converted
    feature = out / 'audio_logmel' / 'AudioWAV' / '1001_DFA_ANG_XX.wav.npy'
    stamp = feature.stat().st_mtime_ns
    before = {s: load_split(out, s) for s in ('train', 'val', 'test')}
    assert tool.main([
        '--root',
        str(release), '--out',
        str(out), '--no-progress', *TINY_AUDIO_ARGS
    ]) == 1
    assert feature.stat().st_mtime_ns == stamp
    assert {s: load_split(out, s) for s in before} == before
    assert tool.main([
        '--root',
        str(release), '--out',
        str(out), '--no-progress', '--n-mels', '40'
    ]) == 2  # other settings into the same features: refused


def test_given_split_csvs_with_their_quirks(tool, release, tmp_path):
    train_csv = tmp_path / 'train.csv'
    # a BOM, a header, CRLF, a blank line, a name with its extension, a row
    # whose emotion disagrees with the file name, a name that does not exist
    train_csv.write_bytes(('\ufeffname,label\r\n'
                           '1001_DFA_ANG_XX,ANG\r\n'
                           '\r\n'
                           '1001_IEO_DIS_XX.flv,DIS\r\n'
                           '1002_DFA_HAP_XX,SAD\r\n'
                           '1009_DFA_ANG_XX,ANG\r\n').encode('utf-8'))
    test_csv = tmp_path / 'test.csv'
    test_csv.write_text('1004_TIE_SAD_XX,sad\n1005_TIE_FEA_XX,FEA\n')
    out = tmp_path / 'out'
    code = tool.main([
        '--root',
        str(release), '--out',
        str(out), '--split', f'train={train_csv}', '--split',
        f'test={test_csv}', '--rawframes', '--short-side', '12',
        '--no-progress', *TINY_AUDIO_ARGS
    ])
    assert code == 1
    train = load_split(out, 'train')['data_list']
    test = load_split(out, 'test')['data_list']
    assert [Path(e['video']).stem
            for e in train] == ['1001_DFA_ANG_XX', '1001_IEO_DIS_XX']
    assert [(Path(e['video']).stem, e['label'])
            for e in test] == [('1004_TIE_SAD_XX', 5), ('1005_TIE_FEA_XX', 2)]
    assert not (out / 'val.json').exists()
    frames = sorted(Path(train[0]['frame_dir']).glob('img_*.jpg'))
    assert len(frames) == train[0]['total_frames'] == 8
    assert train[0]['filename_tmpl'] == 'img_{:05d}.jpg'
    import cv2
    assert cv2.imread(str(frames[0])).shape == (12, 16, 3)  # 24x32 -> 12
    report = json.loads((out / 'conversion_report.json').read_text())
    kinds = {(s['kind'], s['source']) for s in report['skipped']}
    assert ('label mismatch', '1002_DFA_HAP_XX') in kinds
    assert ('missing', '1009_DFA_ANG_XX') in kinds


def test_split_csv_errors_name_the_file_and_line(tool, tmp_path):
    bad = tmp_path / 'bad.csv'
    bad.write_text('name,label\n1001_DFA_ANG_XX\n')
    with pytest.raises(ValueError, match=r'bad.csv: line 2 is .*name,emotion'):
        tool.read_split_csv(str(bad))
    with pytest.raises(ValueError, match="'1001_DFA' is not <actor>"):
        tool.parse_name('1001_DFA')


def test_actor_split_is_seeded_and_disjoint(tool):
    actors = [str(1001 + i) for i in range(91)]
    first = tool.actor_split(actors, 9, 9, seed=0)
    assert first == tool.actor_split(list(reversed(actors)), 9, 9, seed=0)
    assert first != tool.actor_split(actors, 9, 9, seed=1)
    assert [list(first.values()).count(s)
            for s in ('train', 'val', 'test')] == [73, 9, 9]


@pytest.mark.slow
@pytest.mark.parametrize('config', CONFIGS, ids=[c.stem for c in CONFIGS])
def test_config_trains_and_tests_on_the_converted_set(config, converted,
                                                      release, tmp_path):
    _, out = converted
    cfg = tiny_config(
        config, tmp_path / 'work', out,
        dict(video=str(release), audio=str(out / 'audio_logmel')))
    assert cfg.model.cls_head.num_classes == len(EMOTIONS)
    iters, metrics = train_and_test(cfg)
    assert iters == 2  # one epoch of 4 clips at batch 2
    assert set(metrics) >= {'acc/top1', 'macro_f1'}
    assert 0 <= metrics['acc/top1'] <= 1 and 0 <= metrics['macro_f1'] <= 1
