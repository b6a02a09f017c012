import json

import pytest

from clcr_plugin.datasets.audio import AudioFeatureConfig
from clcr_plugin.datasets.audio_record import (RecordFinder, check_record,
                                               read_record, write_record)


def test_written_record_reads_back_as_the_same_settings(tmp_path):
    cfg = AudioFeatureConfig(sample_rate=22050, n_mels=64, fmax=9000)
    path = write_record(str(tmp_path / 'feats'), cfg)
    assert path == str(tmp_path / 'feats' / 'audio_feature_config.json')
    assert json.loads(
        open(path).read())['hop_length'] == 220  # resolved, not None
    assert read_record(path) == cfg


def test_settings_missing_from_a_record_take_their_defaults(tmp_path):
    path = tmp_path / 'audio_feature_config.json'
    path.write_text(json.dumps(dict(n_mels=40, n_fft=512)))
    assert read_record(str(path)) == AudioFeatureConfig(n_mels=40, n_fft=512)


def test_bad_records_are_refused_naming_the_file(tmp_path):
    path = tmp_path / 'audio_feature_config.json'
    path.write_text(json.dumps(dict(n_mels=40, hop=160)))
    with pytest.raises(
            KeyError, match=f"{path}: unknown audio settings \\['hop'\\]"):
        read_record(str(path))
    path.write_text('{"n_mels": 40')
    with pytest.raises(ValueError, match=f'{path} is not valid json'):
        read_record(str(path))
    path.write_text('[40]')
    with pytest.raises(
            ValueError,
            match=(
                f'{path} should hold a json object of audio settings, got list'
            )):
        read_record(str(path))


def test_check_names_every_differing_setting_once_and_passes_equal_ones(
        tmp_path):
    path = str(tmp_path / 'audio_feature_config.json')
    recorded = AudioFeatureConfig(n_mels=40)
    check_record(path, recorded, AudioFeatureConfig(n_mels=40, n_fft=1024),
                 'me', 'fix it')  # 1024 is the default
    with pytest.raises(ValueError) as error:
        check_record(path, recorded,
                     AudioFeatureConfig(n_mels=64, log_offset=1e-3), 'me',
                     'fix it')
    assert str(error.value) == (
        f'features in {tmp_path} were made with n_mels=40, log_offset=1e-06 '
        f'({path}), me asks '
        'for n_mels=64, log_offset=0.001; fix it')


def test_finder_takes_the_nearest_record_above_and_none_without_one(tmp_path):
    write_record(str(tmp_path / 'feats'), AudioFeatureConfig(n_mels=40))
    write_record(str(tmp_path / 'feats' / 'b'), AudioFeatureConfig(n_mels=64))
    finder = RecordFinder()
    path, cfg = finder.find(str(tmp_path / 'feats' / 'a' / 'deep' / 'x.npy'))
    assert path == str(
        tmp_path / 'feats' / 'audio_feature_config.json') and cfg.n_mels == 40
    path, cfg = finder.find(str(tmp_path / 'feats' / 'b' / 'y.npy'))
    assert path == str(tmp_path / 'feats' / 'b' /
                       'audio_feature_config.json') and cfg.n_mels == 64
    assert finder.find(str(tmp_path / 'elsewhere' / 'z.npy')) is None


def test_finder_answers_from_its_cache_for_every_folder_it_walked(
        tmp_path, monkeypatch):
    from clcr_plugin.datasets import audio_record

    write_record(str(tmp_path), AudioFeatureConfig())
    finder = RecordFinder()
    first = finder.find(str(tmp_path / 'a' / 'b' / 'x.npy'))
    looked = []
    isfile = audio_record.osp.isfile
    monkeypatch.setattr(audio_record.osp, 'isfile',
                        lambda path: looked.append(path) or isfile(path))
    assert finder.find(str(tmp_path / 'a' / 'b' / 'y.npy')) == first
    assert finder.find(str(tmp_path / 'a' / 'z.npy')) == first
    assert looked == []
