"""tools/data/mosi_mosei/check.py: counts per split of a valid pickle, a
clear error and exit status 1 for a broken one."""
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from tool_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools' / 'data' / 'mosi_mosei' / 'check.py'


@pytest.fixture(scope='module')
def check():
    return load_script(TOOL)


@pytest.mark.parametrize('dataset,aligned,name', [
    ('mosi', False, 'CMU-MOSI'),
    ('mosei', True, 'CMU-MOSEI'),
])
def test_prints_counts_per_split_and_recognises_the_set(
        check, sentiment_pickles, capsys, dataset, aligned, name):
    path = sentiment_pickles[dataset, aligned]
    assert check.main([str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(':')[0].strip()
            for line in out[:3]] == ['train', 'valid', 'test']
    assert [int(re.search(r'(\d+) samples', line)[1])
            for line in out[:3]] == [6, 4, 4]
    # the fixture's one -inf and one NaN per split, set to 0
    assert all("non-finite set to 0 {'audio': 1, 'vision': 1}" in line
               for line in out[:3])
    assert out[3].startswith(f'OK: {path} looks like {name}')


def test_strict_mode_and_a_missing_key_fail_with_the_key_named(
        check, sentiment_pickles, capsys, tmp_path):
    assert check.main([str(sentiment_pickles['mosi', False]), '--strict']) == 1
    assert "['train']['audio'] holds 1 non-finite" in capsys.readouterr().err
    broken = tmp_path / 'no_vision.pkl'
    split = dict(
        text=np.zeros((2, 50, 768), np.float32),
        text_bert=np.ones((2, 3, 50)),
        audio=np.zeros((2, 5, 5), np.float32),
        regression_labels=np.zeros(2),
        id=np.array(['a', 'b']))
    with open(broken, 'wb') as f:
        pickle.dump({s: split for s in ('train', 'valid', 'test')}, f)
    assert check.main([str(broken)]) == 1
    assert "['train'] has no key 'vision'" in capsys.readouterr().err
