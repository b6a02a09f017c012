"""UCF101's official annotation files (``ucfTrainTestlist/``), read as
shipped.

``classInd.txt`` has lines ``1 ApplyEyeMakeup`` (1-based, consecutive);
``trainlist0N.txt`` lines ``ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1``;
``testlist0N.txt`` the same without the label. The files use Windows line
ends. The class of a video is its folder, looked up in ``classInd.txt`` (a
file name may spell it otherwise: ``HandstandPushups/v_HandStandPushups_...``).
Labels here are 0-based, as in mmaction2's lists. Needs no OpenMMLab.
"""
from typing import List, NamedTuple

SPLITS = (1, 2, 3)


class SplitEntry(NamedTuple):
    """One video of a split list."""
    video: str  # 'Class/v_Class_gXX_cYY.avi', relative to UCF-101/
    label: int  # 0-based
    where: str  # 'file, line N' for messages


def _lines(path: str) -> List[str]:
    with open(path, encoding='utf-8') as f:
        return f.read().splitlines()  # handles \r\n


def read_class_index(path: str) -> List[str]:
    """Class names of ``classInd.txt``, index = 0-based label.

    Raises:
        ValueError: a line is not ``<index> <name>``, or the indices are not
            1, 2, 3, ... in order (the message names the file and line).
    """
    classes = []
    for lineno, line in enumerate(_lines(path), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[0] != str(len(classes) + 1):
            raise ValueError(
                f'{path}, line {lineno}: expected "{len(classes) + 1} '
                f'<ClassName>", got {line.strip()!r}')
        classes.append(fields[1])
    if not classes:
        raise ValueError(f'{path} lists no class')
    return classes


def read_split_list(path: str, classes: List[str]) -> List[SplitEntry]:
    """Entries of a ``trainlist0N.txt`` (with 1-based labels) or
    ``testlist0N.txt`` (without).

    Raises:
        ValueError: a line has other than 1 or 2 fields, its path is not
            ``Class/file.avi``, its class folder is not in ``classes``, or a
            given label disagrees with the folder's class (the message
            names the file, line and field).
    """
    index = {name: i for i, name in enumerate(classes)}
    entries = []
    for lineno, line in enumerate(_lines(path), 1):
        fields = line.split()
        if not fields:
            continue
        where = f'{path}, line {lineno}'
        parts = fields[0].split('/')
        if len(fields) > 2 or len(parts) != 2 or not all(parts):
            raise ValueError(
                f'{where}: expected "<Class>/<video>.avi [label]", got '
                f'{line.strip()!r}')
        if parts[0] not in index:
            raise ValueError(
                f'{where}: class folder {parts[0]!r} is not in classInd.txt')
        label = index[parts[0]]
        if len(fields) == 2 and fields[1] != str(label + 1):
            raise ValueError(
                f'{where}: field \'label\' is {fields[1]!r}, but class '
                f'{parts[0]!r} is {label + 1} in classInd.txt')
        entries.append(SplitEntry(fields[0], label, where))
    return entries


def split_list_names(split: int) -> dict:
    """``{'train': 'trainlist0N.txt', 'test': 'testlist0N.txt'}``."""
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    return dict(train=f'trainlist0{split}.txt', test=f'testlist0{split}.txt')


def rawframe_list_name(split_name: str, split: int) -> str:
    """mmaction2's list names: ``ucf101_{train,val}_split_N_rawframes.txt``
    (its test list is called ``val``)."""
    kind = 'train' if split_name == 'train' else 'val'
    return f'ucf101_{kind}_split_{split}_rawframes.txt'
