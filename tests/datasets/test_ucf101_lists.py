"""UCF101's official annotation files, read as shipped."""
import pytest

from clcr_plugin.datasets.ucf101 import (SplitEntry, rawframe_list_name,
                                         read_class_index, read_split_list,
                                         split_list_names)

CLASSES = ['ApplyEyeMakeup', 'HandstandPushups']


def write(path, lines):
    path.write_bytes(('\r\n'.join(lines) + '\r\n').encode())
    return str(path)


def test_class_index_with_windows_line_ends(tmp_path):
    path = write(tmp_path / 'classInd.txt',
                 ['1 ApplyEyeMakeup', '2 HandstandPushups', ''])
    assert read_class_index(path) == CLASSES


def test_class_index_out_of_order_names_the_line(tmp_path):
    path = write(tmp_path / 'classInd.txt', ['1 A', '3 C'])
    with pytest.raises(
            ValueError,
            match=r'classInd.txt, line 2: expected '
            r'"2 <ClassName>", got \'3 C\''):
        read_class_index(path)


def test_lists_take_the_class_from_the_folder(tmp_path):
    train = write(tmp_path / 'trainlist01.txt', [
        'HandstandPushups/v_HandStandPushups_g08_c01.avi 2',
        'ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1'
    ])
    test = write(tmp_path / 'testlist01.txt',
                 ['HandstandPushups/v_HandStandPushups_g01_c01.avi'])
    assert read_split_list(train, CLASSES) == [
        SplitEntry('HandstandPushups/v_HandStandPushups_g08_c01.avi', 1,
                   f'{train}, line 1'),
        SplitEntry('ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi', 0,
                   f'{train}, line 2')
    ]
    assert [e.label for e in read_split_list(test, CLASSES)] == [1]


@pytest.mark.parametrize('line, message', [
    ('ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 2',
     r"field 'label' is '2', but class 'ApplyEyeMakeup' is 1 in "
     'classInd.txt'),
    ('v_ApplyEyeMakeup_g08_c01.avi 1',
     r'expected "<Class>/<video>.avi \[label\]"'),
])
def test_bad_list_lines_name_file_line_and_field(tmp_path, line, message):
    path = write(tmp_path / 'trainlist01.txt', [line])
    with pytest.raises(
            ValueError, match='trainlist01.txt, line 1: ' + message):
        read_split_list(path, CLASSES)


def test_split_names_follow_the_release_and_mmaction2():
    assert split_list_names(2) == dict(
        train='trainlist02.txt', test='testlist02.txt')
    assert rawframe_list_name('test',
                              2) == ('ucf101_val_split_2_rawframes.txt')
    with pytest.raises(ValueError, match=r'split must be one of \(1, 2, 3\)'):
        split_list_names(4)
