import json

import pytest
import torch

import clcr_plugin  # noqa: F401
from clcr_plugin.datasets import AudioVisualDataset
from clcr_plugin.datasets.transforms import PackMultiModalInputs

PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=3, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 16)),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='LoadAudioLogMel', n_mels=40, hop_length=320),
    dict(type='SampleAudioWindows', window_seconds=1.0),
    dict(type='PackMultiModalInputs', modalities=dict(rgb='imgs', audio='audios')),
]


def test_dataset_fields_and_a_real_mmaction_pipeline(tiny_av_set):
    ds = AudioVisualDataset(str(tiny_av_set / 'val.json'), PIPELINE, data_prefix=dict(video=str(tiny_av_set)),
                            check_files=True, test_mode=True)
    assert len(ds) == 8 and ds.metainfo['classes'][0] == 'red-slow-up'
    info = ds.get_data_info(3)
    assert info['filename'] == str(tiny_av_set / 'val' / '000003.mp4') == info['audio_path']
    assert info['label'] == 3
    item = ds[3]
    assert set(item['inputs']) == {'rgb', 'audio'}
    assert item['inputs']['rgb'].shape == (3, 3, 16, 16) and item['inputs']['rgb'].dtype == torch.uint8
    assert item['inputs']['audio'].shape == (3, 1, 40, 50) and item['inputs']['audio'].dtype == torch.float32
    assert int(item['data_samples'].gt_label) == 3


def test_separate_audio_files_are_joined_with_their_prefix(tiny_av_set, tmp_path):
    ann = dict(metainfo=dict(classes=['a', 'b']), data_list=[dict(video='v.mp4', audio='x/v.npy', label=1)])
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(ann))
    ds = AudioVisualDataset(str(path), [], data_prefix=dict(video='/videos', audio='/feats'))
    assert ds.get_data_info(0)['audio_path'] == '/feats/x/v.npy'


@pytest.mark.parametrize('entry,message', [
    (dict(label=0), "data_list\\[1\\] lacks the field 'video'"),
    (dict(video='a.mp4', label=5), "data_list\\[1\\]: label 5 is not an int in \\[0, 2\\)"),
    (dict(video='missing.mp4', label=1), 'data_list\\[1\\]: filename .*missing.mp4 does not exist'),
])
def test_malformed_annotations_name_file_index_and_field(tmp_path, tiny_av_set, entry, message):
    ann = dict(metainfo=dict(classes=['a', 'b']), data_list=[dict(video='val/000000.mp4', label=0), entry])
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps(ann))
    with pytest.raises((KeyError, ValueError, FileNotFoundError), match=message):
        AudioVisualDataset(str(path), [], data_prefix=dict(video=str(tiny_av_set)), check_files=True)


def test_missing_classes_and_missing_file_are_reported(tmp_path):
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(dict(metainfo={}, data_list=[])))
    with pytest.raises(KeyError, match='metainfo.classes is missing'):
        AudioVisualDataset(str(path), [])
    with pytest.raises(FileNotFoundError, match='nope.json does not exist'):
        AudioVisualDataset(str(tmp_path / 'nope.json'), [])


def test_pack_names_the_missing_results_key():
    pack = PackMultiModalInputs(modalities=dict(rgb='imgs', audio='audios'))
    with pytest.raises(KeyError, match="modality 'audio' reads results\\['audios'\\]"):
        pack(dict(imgs=torch.zeros(1, 3, 4, 4).numpy(), label=0))
