import json

import pytest
import torch
from mmaction.registry import DATASETS

import clcr_plugin  # noqa: F401  (registers the plug-in)
from clcr_plugin.datasets import AudioVisualDataset
from clcr_plugin.datasets.synthetic_av import CLASSES

RGB_AUDIO_PIPELINE = [
    dict(type='DecordInit'),
    dict(
        type='SampleFrames',
        clip_len=1,
        frame_interval=1,
        num_clips=3,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 16)),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='LoadAudioLogMel', n_mels=40, hop_length=320),
    dict(type='SampleAudioWindows', window_seconds=1.0),
    dict(
        type='PackMultiModalInputs',
        modalities=dict(rgb='imgs', audio='audios')),
]


def write_ann(path, data_list, classes=('a', 'b')):
    path.write_text(
        json.dumps(
            dict(metainfo=dict(classes=list(classes)), data_list=data_list)))
    return str(path)


def test_items_carry_filename_audio_path_label_and_mmaction_fields(
        tiny_av_set):
    ds = DATASETS.build(
        dict(
            type='AudioVisualDataset',
            ann_file=str(tiny_av_set / 'val.json'),
            pipeline=[],
            data_prefix=dict(video=str(tiny_av_set)),
            check_files=True,
            test_mode=True))
    assert isinstance(ds, AudioVisualDataset) and len(ds) == 16
    assert ds.metainfo['classes'] == list(
        CLASSES) and ds.metainfo['dataset'] == 'synthetic-av'
    info = ds.get_data_info(3)
    assert info['filename'] == str(
        tiny_av_set / 'val' / '000003.mp4') == info['audio_path']
    assert info['label'] == 3 and info['start_index'] == 0 and info[
        'modality'] == 'RGB'
    assert set(info['factors']) == {'colour', 'pitch', 'rhythm', 'order'}


def test_relative_prefixes_are_joined_to_data_root(tiny_av_set):
    ds = AudioVisualDataset(
        'val.json', [], data_root=str(tiny_av_set), check_files=True)
    assert ds.get_data_info(0)['filename'] == str(tiny_av_set / 'val' /
                                                  '000000.mp4')


def test_separate_audio_files_use_the_audio_prefix(tmp_path):
    ann = write_ann(tmp_path / 'ann.json', [
        dict(video='v.mp4', audio='x/v.wav', label=1),
        dict(video='w.mp4', label=0)
    ])
    ds = AudioVisualDataset(
        ann, [], data_prefix=dict(video='/videos', audio='/sounds'))
    assert ds.get_data_info(0)['filename'] == '/videos/v.mp4'
    assert ds.get_data_info(0)['audio_path'] == '/sounds/x/v.wav'
    assert ds.get_data_info(
        1
    )['audio_path'] == '/videos/w.mp4'  # no audio field: the video's own track


def test_classes_given_as_metainfo_win_over_the_file(tmp_path):
    ann = write_ann(tmp_path / 'ann.json', [dict(video='v.mp4', label=2)])
    ds = AudioVisualDataset(ann, [], metainfo=dict(classes=['x', 'y', 'z']))
    assert ds.metainfo['classes'] == ['x', 'y', 'z'
                                      ] and ds.get_data_info(0)['label'] == 2


@pytest.mark.parametrize('entry,error,message', [
    (dict(label=0), KeyError, "data_list\\[1\\] lacks the field 'video'"),
    (dict(video='val/000000.mp4'), KeyError,
     "data_list\\[1\\] lacks the field 'label'"),
    (dict(video='val/000000.mp4', label=2), ValueError,
     "data_list\\[1\\]: field 'label' is 2, not an int in \\[0, 2\\)"),
    (dict(video='val/000000.mp4', label='1'), ValueError,
     "data_list\\[1\\]: field 'label' is '1', not an int"),
    (dict(video='val/000000.mp4', label=True), ValueError,
     "data_list\\[1\\]: field 'label' is True, not an int"),
    (dict(video='', label=1), ValueError,
     "data_list\\[1\\]: field 'video' must be a non-empty path string"),
    (dict(video='missing.mp4', label=1), FileNotFoundError,
     "data_list\\[1\\]: field 'video' points to .*missing.mp4, which does not "
     "exist"),
    (dict(video='val/000000.mp4', audio='nope.wav',
          label=1), FileNotFoundError,
     "data_list\\[1\\]: field 'audio' points to .*nope.wav, which does not "
     "exist"),
    (['val/000000.mp4', 1
      ], ValueError, 'data_list\\[1\\] must be a JSON object, got list'),
])
def test_malformed_entries_name_file_index_and_field(tmp_path, tiny_av_set,
                                                     entry, error, message):
    ann = write_ann(tmp_path / 'bad.json',
                    [dict(video='val/000000.mp4', label=0), entry])
    with pytest.raises(error, match=f'bad.json: {message}'):
        AudioVisualDataset(
            ann, [],
            data_prefix=dict(video=str(tiny_av_set)),
            check_files=True)


def test_malformed_files_are_reported_with_their_path(tmp_path):
    broken = tmp_path / 'broken.json'
    broken.write_text('{"metainfo": {"classes": ["a"]}, "data_list": [')
    with pytest.raises(ValueError, match='broken.json is not valid JSON'):
        AudioVisualDataset(str(broken), [])
    no_classes = tmp_path / 'no_classes.json'
    no_classes.write_text(json.dumps(dict(metainfo={}, data_list=[])))
    with pytest.raises(
            KeyError, match='no_classes.json: metainfo.classes is missing'):
        AudioVisualDataset(str(no_classes), [])
    no_list = tmp_path / 'no_list.json'
    no_list.write_text(
        json.dumps(dict(metainfo=dict(classes=['a']), data_list={})))
    with pytest.raises(
            KeyError,
            match='no_list.json: expected a JSON object with "metainfo" and a '
            '"data_list"'):
        AudioVisualDataset(str(no_list), [])
    with pytest.raises(
            FileNotFoundError,
            match='annotation file .*nope.json does not exist'):
        AudioVisualDataset(str(tmp_path / 'nope.json'), [])


def test_a_real_pipeline_yields_rgb_and_audio_inputs(tiny_av_set):
    ds = AudioVisualDataset(
        str(tiny_av_set / 'val.json'),
        RGB_AUDIO_PIPELINE,
        data_prefix=dict(video=str(tiny_av_set)),
        test_mode=True)
    item = ds[3]
    assert set(item['inputs']) == {'rgb', 'audio'}
    assert item['inputs']['rgb'].shape == (
        3, 3, 16, 16) and item['inputs']['rgb'].dtype == torch.uint8
    assert item['inputs']['audio'].shape == (
        3, 1, 40, 50) and item['inputs']['audio'].dtype == torch.float32
    assert item['data_samples'].gt_label.tolist() == [3]
