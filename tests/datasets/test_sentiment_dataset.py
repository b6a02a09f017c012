"""SentimentPickleDataset and PackSentimentInputs on fake MOSI / MOSEI
pickles with the released keys and shapes."""
import pickle

import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS

import clcr_plugin  # noqa: F401
from clcr_plugin.datasets.sentiment_pickle import read_split


def build(path, **kwargs):
    return DATASETS.build(
        dict(type='SentimentPickleDataset', ann_file=str(path), **kwargs))


@pytest.mark.parametrize('dataset,dims', [('mosi', (5, 20)),
                                          ('mosei', (74, 35))])
def test_items_have_the_released_shapes_lengths_and_label(
        sentiment_pickles, dataset, dims):
    path = sentiment_pickles[dataset, False]
    raw = pickle.load(open(path, 'rb'))['valid']
    ds = build(path, split='valid')
    assert len(ds) == 4
    item = ds[2]
    text, audio, vision = (
        item['inputs'][m] for m in ('text', 'audio', 'vision'))
    assert text.shape == (50, 768) and text.dtype == torch.float32
    assert audio.shape[1] == dims[0] and vision.shape[1] == dims[1]
    sample = item['data_samples']
    assert sample.gt_regression.dtype == torch.float32
    torch.testing.assert_close(sample.gt_regression,
                               torch.tensor([raw['regression_labels'][2]]))
    assert sample.metainfo['id'] == raw['id'][2]
    assert sample.metainfo['seq_lengths'] == {
        'text': int(raw['text_bert'][2, 1].sum()),
        'audio': int(raw['audio_lengths'][2]),
        'vision': int(raw['vision_lengths'][2]),
    }


def test_token_ids_path_gives_the_int64_text_bert_triplet(sentiment_pickles):
    path = sentiment_pickles['mosei', False]
    raw = pickle.load(open(path, 'rb'))['train']
    item = build(path, text_key='text_bert')[1]
    text = item['inputs']['text']
    assert text.shape == (3, 50) and text.dtype == torch.int64
    np.testing.assert_array_equal(text.numpy(), raw['text_bert'][1])


def test_nonfinite_values_become_zero_and_are_counted(sentiment_pickles):
    ds = build(sentiment_pickles['mosi', False], split='train')
    # the fixture puts one -inf into audio and one NaN into vision of sample 0
    assert ds.cleaned_counts == {'text': 0, 'audio': 1, 'vision': 1}
    item = ds[0]['inputs']
    assert item['audio'][0, 0] == 0 and item['vision'][1, 0] == 0
    assert all(torch.isfinite(v).all() for v in item.values())


def test_nonfinite_error_policy_names_key_split_and_sample(sentiment_pickles):
    with pytest.raises(ValueError, match=r"\['train'\]\['audio'\].*sample 0"):
        build(sentiment_pickles['mosi', False], nonfinite='error')


def test_aligned_files_take_the_text_length_for_every_modality(
        sentiment_pickles):
    path = sentiment_pickles['mosi', True]
    raw = pickle.load(open(path, 'rb'))['test']
    ds = build(path, split='test')
    for i in range(len(ds)):
        lengths = ds[i]['data_samples'].metainfo['seq_lengths']
        expected = int(raw['text_bert'][i, 1].sum())
        assert lengths == dict(text=expected, audio=expected, vision=expected)


def test_lengths_are_clipped_into_one_to_padded_steps_and_counted(tmp_path):
    split = dict(
        audio=np.ones((3, 4, 2), np.float32),
        audio_lengths=np.array([0, 2, 9]),
        regression_labels=np.zeros(3),
        id=np.array(['a', 'b', 'c']))
    part = read_split({'train': split}, 'train', ['audio'])
    np.testing.assert_array_equal(part.lengths['audio'], [1, 2, 4])
    assert part.clipped == {'audio': 2}


def test_split_selection_and_a_dropped_modality(sentiment_pickles):
    ds = build(
        sentiment_pickles['mosi', False],
        split='test',
        modalities=('audio', 'vision'))
    item = ds[0]
    assert len(ds) == 4 and sorted(item['inputs']) == ['audio', 'vision']
    assert sorted(
        item['data_samples'].metainfo['seq_lengths']) == ['audio', 'vision']


def test_missing_key_names_the_file_split_key_and_what_is_there(tmp_path):
    path = tmp_path / 'broken.pkl'
    split = dict(
        text=np.zeros((2, 50, 768), np.float32),
        audio=np.zeros((2, 5, 5), np.float32),
        regression_labels=np.zeros(2),
        id=np.array(['a', 'b']))
    with open(path, 'wb') as f:
        pickle.dump({'train': split}, f)
    with pytest.raises(
            KeyError,
            match=r"broken.pkl\['train'\] has no key "
            r"'vision'; it holds \['audio', 'id'"):
        build(path)
    with pytest.raises(KeyError, match="has no split 'valid'"):
        build(path, split='valid')
    with pytest.raises(ValueError, match='split must be one of'):
        build(path, split='val')


def test_a_nonfinite_label_is_an_error_naming_its_index():
    split = dict(
        audio=np.zeros((3, 4, 2), np.float32),
        regression_labels=np.array([0.0, np.nan, 1.0]),
        id=np.array(['a', 'b', 'c']))
    with pytest.raises(ValueError, match=r"\['regression_labels'\]\[1\]"):
        read_split({'train': split}, 'train', ['audio'], source='x.pkl')


@pytest.mark.parametrize('change,error,message', [
    (dict(text_bert=np.ones((2, 50))), ValueError,
     r"\['text_bert'\] must be \(N, 3, L\)"),
    (dict(audio=np.ones((2, 5))), ValueError,
     r"\['audio'\] must be \(N, T, D\), got shape \(2, 5\)"),
    (dict(audio_lengths=np.ones(3)), ValueError,
     r"\['audio_lengths'\] has 3 samples, .*\['audio'\] has 2"),
    (dict(id=np.array(['a'])), ValueError, r"\['id'\] has 1 samples"),
])
def test_malformed_arrays_raise_naming_the_key(change, error, message):
    split = dict(
        text_bert=np.ones((2, 3, 50)),
        audio=np.zeros((2, 4, 5), np.float32),
        audio_lengths=np.array([2, 4]),
        regression_labels=np.zeros(2),
        id=np.array(['a', 'b']))
    split.update(change)
    with pytest.raises(error, match=message):
        read_split({'valid': split},
                   'valid', ['text', 'audio'],
                   text_key='text_bert',
                   source='x.pkl')
