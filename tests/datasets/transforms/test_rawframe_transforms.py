"""RGB + flow transforms: one draw of geometry for both, flow-aware flips,
the (K, C, H, W) layout."""
import numpy as np
import pytest
from mmaction.datasets.transforms import FormatShape

import clcr_plugin  # noqa: F401  (registers the plug-in)
from clcr_plugin.datasets.optical_flow import decode_flow, encode_flow
from clcr_plugin.datasets.transforms import (FormatFrameStacks,
                                             SyncedFrameTransforms)


def frames_and_flows(k: int = 2, h: int = 12, w: int = 16, stack: int = 2):
    """RGB frames whose every channel is the column index (plus frame
    number), and flow stacks with x encoding +3 px, y encoding -2 px."""
    cols = np.broadcast_to(np.arange(w, dtype=np.uint8), (h, w))
    imgs = [np.stack([cols + i] * 3, -1).copy() for i in range(k)]
    x, y = encode_flow(
        np.broadcast_to(np.float32([3.0, -2.0]), (h, w, 2)).copy())
    x = np.minimum(x.astype(int) + cols, 255).astype(np.uint8)  # x varies
    flows = [np.stack([x, y] * stack, -1) for _ in range(k)]
    return dict(imgs=imgs, flows=flows, img_shape=(h, w), modality='RGB')


def test_horizontal_flip_mirrors_both_and_negates_x_flow_only():
    results = frames_and_flows()
    x_before = results['flows'][0][..., 0].copy()
    out = SyncedFrameTransforms([dict(type='Flip', flip_ratio=1.0)])(results)
    assert out['flip'] and out['modality'] == 'RGB'
    np.testing.assert_array_equal(out['imgs'][0][0, :, 0], np.arange(16)[::-1])
    flipped_x = out['flows'][0][..., 0]
    np.testing.assert_array_equal(flipped_x, 255 - x_before[:, ::-1])
    # the column-0 x value of +3 px is now -3 px, at the right edge
    np.testing.assert_allclose(
        decode_flow(flipped_x[0, -1:]), [-3.0], atol=0.1)
    np.testing.assert_allclose(
        decode_flow(out['flows'][0][..., 1::2]), -2.0, atol=0.1)
    assert out['flows'][0].shape == (12, 16, 4)


def test_vertical_flip_negates_y_flow_only():
    out = SyncedFrameTransforms(
        [dict(type='Flip', flip_ratio=1.0, direction='vertical')])(
            frames_and_flows())
    np.testing.assert_allclose(
        decode_flow(out['flows'][0][..., 1::2]), 2.0, atol=0.1)
    np.testing.assert_allclose(
        decode_flow(out['flows'][1][0, 0, 0::2]), [3.0, 3.0], atol=0.1)


def test_no_flip_leaves_flow_values():
    results = frames_and_flows()
    before = results['flows'][1].copy()
    out = SyncedFrameTransforms([dict(type='Flip', flip_ratio=0.0)])(results)
    assert not out['flip']
    np.testing.assert_array_equal(out['flows'][1], before)


def test_random_crop_and_resize_take_the_same_window_for_both():
    np.random.seed(0)
    out = SyncedFrameTransforms([
        dict(type='RandomResizedCrop', area_range=(0.2, 0.5)),
        dict(type='Resize', scale=(8, 8), keep_ratio=False),
        dict(type='Flip', flip_ratio=0.5)
    ])(
        frames_and_flows())
    assert out['img_shape'] == (8, 8)
    assert [f.shape for f in out['flows']] == [(8, 8, 4)] * 2
    x0, _, x1, _ = out['crop_bbox']
    left_col = x1 - 1 if out['flip'] else x0
    # RGB = column; encoded x flow = encode(+3 px) (147) + column
    assert abs(int(out['imgs'][0][0, 0, 0]) - left_col) <= 1
    x_flow = int(out['flows'][0][0, 0, 0])
    expected = 147 + left_col
    assert abs(x_flow - (255 - expected if out['flip'] else expected)) <= 1


def test_frames_of_different_sizes_are_refused():
    results = frames_and_flows()
    results['flows'] = [f[:6] for f in results['flows']]
    with pytest.raises(
            ValueError,
            match=(r"results\['flows'\] holds 2 frames of \(6, 16\), but "
                   r"results\['imgs'\] holds 2 of \(12, 16\)")):
        SyncedFrameTransforms([dict(type='Flip')])(results)


def test_format_frame_stacks_matches_format_shape_for_rgb():
    results = frames_and_flows(k=3)
    rgb = FormatShape('NCHW')(dict(imgs=list(results['imgs'])))['imgs']
    out = FormatFrameStacks()(results)
    np.testing.assert_array_equal(out['imgs'], rgb)
    assert out['flows'].shape == (3, 4, 12, 16)
    assert out['input_shape'] == (3, 3, 12, 16)


def test_encode_flow_clips_at_the_bound_and_centres_zero():
    flow = np.float32([[[-30, 0], [20, 10]]])
    x, y = encode_flow(flow)
    np.testing.assert_array_equal(x, [[0, 255]])
    np.testing.assert_array_equal(y, [[128, 191]])


def test_multi_crop_gives_both_modalities_the_same_crops():
    out = SyncedFrameTransforms([dict(type='ThreeCrop', crop_size=12)])(
        frames_and_flows(k=2, h=12, w=16))
    assert len(out['imgs']) == len(out['flows']) == 6
    offsets = []
    for n, (img, flow) in enumerate(zip(out['imgs'], out['flows'])):
        assert img.shape == (12, 12, 3) and flow.shape == (12, 12, 4)
        # crop-major order; RGB = column + frame, encoded x = 147 + column
        rgb_left = int(img[0, 0, 0]) - n % 2
        assert int(flow[0, 0, 0]) - 147 == rgb_left
        offsets.append(rgb_left)
    assert offsets == [0, 0, 4, 4, 2, 2]  # left, right, centre
