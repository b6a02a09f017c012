"""tools/data/from_mmaction_list.py: mmaction2 video and rawframe lists to
our lists, with the audio from the video track or separate files, and the
check that mmaction2's LoadAudioFeature and our LoadAudioLogMel read the
same features."""
import json
import sys

import cv2
import numpy as np
import pytest
from av_media import TINY_AUDIO, TINY_AUDIO_ARGS, write_clip, write_wav
from tool_scripts import load_script


@pytest.fixture(scope='module')
def tool():
    module = load_script('tools/data/from_mmaction_list.py', register=True)
    yield module
    del sys.modules[module.__name__]


@pytest.fixture(scope='module')
def own_data(tmp_path_factory):
    """``videos/<cls>/clipN.mp4`` (one without audio, one listed but absent),
    ``audio/clipN.wav``, ``frames/clipN/img_0000k.jpg`` and the lists."""
    root = tmp_path_factory.mktemp('own')
    lines = []
    for i in range(4):
        rel = f'{"ab"[i % 2]}/clip{i}.mp4'
        write_clip(
            root / 'videos' / rel, audio_codec=None if i == 3 else 'aac')
        write_wav(root / 'audio' / f'clip{i}.wav')
        frames = root / 'frames' / f'clip{i}'
        frames.mkdir(parents=True)
        for k in range(1, 6):
            cv2.imwrite(
                str(frames / f'img_{k:05d}.jpg'),
                np.full((12, 16, 3), 30 * k, np.uint8))
        lines.append((rel, f'clip{i}', i % 2))
    (root / 'train_video.txt').write_text('# my videos\n' +
                                          ''.join(f'{r} {lb}\n'
                                                  for r, _, lb in lines) +
                                          '\nb/absent.mp4 1\n')
    (root / 'train_frames.txt').write_text(''.join(f'{d} 5 {lb}\n'
                                                   for _, d, lb in lines) +
                                           'clip9 5 0\n')
    (root / 'classes.txt').write_text('walking\nrunning\n')
    return root


def run(tool, root, out, *extra):
    return tool.main([
        *extra, '--video-root',
        str(root), '--out',
        str(out), '--no-progress', *TINY_AUDIO_ARGS
    ])


def entries(out, split='train'):
    return json.loads((out / f'{split}.json').read_text())


def test_video_list_with_the_videos_own_audio(tool, own_data, tmp_path):
    out = tmp_path / 'out'
    code = run(tool, own_data / 'videos', out, '--type', 'video', '--list',
               f'train={own_data / "train_video.txt"}', '--classes',
               str(own_data / 'classes.txt'))
    assert code == 1
    ann = entries(out)
    assert ann['metainfo']['classes'] == ['walking', 'running']
    assert [(e['video'], e['label'], e['audio']) for e in ann['data_list']
            ] == [('a/clip0.mp4', 0, 'a/clip0.mp4.npy'),
                  ('b/clip1.mp4', 1, 'b/clip1.mp4.npy'),
                  ('a/clip2.mp4', 0, 'a/clip2.mp4.npy')]
    assert np.load(out / 'audio_logmel' / 'a' / 'clip0.mp4.npy').shape[0] == 32
    report = json.loads((out / 'conversion_report.json').read_text())
    assert report['skipped_by_kind'] == {'missing': 1, 'no audio stream': 1}
    sources = sorted(s['source'].rsplit(':', 1)[1] for s in report['skipped'])
    assert sources == ['5', '7']  # line numbers of clip3 and absent.mp4


def test_video_list_with_separate_audio_files(tool, own_data, tmp_path):
    out = tmp_path / 'out'
    code = run(tool, own_data / 'videos', out, '--type', 'video', '--list',
               f'train={own_data / "train_video.txt"}', '--audio-root',
               str(own_data / 'audio'))
    assert code == 1  # only absent.mp4 (and its audio) is missing
    ann = entries(out)
    assert ann['metainfo']['classes'] == ['class_0', 'class_1']
    assert [e['audio'] for e in ann['data_list']
            ] == [f'clip{i}.wav.npy' for i in range(4)]
    assert (out / 'audio_logmel' / 'clip3.wav.npy').is_file()


