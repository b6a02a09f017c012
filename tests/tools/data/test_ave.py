"""AVE from a miniature official release: the converter, the per-second
pipeline, and the four AVE configs trained and evaluated through mmengine's
Runner, including ``tools/test.py --dump``.

The release is written here: ``AVE/<VideoID>.mp4`` (10 s, 4 fps, 32x32,
AAC audio; frame brightness grows with the second, a 440 Hz tone sounds
exactly during the annotated event, over faint noise), ``Annotations.txt``
with its header line (and a UTF-8 byte-order mark and Windows line ends, as
copies of it circulate), the three split files, a video that is missing, one
that is unreadable, a row with out-of-range times and one with a category
that ``Annotations.txt`` lacks.
"""
import copy
import importlib.util
import json
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from tool_scripts import load_script

import clcr_plugin  # noqa: F401
from clcr_plugin.datasets.audio import AudioFeatureConfig
from clcr_plugin.datasets.ave import (AVERow, class_names, read_rows,
                                      segment_labels)
from clcr_plugin.datasets.media_writer import write_mp4

ROOT = Path(__file__).resolve().parents[3]
CLS_CONFIGS = [
    ROOT / 'configs/clcr/clcr_r18-r18_1xb64-3x1x1-100e_ave-rgb-audio.py',
    ROOT /
    'configs/baselines/concat_r18-r18_1xb64-3x1x1-100e_ave-rgb-audio.py',
]
LOC_CONFIGS = [
    ROOT / 'configs/clcr/clcr_r18-r18_1xb64-10x1x1-100e_ave-loc-rgb-audio.py',
    ROOT /
    'configs/baselines/concat_r18-r18_1xb64-10x1x1-100e_ave-loc-rgb-audio.py',
]
# The 28 AVE categories in the order of the real Annotations.txt.
CATEGORIES = [
    'Church bell', 'Male speech, man speaking', 'Bark',
    'Fixed-wing aircraft, airplane', 'Race car, auto racing',
    'Female speech, woman speaking', 'Helicopter', 'Violin, fiddle', 'Flute',
    'Ukulele', 'Frying (food)', 'Truck', 'Shofar', 'Motorcycle',
    'Acoustic guitar', 'Train horn', 'Clock', 'Banjo', 'Goat',
    'Baby cry, infant crying', 'Bus', 'Chainsaw', 'Cat', 'Horse',
    'Toilet flush', 'Rodents, rats, mice', 'Accordion', 'Mandolin'
]
BG = 28
FPS, SR = 4, 16000
# Small features for the tests: 16 bands, 40 ms hops (25 frames per second).
TINY_AUDIO = dict(n_mels=16, hop_length=640, win_length=640, n_fft=1024)
# (video id, category, start, end): ids start with '-' as many YouTube ids do
EVENTS = {
    'train': [('-vidA_0001', 'Church bell', 0, 10),
              ('vidB-00002', 'Male speech, man speaking', 3, 9),
              ('vidB-00002', 'Female speech, woman speaking', 0, 3),
              ('vid_C00003', 'Bark', 0, 0), ('missingM01', 'Bark', 2, 6)],
    'val': [('vid_D00004', 'Frying (food)', 2, 5)],
    'test': [('vid_D00004', 'Frying (food)', 2, 5),
             ('-vidA_0001', 'Church bell', 0, 10),
             ('broken_E05', 'Helicopter', 1, 4)],
}
# the audible seconds of each video (its tone), for the alignment checks
TONE_SECONDS = {
    '-vidA_0001': range(0, 10),
    'vidB-00002': range(0, 9),
    'vid_C00003': range(0, 0),
    'vid_D00004': range(2, 5)
}


