"""SegmentAudioVisualDataset: per-segment labels checked at load time."""
import json

import pytest

from clcr_plugin.datasets import SegmentAudioVisualDataset


def write(tmp_path, entries):
    path = tmp_path / 'ann.json'
    path.write_text(
        json.dumps(
            dict(
                metainfo=dict(classes=['a', 'b']),
                data_list=[dict(video='v.mp4', label=0, **e)
                           for e in entries])))
    return str(path)


def test_labels_events_and_background_per_segment(tmp_path):
    ann = write(tmp_path, [dict(segment_labels=[2, 0, 1, 2])])
    dataset = SegmentAudioVisualDataset(ann, [], num_segments=4)
    assert dataset.metainfo['background_index'] == 2
    assert dataset.metainfo['num_segments'] == 4
    assert dataset.get_data_info(0)['segment_labels'] == [2, 0, 1, 2]


@pytest.mark.parametrize('labels', [[0, 1, 2], [0, 1, 2, 3], [0, 1, 2, -1],
                                    [0, 1, 2, 1.0], 'abcd'])
def test_bad_segment_labels_name_the_entry_and_the_expectation(
        tmp_path, labels):
    ann = write(tmp_path,
                [dict(segment_labels=[2] * 4),
                 dict(segment_labels=labels)])
    with pytest.raises(
            ValueError,
            match=r"data_list\[1\]: field 'segment_labels' is .*; expected 4 "
            r'ints in \[0, 2\] \(event classes, 2 = background\)'):
        SegmentAudioVisualDataset(ann, [], num_segments=4)


def test_missing_segment_labels_is_a_key_error(tmp_path):
    with pytest.raises(
            KeyError, match=r"data_list\[0\] lacks the field "
            "'segment_labels'"):
        SegmentAudioVisualDataset(write(tmp_path, [{}]), [])