def test_rawframe_list_reads_through_audio_visual_dataset(
        tool, own_data, tmp_path):
    out = tmp_path / 'out'
    code = run(tool, own_data / 'frames', out, '--type', 'rawframes', '--list',
               f'train={own_data / "train_frames.txt"}', '--audio-root',
               str(own_data / 'audio'), '--audio-pattern', '{stem}.wav')
    assert code == 1
    report = json.loads((out / 'conversion_report.json').read_text())
    assert report['skipped'][0]['kind'] == 'missing'
    assert 'clip9/img_00001.jpg does not exist' in report['skipped'][0][
        'reason']
    from clcr_plugin.datasets import AudioVisualDataset
    pipeline = [
        dict(type='SampleFrames', clip_len=3, frame_interval=1, num_clips=1),
        dict(type='RawFrameDecode'),
        dict(type='Resize', scale=(8, 8), keep_ratio=False),
        dict(type='FormatShape', input_format='NCHW'),
        dict(type='LoadAudioLogMel', **TINY_AUDIO),
        dict(type='SampleAudioWindows', window_seconds=0.5, fallback_fps=8),
        dict(
            type='PackMultiModalInputs',
            modalities=dict(rgb='imgs', audio='audios')),
    ]
    dataset = AudioVisualDataset(
        str(out / 'train.json'),
        pipeline,
        data_prefix=dict(
            video=str(own_data / 'frames'), audio=str(out / 'audio_logmel')),
        start_index=1)
    assert len(dataset) == 4
    item = dataset[1]
    assert item['inputs']['rgb'].shape == (3, 3, 8, 8)
    assert item['inputs']['audio'].shape == (1, 1, 32, 50)
    assert item['data_samples'].gt_label.item() == 1


def test_mmaction_layout_reads_the_same_features(tool, own_data, tmp_path):
    """The documented check (docs/own_data.md): mmaction2's
    LoadAudioFeature on the (n_frames, n_mels) copy gives our (n_mels,
    n_frames) feature transposed; ours refuses the transposed layout."""
    from mmaction.datasets.transforms import LoadAudioFeature

    from clcr_plugin.datasets import LoadAudioLogMel
    out = tmp_path / 'out'
    assert run(tool, own_data / 'videos', out, '--type', 'video', '--list',
               f'train={own_data / "train_video.txt"}', '--audio-root',
               str(own_data / 'audio'), '--mmaction-audio') == 1
    lines = (out / 'train_audio_feature_list.txt').read_text().splitlines()
    assert lines[1] == 'clip1.wav.npy 101 1'
    mm_path = out / 'audio_feature_mmaction' / 'clip1.wav.npy'
    theirs = LoadAudioFeature().transform(dict(audio_path=str(mm_path)))
    ours = LoadAudioLogMel(**TINY_AUDIO).transform(
        dict(audio_path=str(out / 'audio_logmel' / 'clip1.wav.npy')))
    np.testing.assert_array_equal(theirs['audios'], ours['audio_feature'].T)
    assert theirs['length'] == 101
    with pytest.warns(UserWarning, match='cannot be checked'):
        with pytest.raises(ValueError, match=r'expected a \(32, n_frames\)'):
            LoadAudioLogMel(
                **TINY_AUDIO).transform(dict(audio_path=str(mm_path)))


def test_bad_lists_and_arguments_are_refused(tool, own_data, tmp_path, capsys):
    bad = tmp_path / 'bad.txt'
    bad.write_text('a/clip0.mp4 0\nb/clip1.mp4 five\n')
    with pytest.raises(ValueError, match=r'bad.txt: line 2 .* <path> <label>'):
        tool.read_list(str(bad), 'video')
    assert run(tool, own_data / 'frames', tmp_path / 'o', '--type',
               'rawframes', '--list',
               f'train={own_data / "train_frames.txt"}') == 2
    assert 'give --audio-root' in capsys.readouterr().err
    small = tmp_path / 'one.txt'
    small.write_text('walking\n')
    assert run(tool, own_data / 'videos', tmp_path / 'o', '--type', 'video',
               '--list', f'train={own_data / "train_video.txt"}', '--classes',
               str(small)) == 2
    assert 'names 1 classes' in capsys.readouterr().err
