"""MultiModalRawframeDataset and the RGB + flow rawframe pipeline on tiny
frame folders in mmaction2's denseflow layout."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import clcr_plugin  # noqa: F401  (registers the plug-in)
from clcr_plugin.datasets import MultiModalRawframeDataset
from clcr_plugin.datasets.transforms import DecodeFlowStacks


def write_frame_folder(folder: Path,
                       num_frames: int,
                       size: int = 16,
                       num_flows: int = None) -> None:
    """RGB frame ``t`` is constant red ``10 t``, green ``20 t``; flow ``t``
    is constant x ``100 + t``, y ``50 + t`` (jpgs of constant images decode
    exactly)."""
    folder.mkdir(parents=True, exist_ok=True)
    num_flows = num_frames - 1 if num_flows is None else num_flows
    for t in range(1, num_frames + 1):
        rgb = np.zeros((size, size, 3), np.uint8)
        rgb[..., 0], rgb[..., 1] = 10 * t, 20 * t
        cv2.imwrite(str(folder / f'img_{t:05d}.jpg'), rgb[..., ::-1])
    for t in range(1, num_flows + 1):
        for d, base in (('x', 100), ('y', 50)):
            cv2.imwrite(
                str(folder / f'{d}_{t:05d}.jpg'),
                np.full((size, size), base + t, np.uint8))


PIPELINE = [
    dict(
        type='SampleFrames',
        clip_len=3,
        frame_interval=2,
        num_clips=1,
        test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='DecodeFlowStacks', stack_len=2),
    dict(
        type='SyncedFrameTransforms',
        transforms=[dict(type='Resize', scale=(8, 8), keep_ratio=False)]),
    dict(type='FormatFrameStacks'),
    dict(
        type='PackMultiModalInputs', modalities=dict(rgb='imgs',
                                                     flow='flows')),
]


@pytest.fixture
def frames(tmp_path):
    write_frame_folder(tmp_path / 'A' / 'v1', 8)
    write_frame_folder(tmp_path / 'B' / 'v2', 6)
    (tmp_path / 'train.txt').write_text('A/v1 8 0\n\nB/v2 6 1\n')
    return tmp_path


def test_list_file_gives_folders_counts_labels_and_templates(frames):
    ds = MultiModalRawframeDataset(
        str(frames / 'train.txt'), [],
        data_prefix=dict(img=str(frames)),
        check_files=True,
        metainfo=dict(classes=['a', 'b']))
    assert len(ds) == 2
    info = ds.get_data_info(1)
    assert info['frame_dir'] == str(frames / 'B' / 'v2')
    assert (info['total_frames'], info['total_flow_frames'],
            info['label']) == (6, 5, 1)
    assert info['filename_tmpl'] == 'img_{:05d}.jpg'
    assert info['flow_filename_tmpl'] == '{}_{:05d}.jpg'
    assert (info['start_index'], info['modality']) == (1, 'RGB')


def test_json_annotation_with_explicit_flow_count(frames):
    write_frame_folder(frames / 'C' / 'v3', 4, num_flows=4)
    ann = frames / 'ann.json'
    ann.write_text(
        json.dumps(
            dict(
                metainfo=dict(classes=['a', 'b', 'c']),
                data_list=[
                    dict(
                        frame_dir='C/v3',
                        total_frames=4,
                        flow_frames=4,
                        label=2)
                ])))
    ds = MultiModalRawframeDataset(
        str(ann), [], data_prefix=dict(img=str(frames)), check_files=True)
    assert ds.metainfo['classes'] == ['a', 'b', 'c']
    assert ds.get_data_info(0)['total_flow_frames'] == 4


def test_pipeline_packs_rgb_and_flow_stacks_at_the_same_positions(frames):
    ds = MultiModalRawframeDataset(
        str(frames / 'train.txt'),
        PIPELINE,
        data_prefix=dict(img=str(frames)),
        test_mode=True)
    packed = ds[0]  # 8 frames, clip 3 x interval 2 in test mode: 2, 4, 6
    rgb, flow = packed['inputs']['rgb'], packed['inputs']['flow']
    assert rgb.shape == (3, 3, 8, 8) and rgb.dtype == torch.uint8
    assert flow.shape == (3, 4, 8, 8)
    positions = [2, 4, 6]
    torch.testing.assert_close(
        rgb[:, 0, 0, 0],
        torch.tensor([10 * t for t in positions], dtype=torch.uint8),
        atol=1,
        rtol=0)
    # stack of 2 flows per position: x_t, y_t, x_{t+1}, y_{t+1}
    want = torch.tensor([[100 + t, 50 + t, 101 + t, 51 + t]
                         for t in positions],
                        dtype=torch.uint8)
    torch.testing.assert_close(flow[:, :, 0, 0], want, atol=1, rtol=0)
    assert packed['data_samples'].gt_label.item() == 0


def test_flow_stack_past_the_last_flow_repeats_it(frames):
    results = dict(
        frame_dir=str(frames / 'B' / 'v2'),
        total_flow_frames=5,
        flow_filename_tmpl='{}_{:05d}.jpg',
        start_index=1,
        frame_inds=np.array([4, 6]))
    stacks = DecodeFlowStacks(stack_len=3)(results)['flows']
    assert [s.shape for s in stacks] == [(16, 16, 6)] * 2
    np.testing.assert_allclose(stacks[0][0, 0, 0::2], [104, 105, 105], atol=1)
    np.testing.assert_allclose(stacks[1][0, 0, 1::2], [55, 55, 55], atol=1)


def test_stack_len_must_be_positive_int():
    with pytest.raises(
            ValueError, match='stack_len must be an int >= 1, '
            'got 0'):
        DecodeFlowStacks(stack_len=0)


@pytest.mark.parametrize('lines, error, message', [
    ('A/v1 8\n', ValueError,
     r'train.txt, line 1: expected 3 fields "frame_dir total_frames label", '
     r'got 2'),
    ('A/v1 8 0\nB/v2 six 1\n', ValueError,
     r"train.txt, line 2: field 'total_frames' is 'six', not an integer"),
    ('A/v1 8 5\n', ValueError,
     r"train.txt, line 1: field 'label' is 5, not an int in \[0, 2\)"),
    ('A/v1 1 0\n', ValueError,
     r"line 1: field 'flow_frames' is 0 \(total_frames - "
     r'flow_frames_offset 1\), not a positive int'),
])
def test_bad_list_lines_name_the_file_line_and_field(frames, lines, error,
                                                     message):
    (frames / 'train.txt').write_text(lines)
    with pytest.raises(error, match=message):
        MultiModalRawframeDataset(
            str(frames / 'train.txt'), [], metainfo=dict(classes=['a', 'b']))


def test_check_files_names_the_missing_folder(frames):
    (frames / 'train.txt').write_text('A/v1 8 0\nA/nothere 8 0\n')
    with pytest.raises(
            FileNotFoundError,
            match=(r"train.txt, line 2: field 'frame_dir' points to "
                   rf'{frames}/A/nothere, which is not a folder')):
        MultiModalRawframeDataset(
            str(frames / 'train.txt'), [],
            data_prefix=dict(img=str(frames)),
            check_files=True)


@pytest.mark.parametrize('line, error, message', [
    ('A/v1 9 0', FileNotFoundError,
     r"A/v1 lacks img_00009.jpg, but field 'total_frames'=9 expects "
     r'img_00001.jpg .. img_00009.jpg'),
    ('A/v1 7 0', ValueError,
     r"A/v1 holds img_00008.jpg, but field 'total_frames'=7 expects "
     r'img_00001.jpg .. img_00007.jpg'),
])
def test_check_files_checks_the_frame_count(frames, line, error, message):
    (frames / 'train.txt').write_text(line + '\n')
    with pytest.raises(
            error, match=r'train.txt, line 1: frame folder .*' + message):
        MultiModalRawframeDataset(
            str(frames / 'train.txt'), [],
            data_prefix=dict(img=str(frames)),
            check_files=True)


def test_check_files_checks_the_flow_count_per_component(frames):
    (frames / 'A' / 'v1' / 'y_00007.jpg').unlink()
    with pytest.raises(
            FileNotFoundError,
            match=(r"line 1: frame folder .*A/v1 lacks y_00007.jpg, but field "
                   r"'flow_frames'=7 expects y_00001.jpg .. y_00007.jpg")):
        MultiModalRawframeDataset(
            str(frames / 'train.txt'), [],
            data_prefix=dict(img=str(frames)),
            check_files=True)
    # an RGB-only set does not look for flow
    ds = MultiModalRawframeDataset(
        str(frames / 'train.txt'), [],
        data_prefix=dict(img=str(frames)),
        modalities=('rgb', ),
        check_files=True)
    assert 'total_flow_frames' not in ds.get_data_info(0)


def test_json_entry_without_a_field_is_named(frames):
    ann = frames / 'ann.json'
    ann.write_text(
        json.dumps(
            dict(
                metainfo=dict(classes=['a']),
                data_list=[dict(frame_dir='A/v1', label=0)])))
    with pytest.raises(
            KeyError, match=r"data_list\[0\] lacks the field "
            "'total_frames'"):
        MultiModalRawframeDataset(str(ann), [])


def test_unknown_modality_is_refused(frames):
    with pytest.raises(KeyError, match=r"modalities=\['rgb', 'audio'\]"):
        MultiModalRawframeDataset(
            str(frames / 'train.txt'), [], modalities=('rgb', 'audio'))


def test_class_file_is_read_and_a_missing_one_is_named(frames):
    (frames / 'classes.txt').write_text('a\nb\n')
    ds = MultiModalRawframeDataset(
        str(frames / 'train.txt'), [],
        metainfo=dict(classes=str(frames / 'classes.txt')))
    assert ds.metainfo['classes'] == ['a', 'b']
    with pytest.raises(
            FileNotFoundError,
            match=(r"metainfo.classes='.*nothere.txt' is neither a list of "
                   'names nor a readable class file')):
        MultiModalRawframeDataset(
            str(frames / 'train.txt'), [],
            metainfo=dict(classes=str(frames / 'nothere.txt')))
