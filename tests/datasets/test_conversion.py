import json
import os

import cv2
import numpy as np
import pytest

from clcr_plugin.datasets.audio import (AudioFeatureConfig, decode_audio,
                                        log_mel_spectrogram)
from clcr_plugin.datasets.conversion import (ConversionReport, SkipItem,
                                             UnreadableMediaError, atomic_path,
                                             process_items, read_class_map,
                                             write_annotation, write_class_map)
from clcr_plugin.datasets.media_extraction import (extract_audio_feature,
                                                   extract_rawframes,
                                                   prepare_feature_dir,
                                                   probe_media, rawframes_done,
                                                   short_side_size)
from clcr_plugin.datasets.media_writer import write_mp4

CFG = AudioFeatureConfig(n_mels=40, n_fft=512)


def write_silent_mp4(path, frames, fps=8):
    """An mp4 with a video stream only; frames (T, H, W, 3) uint8."""
    write_mp4(str(path), frames, None, fps)


@pytest.fixture(scope='module')
def media(media_files, tmp_path_factory):
    """The shared wav and mp4 (with audio), a 32x48 mp4 without audio (6
    frames, grey levels 40 * i) and a truncated copy of the mp4."""
    root = tmp_path_factory.mktemp('conversion_media')
    silent = root / 'silent.mp4'
    write_silent_mp4(
        silent,
        np.stack([np.full((32, 48, 3), 40 * i, np.uint8) for i in range(6)]))
    data = media_files['mp4'].read_bytes()
    truncated = root / 'truncated.mp4'
    truncated.write_bytes(data[:len(data) // 2])
    return dict(
        wav=str(media_files['wav']),
        mp4=str(media_files['mp4']),
        silent=str(silent),
        truncated=str(truncated),
        wave=media_files['wave'])


def test_probe_media_describes_streams_and_names_bad_files(media, tmp_path):
    with_audio = probe_media(media['mp4'])
    assert with_audio.has_video and with_audio.has_audio
    assert with_audio.fps == 8 and with_audio.duration == pytest.approx(
        2.0, abs=0.1)
    silent = probe_media(media['silent'])
    assert silent.has_video and not silent.has_audio
    assert silent.duration == pytest.approx(0.75, abs=0.01)  # 6 frames, 8 fps
    wav = probe_media(media['wav'])
    assert (wav.has_video, wav.has_audio, wav.fps) == (False, True, None)
    assert wav.duration == pytest.approx(2.0, abs=0.01)
    with pytest.raises(
            UnreadableMediaError, match='cannot open .*truncated.mp4') as err:
        probe_media(media['truncated'])
    assert err.value.kind == 'unreadable'
    with pytest.raises(SkipItem, match='nothing.mp4 does not exist') as err:
        probe_media(str(tmp_path / 'nothing.mp4'))
    assert err.value.kind == 'missing'


def test_rawframes_are_numbered_from_one_resized_and_not_redone(
        media, tmp_path):
    frame_dir = tmp_path / 'frames' / 'silent'
    assert extract_rawframes(
        media['silent'], str(frame_dir), short_side=16) == 6
    names = sorted(p.name for p in frame_dir.glob('*.jpg'))
    assert names == [f'img_{i:05d}.jpg' for i in range(1, 7)]
    img = cv2.imread(str(frame_dir / 'img_00004.jpg'))
    assert img.shape == (16, 24, 3)  # 32x48 -> short side 16, aspect kept
    assert abs(float(img.mean()) - 120) < 6  # frame 4 of grey 40 * i
    assert rawframes_done(str(frame_dir)) == 6
    stamp = (frame_dir / 'img_00001.jpg').stat().st_mtime_ns
    assert extract_rawframes(media['silent'], str(frame_dir)) == 6
    assert (frame_dir / 'img_00001.jpg').stat().st_mtime_ns == stamp


def test_unfinished_rawframes_are_cleared_and_bad_videos_named(
        media, tmp_path):
    frame_dir = tmp_path / 'clip'
    frame_dir.mkdir()
    (frame_dir / 'img_00099.jpg').write_bytes(b'left by a killed run')
    assert extract_rawframes(media['mp4'], str(frame_dir)) == 16
    assert len(list(frame_dir.glob('*.jpg'))) == 16
    assert cv2.imread(str(frame_dir / 'img_00001.jpg')).shape == (32, 32, 3)
    with pytest.raises(UnreadableMediaError, match='truncated.mp4'):
        extract_rawframes(media['truncated'], str(tmp_path / 'bad'))
    assert rawframes_done(str(tmp_path / 'bad')) is None
    with pytest.raises(UnreadableMediaError, match='has no video stream'):
        extract_rawframes(media['wav'], str(tmp_path / 'wav'))


def test_audio_features_from_wav_and_video_track_resume(media, tmp_path):
    feats = tmp_path / 'feats'
    prepare_feature_dir(str(feats), CFG)
    assert json.loads((feats / 'audio_feature_config.json').read_text()) == (
        CFG.to_dict())
    out = feats / 'tone.wav.npy'
    assert extract_audio_feature(media['wav'], str(out), CFG) == (40, 201)
    np.testing.assert_array_equal(
        np.load(out),
        log_mel_spectrogram(decode_audio(media['wav'], 16000), CFG))
    track = feats / 'clip.npy'
    extract_audio_feature(media['mp4'], str(track), CFG)
    # the video carries the same tone (AAC-coded): same loud and silent half
    from_track, from_wav = np.load(track), np.load(out)
    assert from_track.shape[0] == 40
    assert abs(from_track[:, 120:180].mean() -
               from_wav[:, 120:180].mean()) < 1.0
    loudest = from_track.max(0)  # (n_frames,) the tone's band when present
    assert loudest[10:40].max() < loudest[130:160].min() - 5
    stamp = out.stat().st_mtime_ns
    assert extract_audio_feature(media['wav'], str(out), CFG) == (40, 201)
    assert out.stat().st_mtime_ns == stamp  # kept, not recomputed
    out.write_bytes(b'half a file')
    assert extract_audio_feature(media['wav'], str(out), CFG) == (40, 201)
    assert not list(feats.rglob('*.part*'))


def test_audio_feature_errors_carry_their_kind(media, tmp_path):
    cases = [(media['silent'], 'no audio stream', 'has no audio stream'),
             (media['truncated'], 'unreadable', 'cannot open'),
             (str(tmp_path / 'gone.wav'), 'missing', 'does not exist')]
    for path, kind, message in cases:
        with pytest.raises(SkipItem, match=message) as err:
            extract_audio_feature(path, str(tmp_path / 'x.npy'), CFG)
        assert err.value.kind == kind and path in str(err.value)
    assert not (tmp_path / 'x.npy').exists()


def test_feature_dir_refuses_other_settings(tmp_path):
    prepare_feature_dir(str(tmp_path), CFG)
    prepare_feature_dir(str(tmp_path), CFG)  # same settings: fine
    with pytest.raises(
            ValueError, match='made with n_mels=40 .* asks for n_mels=64'):
        prepare_feature_dir(
            str(tmp_path), AudioFeatureConfig(n_mels=64, n_fft=512))


def test_process_items_records_failures_and_goes_on(tmp_path):
    report = ConversionReport(str(tmp_path / 'out'), 'toy set')

    def work(n):
        if n == 2:
            raise SkipItem('missing', f'clip{n}.mp4 does not exist')
        if n == 4:
            raise ZeroDivisionError('boom')
        return n * 10

    done = process_items(
        range(6),
        work,
        report,
        'toy',
        source_of=lambda n: f'clip{n}',
        progress=False)
    assert done == [(0, 0), (1, 10), (3, 30), (5, 50)]
    assert report.skipped == [
        dict(
            source='clip2', kind='missing', reason='clip2.mp4 does not exist'),
        dict(source='clip4', kind='failed', reason='ZeroDivisionError: boom')
    ]
    assert report.skipped_by_kind() == {'failed': 1, 'missing': 1}


def test_report_counts_per_split_and_class_and_writes_both_files(
        tmp_path, capsys):
    report = ConversionReport(str(tmp_path / 'out'), 'toy set')
    for split, name in [('train', 'cat'), ('train', 'cat'), ('train', 'dog'),
                        ('val', 'dog')]:
        report.add(split, name)
    report.skip('a.flv', 'unreadable', 'cannot open a.flv')
    json_path, txt_path = report.write()
    table = capsys.readouterr().out
    lines = table.splitlines()
    assert lines[0] == 'toy set'
    assert lines[1].split() == ['class', 'train', 'val']
    assert [line.split() for line in lines[3:6]] == [['cat', '2', '0'],
                                                     ['dog', '1', '1'],
                                                     ['total', '3', '1']]
    assert 'skipped: 1' in table and 'unreadable: 1' in table
    assert 'unreadable: a.flv: cannot open a.flv' in table
    assert open(txt_path).read() == table
    saved = json.load(open(json_path))
    assert saved['counts'] == {
        'train': {
            'cat': 2,
            'dog': 1
        },
        'val': {
            'dog': 1
        }
    }
    assert saved['skipped_by_kind'] == {'unreadable': 1}
    assert saved['skipped'][0]['source'] == 'a.flv'


def test_atomic_path_leaves_the_old_file_on_error(tmp_path):
    path = tmp_path / 'a.json'
    path.write_text('old')
    with pytest.raises(RuntimeError):
        with atomic_path(str(path)) as tmp:
            assert tmp.endswith('a.part.json')
            open(tmp, 'w').write('half')
            raise RuntimeError('killed')
    assert path.read_text() == 'old' and os.listdir(tmp_path) == ['a.json']


def test_class_map_round_trip_and_errors(tmp_path):
    path = str(tmp_path / 'classes.txt')
    write_class_map(path, ['ANG', 'DIS', 'FEA'])
    assert open(path).read() == 'ANG\nDIS\nFEA\n'
    assert read_class_map(path) == ['ANG', 'DIS', 'FEA']
    with pytest.raises(ValueError, match='unique'):
        write_class_map(path, ['a', 'a'])
    open(path, 'w').write('a\n\nb\n')
    with pytest.raises(ValueError, match='line 2 is '):
        read_class_map(path)


def test_annotation_is_what_audio_visual_dataset_reads(tmp_path):
    from clcr_plugin.datasets import AudioVisualDataset

    ann = str(tmp_path / 'train.json')
    write_annotation(
        ann, [
            dict(video='v/a.mp4', label=1, audio='f/a.npy'),
            dict(video='v/b.mp4', label=0)
        ], ['x', 'y'],
        'toy',
        split='train')
    ds = AudioVisualDataset(ann, [], data_prefix=dict(video='/v', audio='/f'))
    assert ds.metainfo['classes'] == ['x', 'y']
    assert ds.metainfo['dataset'] == 'toy' and ds.metainfo['split'] == 'train'
    assert [ds.get_data_info(i)['audio_path']
            for i in range(2)] == ['/f/f/a.npy', '/v/v/b.mp4']
    with pytest.raises(ValueError, match=r'data_list\[0\] .* \[0, 2\)'):
        write_annotation(ann, [dict(video='a.mp4', label=2)], ['x', 'y'], 't')


def test_short_side_size_keeps_aspect():
    assert short_side_size(240, 320, 128) == (128, 171)
    assert short_side_size(320, 240, 128) == (171, 128)


def test_convert_av_clip_takes_the_track_or_a_separate_file(media, tmp_path):
    from clcr_plugin.datasets.clip_conversion import convert_av_clip

    own = convert_av_clip(media['mp4'], str(tmp_path / 'a.npy'), CFG)
    assert own['total_frames'] == 16  # 2 s at 8 fps
    assert abs(own['audio_frames'] - 201) <= 8  # AAC pads a few ms
    with pytest.raises(SkipItem, match='silent.mp4 has no audio') as err:
        convert_av_clip(media['silent'], str(tmp_path / 'b.npy'), CFG)
    assert err.value.kind == 'no audio stream'
    frames = str(tmp_path / 'frames')
    separate = convert_av_clip(
        media['silent'],
        str(tmp_path / 'b.npy'),
        CFG,
        audio_path=media['wav'],
        frame_dir=frames,
        short_side=8)
    assert separate == dict(
        audio_frames=201,
        total_frames=6,
        frame_dir=frames,
        filename_tmpl='img_{:05d}.jpg')
    with pytest.raises(SkipItem, match='tone.wav has no video') as err:
        convert_av_clip(media['wav'], str(tmp_path / 'c.npy'), CFG)
    assert err.value.kind == 'no video stream'


def test_audio_options_give_the_config():
    import argparse

    from clcr_plugin.datasets.clip_conversion import (add_output_options,
                                                      audio_config_from_args)

    parser = argparse.ArgumentParser()
    add_output_options(parser)
    args = parser.parse_args(['--n-mels', '40', '--n-fft', '512'])
    assert audio_config_from_args(args) == CFG
    assert (args.rawframes, args.short_side) == (False, None)


def test_write_mp4_writes_video_only_or_refuses_a_wave_without_its_rate(
        tmp_path):
    frames = np.full((4, 16, 16, 3), 100, np.uint8)
    write_mp4(str(tmp_path / 'silent.mp4'), frames, None, 8)
    import av
    with av.open(str(tmp_path / 'silent.mp4')) as container:
        assert [s.type for s in container.streams] == ['video']
    with pytest.raises(ValueError, match=r"loud\.mp4.*sample_rate"):
        write_mp4(
            str(tmp_path / 'loud.mp4'), frames, np.zeros(800, np.float32), 8)
    assert not (tmp_path / 'loud.mp4').exists()
