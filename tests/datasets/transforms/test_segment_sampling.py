"""SampleSegmentFrames / SampleSegmentAudio: frames and audio of the same
seconds."""
import numpy as np
import pytest

from clcr_plugin.datasets.transforms import (SampleSegmentAudio,
                                             SampleSegmentFrames)
from clcr_plugin.datasets.transforms.segment_sampling import \
    segment_frame_indices


def test_middle_frames_of_ten_one_second_segments():
    # 4 fps: second s holds frames 4s..4s+3; its middle (s + 0.5 s) is 4s+2
    results = SampleSegmentFrames(test_mode=True)(
        dict(avg_fps=4.0, total_frames=40, start_index=0))
    assert results['frame_inds'].tolist() == [4 * s + 2 for s in range(10)]
    assert (results['clip_len'], results['num_clips']) == (1, 10)
    assert results['segment_spans'].tolist() == [[s, s + 1.0]
                                                 for s in range(10)]


def test_three_frames_spread_over_one_ten_second_segment():
    # bins of 10/3 s, middles 5/3, 5, 25/3 s -> frames 6, 20, 33 at 4 fps
    results = SampleSegmentFrames(
        num_segments=1,
        segment_seconds=10.0,
        frames_per_segment=3,
        test_mode=True)(
            dict(avg_fps=4.0, total_frames=40, start_index=1))
    assert results['frame_inds'].tolist() == [7, 21, 34]  # + start_index
    assert (results['clip_len'], results['num_clips']) == (3, 1)


def test_random_frames_stay_inside_their_second():
    np.random.seed(0)
    spans = np.stack([np.arange(10.), np.arange(1., 11.)], 1)
    drawn = np.stack([
        segment_frame_indices(spans, 1, 25.0, 250, random=True)
        for _ in range(200)
    ])  # (200, 10)
    assert (drawn // 25 == np.arange(10)).all()
    assert len(np.unique(drawn[:, 3])) > 15  # not a fixed frame
    assert drawn.min() == 0 and drawn.max() == 249


def test_a_short_video_repeats_its_last_frame():
    inds = segment_frame_indices(
        np.array([[8., 9.], [9., 10.]]), 1, 4.0, 34, random=False)
    assert inds.tolist() == [33, 33]  # frames 34 and 38 do not exist


def test_frames_need_an_fps_and_positive_settings():
    with pytest.raises(KeyError, match='avg_fps'):
        SampleSegmentFrames()(dict(total_frames=10))
    assert SampleSegmentFrames(
        fallback_fps=2.0, test_mode=True)(dict(
            total_frames=20))['frame_inds'][:2].tolist() == [1, 3]
    with pytest.raises(ValueError, match='num_segments must be positive'):
        SampleSegmentFrames(num_segments=0)


def test_audio_windows_cover_the_segments_seconds():
    # 10 feature frames per second, 2.5 s of audio; frame t holds value t
    feature = np.tile(np.arange(25, dtype=np.float32), (3, 1))
    results = SampleSegmentAudio()(
        dict(
            segment_spans=np.array([[0., 1.], [1., 2.], [2., 3.]]),
            audio_feature=feature,
            audio_frame_rate=10.0))
    audios = results['audios']
    assert audios.shape == (3, 1, 3, 10) and audios.dtype == np.float32
    assert audios[0, 0, 0].tolist() == list(range(10))
    assert audios[1, 0, 2].tolist() == list(range(10, 20))
    # second 2 has 5 frames of audio, then the silence floor (the minimum, 0)
    assert audios[2, 0, 1].tolist() == [20, 21, 22, 23, 24, 0, 0, 0, 0, 0]


def test_audio_window_length_and_edge_padding():
    feature = np.arange(12, dtype=np.float32)[None]  # (1, 12), 4 per second
    results = SampleSegmentAudio(
        window_frames=6, pad_mode='edge')(
            dict(
                segment_spans=np.array([[2., 3.]]),
                audio_feature=feature,
                audio_frame_rate=4.0))
    assert results['audios'][0, 0, 0].tolist() == [8, 9, 10, 11, 11, 11]
    with pytest.raises(KeyError, match='segment_spans'):
        SampleSegmentAudio()(dict(audio_feature=feature, audio_frame_rate=4))
    with pytest.raises(ValueError, match="pad_mode must be 'constant'"):
        SampleSegmentAudio(pad_mode='reflect')