def write_release(root: Path) -> Path:
    """A miniature official AVE release under ``root``; returns it."""
    (root / 'AVE').mkdir(parents=True)
    for vid, seconds in TONE_SECONDS.items():
        frames = np.stack([
            np.full((32, 32, 3), 20 + 20 * (i // FPS), np.uint8)
            for i in range(10 * FPS)
        ])
        t = np.arange(10 * SR) / SR
        audible = np.isin(np.floor(t).astype(int), list(seconds))
        # faint noise throughout (no clip is digital silence), the tone on top
        noise = np.random.RandomState(len(vid)).randn(len(t)) * 3e-3
        wave = (0.5 * np.sin(2 * np.pi * 440 * t) * audible +
                noise).astype(np.float32)
        write_mp4(str(root / 'AVE' / f'{vid}.mp4'), frames, wave, FPS, SR)
    (root / 'AVE' / 'broken_E05.mp4').write_bytes(b'not an mp4' * 50)
    header = 'Category&VideoID&Quality&StartTime&EndTime'
    rows = [f'{c}&ann{i:08d}&good&0&10' for i, c in enumerate(CATEGORIES)]
    lines = [header] + rows + [
        f'{c}&{v}&good&{s}&{e}' for events in EVENTS.values()
        for v, c, s, e in events
    ]
    (root / 'Annotations.txt').write_bytes(
        ('\ufeff' + '\r\n'.join(lines) + '\r\n').encode('utf-8'))
    for split, name in (('train', 'trainSet.txt'), ('val', 'valSet.txt'),
                        ('test', 'testSet.txt')):
        lines = [f'{c}&{v}&good&{s}&{e}' for v, c, s, e in EVENTS[split]]
        if split == 'train':
            lines.append('Bark&vid_C00003&good&3&12')  # end past 10 s
            lines.append('')  # a blank line
        if split == 'test':  # a category that Annotations.txt lacks
            lines.append('Didgeridoo&vid_D00004&good&0&1')
        (root / name).write_text('\n'.join(lines) + '\n')
    return root


def load_tool(name: str):
    return load_script(name)


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """The release, converted once: ``(release, out, exit code, the tool's
    module, its arguments)``."""
    release = write_release(tmp_path_factory.mktemp('ave_release'))
    out = release.parent / 'ave_out'
    convert = load_tool(str(ROOT / 'tools/data/ave/convert.py'))
    args = ['--src', str(release), '--out', str(out), '--no-progress']
    args += [f'--{k.replace("_", "-")}={v}' for k, v in TINY_AUDIO.items()]
    code = convert.main(args)
    return release, out, code, convert, args


def expected_segments(category: str, start: int, end: int) -> list:
    label = CATEGORIES.index(category)
    return [label if start <= s < end else BG for s in range(10)]


def test_converter_writes_lists_labels_class_map_and_report(converted):
    release, out, code, _, _ = converted
    assert code == 1  # some sources were skipped, all others converted
    assert (out / 'classes.txt').read_text().splitlines() == CATEGORIES
    for split, events in EVENTS.items():
        ann = json.loads((out / f'{split}.json').read_text())
        assert ann['metainfo']['classes'] == CATEGORIES
        assert ann['metainfo']['background_index'] == BG
        kept = [e for e in events if e[0] in TONE_SECONDS]
        assert [(d['video_id'], d['label'], d['segment_labels'])
                for d in ann['data_list']] == [(v, CATEGORIES.index(c),
                                                expected_segments(c, s, e))
                                               for v, c, s, e in kept]
        for entry in ann['data_list']:
            assert (out / entry['video']).resolve() == (
                release / 'AVE' / f'{entry["video_id"]}.mp4').resolve()
            feature = np.load(out / entry['audio'])
            # 10 s of 40 ms hops (AAC adds a few ms)
            assert feature.shape[0] == 16 and 250 <= feature.shape[1] <= 254
    train = json.loads((out / 'train.json').read_text())
    # the empty event (0&0): clip label Bark, every second background
    assert train['data_list'][3]['label'] == 2
    assert train['data_list'][3]['segment_labels'] == [BG] * 10
    assert train['metainfo']['empty_event_rows'] == 1
    record = json.loads(
        (out / 'audio_logmel/audio_feature_config.json').read_text())
    assert record['n_mels'] == 16 and record['hop_length'] == 640

    report = json.loads((out / 'conversion_report.json').read_text())
    assert report['counts'] == {
        'train': {
            'Church bell': 1,
            'Male speech, man speaking': 1,
            'Female speech, woman speaking': 1,
            'Bark': 1
        },
        'val': {
            'Frying (food)': 1
        },
        'test': {
            'Frying (food)': 1,
            'Church bell': 1
        }
    }
    assert report['skipped_by_kind'] == {
        'bad annotation': 1,
        'missing': 1,
        'unknown class': 1,
        'unreadable': 1
    }
    by_kind = {s['kind']: s for s in report['skipped']}
    assert by_kind['missing']['source'].endswith('AVE/missingM01.mp4')
    assert by_kind['unreadable']['source'].endswith('AVE/broken_E05.mp4')
    assert by_kind['bad annotation']['source'] == 'trainSet.txt:6'
    assert "'3'/'12'" in by_kind['bad annotation']['reason']
    assert by_kind['unknown class']['source'] == 'testSet.txt:4'
    assert "'Didgeridoo' is not in" in by_kind['unknown class']['reason']
    text = (out / 'conversion_report.txt').read_text()
    assert 'missing: 1' in text and 'Male speech, man speaking' in text


def test_converter_resumes_without_redoing_features(converted):
    _, out, _, convert, args = converted
    npy = out / 'audio_logmel/AVE/vidB-00002.mp4.npy'
    before = npy.stat().st_mtime_ns
    lists = [(out / f'{s}.json').read_text() for s in EVENTS]
    assert convert.main(args) == 1
    assert npy.stat().st_mtime_ns == before
    assert [(out / f'{s}.json').read_text() for s in EVENTS] == lists
    # other audio settings into the same folder are refused (exit 2)
    assert convert.main(args[:4] + ['--n-mels=32']) == 2


def test_converter_extracts_rawframes_on_request(converted, tmp_path):
    release, _, _, convert, args = converted
    out = tmp_path / 'with_frames'
    args = args[:2] + ['--out',
                       str(out), '--rawframes', '--short-side=16'] + args[4:]
    assert convert.main(args) == 1
    entries = json.loads((out / 'val.json').read_text())['data_list']
    assert entries[0]['frame_dir'] == 'rawframes/vid_D00004'
    assert entries[0]['filename_tmpl'] == 'img_{:05d}.jpg'
    assert entries[0]['total_frames'] == 40
    frames = sorted((out / 'rawframes/vid_D00004').glob('img_*.jpg'))
    assert len(frames) == 40 and frames[0].name == 'img_00001.jpg'
    assert cv2.imread(str(frames[-1])).shape == (16, 16, 3)


def test_converter_refuses_a_folder_without_the_release(tmp_path, capsys):
    convert = load_tool(str(ROOT / 'tools/data/ave/convert.py'))
    assert convert.main(['--src', str(tmp_path), '--no-progress']) == 2
    assert 'Annotations.txt does not exist' in capsys.readouterr().err


@pytest.mark.parametrize(
    'encode', [
        lambda text: text.encode('utf-8'),
        lambda text: ('\ufeff' + text.replace('\n', '\r\n')).encode('utf-8'),
    ],
    ids=['plain', 'bom-crlf'])
@pytest.mark.parametrize('header', [True, False])
def test_rows_parse_with_or_without_header_bom_and_windows_line_ends(
        tmp_path, encode, header):
    lines = [
        'Male speech, man speaking&-0giAfYq9o&good&3&9',
        ' Frying (food) & x_1 & good & 0 & 0 ', ''
    ]
    if header:
        lines.insert(0, 'Category&VideoID&Quality&StartTime&EndTime')
    path = tmp_path / 'Annotations.txt'
    path.write_bytes(encode('\n'.join(lines)))
    rows = read_rows(str(path))
    first = 2 if header else 1
    assert rows == [
        AVERow('Male speech, man speaking', '-0giAfYq9o', 'good', 3, 9,
               f'Annotations.txt:{first}'),
        AVERow('Frying (food)', 'x_1', 'good', 0, 0,
               f'Annotations.txt:{first + 1}')
    ]
    assert class_names(rows) == ['Male speech, man speaking', 'Frying (food)']


@pytest.mark.parametrize('line, message', [
    ('Bark&id&good&3', "is not Category&VideoID&Quality&StartTime&EndTime"),
    ('Bark&id&good&5&2', "start/end '5'/'2' are not whole seconds"),
    ('Bark&id&good&1.5&4', "start/end '1.5'/'4' are not whole seconds"),
    ('Bark&&good&1&4', 'is not Category'),
])
def test_a_bad_row_names_the_file_and_line(tmp_path, line, message):
    path = tmp_path / 'testSet.txt'
    path.write_text('Bark&ok&good&0&10\n' + line + '\n')
    with pytest.raises(ValueError, match='^testSet.txt:2: .*' + message):
        read_rows(str(path))


def test_segment_labels_mark_the_event_seconds_and_background():
    assert segment_labels(3, 6, 4, 28) == [28, 28, 28, 4, 4, 4, 28, 28, 28, 28]
    assert segment_labels(0, 10, 0, 28) == [0] * 10
    assert segment_labels(0, 0, 7, 28) == [28] * 10


def tiny_config(path: Path, out: Path, work_dir: Path) -> Config:
    """The config at ``path`` on the converted mini set: 32x32 frames, the
    tiny audio settings, batch 2, one epoch, one validation."""
    cfg = Config.fromfile(str(path))
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        loader.dataset.ann_file = str(out / f'{split}.json')
        loader.dataset.data_prefix = dict(video=str(out), audio=str(out))
        for step in loader.dataset.pipeline:
            if step['type'] == 'Resize':
                step['scale'] = (32, 32)
            if step['type'] == 'LoadAudioLogMel':
                step.update(TINY_AUDIO)
            if step['type'] == 'RandomResizedCrop':
                step['area_range'] = (0.5, 1.0)
    seconds = cfg.train_dataloader.dataset.pipeline[1]['segment_seconds']
    cfg.model.dry_run_inputs = dict(
        rgb=(3, 32, 32), audio=(1, 16, int(25 * seconds)))
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.update(interval=1, save_best=None)
    cfg.randomness = dict(seed=0)
    cfg.work_dir = str(work_dir)
    return cfg


def test_localisation_pipeline_aligns_frames_audio_and_labels(
        converted, tmp_path):
    _, out, _, _, _ = converted
    cfg = tiny_config(LOC_CONFIGS[0], out, tmp_path)
    with DefaultScope.overwrite_default_scope('mmaction'):
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
    assert dataset.metainfo['background_index'] == BG
    assert len(dataset) == 2
    for i in range(len(dataset)):
        raw, item = dataset.get_data_info(i), dataset[i]
        rgb, audio = item['inputs']['rgb'], item['inputs']['audio']
        assert rgb.shape == (10, 3, 32, 32)  # one frame per second
        assert audio.shape == (10, 1, 16, 25)  # one second of audio each
        # frame s shows second s (brightness 20 + 20 s)
        brightness = rgb.float().mean((1, 2, 3))
        assert torch.allclose(
            brightness, 20 + 20 * torch.arange(10.), atol=4), brightness
        # the tone sounds in the window of every audible second, only there
        # (the median over a window's frames of the loudest band: the tone
        # gives ~9, the noise < -1; a window's first frame straddles the
        # second before)
        loud = audio[:, 0].amax(1).median(-1).values > 2
        assert loud.tolist() == [
            s in TONE_SECONDS[raw['video_id']] for s in range(10)
        ]
        assert item['data_samples'].segment_labels == raw['segment_labels']


@pytest.mark.slow
@pytest.mark.parametrize(
    'path', CLS_CONFIGS, ids=[p.name.split('_')[0] for p in CLS_CONFIGS])
def test_clip_classification_config_trains_and_evaluates(
        path, converted, tmp_path):
    _, out, _, _, _ = converted
    runner = Runner.from_cfg(tiny_config(path, out, tmp_path))
    runner.train()
    metrics = runner.test()
    assert set(metrics) >= {'acc/top1', 'macro_f1'}
    assert 0 <= metrics['acc/top1'] <= 1
    log = (tmp_path / runner.timestamp / f'{runner.timestamp}.log')
    assert 'loss_cls' in log.read_text()


@pytest.mark.slow
@pytest.mark.parametrize(
    'path', LOC_CONFIGS, ids=[p.name.split('_')[0] for p in LOC_CONFIGS])
def test_localisation_config_trains_and_test_tool_dumps_seconds(
        path, converted, tmp_path, capsys):
    _, out, _, _, _ = converted
    cfg = tiny_config(path, out, tmp_path / 'train')
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    runner.train()
    scalars = [
        json.loads(line) for line in next((
            tmp_path /
            'train').glob('*/vis_data/scalars.json')).read_text().splitlines()
    ]
    assert any('segment_acc' in r and 'loss_cls' in r for r in scalars)
    val = [r for r in scalars if 'segment_acc_event' in r]
    assert val and 0 <= val[-1]['segment_acc'] <= 1

    config = tmp_path / 'tiny_loc.py'
    cfg.dump(str(config))
    dump = tmp_path / 'preds.pkl'
    test = load_tool(str(ROOT / 'tools/test.py'))
    metrics = test.main([
        str(config),
        str(tmp_path / 'train' / 'epoch_1.pth'), '--work-dir',
        str(tmp_path / 'test'), '--dump',
        str(dump)
    ])
    assert 'segment_acc:' in capsys.readouterr().out + (
        next((tmp_path / 'test').glob('*/*.log')).read_text())
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    test_list = json.loads((out / 'test.json').read_text())['data_list']
    assert len(preds) == len(test_list)
    for pred, raw in zip(preds, test_list):
        assert pred['pred_segment_labels'].shape == (10, )
        assert pred['pred_segment_scores'].shape == (10, 29)
        assert list(pred['segment_labels']) == raw['segment_labels']
    # the printed metric is the mean over every second of the dump
    correct = np.concatenate([
        np.asarray(p['pred_segment_labels']) == np.asarray(p['segment_labels'])
        for p in preds
    ])
    assert metrics['segment_acc'] == pytest.approx(correct.mean())


def test_audio_settings_of_the_configs_match_the_converter_defaults():
    """The AVE configs' LoadAudioLogMel takes the converter's default
    settings, so converted features load without overrides."""
    for path in CLS_CONFIGS + LOC_CONFIGS:
        cfg = Config.fromfile(str(path))
        step = next(s for s in cfg.test_dataloader.dataset.pipeline
                    if s['type'] == 'LoadAudioLogMel')
        settings = {k: v for k, v in step.items() if k != 'type'}
        assert AudioFeatureConfig(**settings) == AudioFeatureConfig()
