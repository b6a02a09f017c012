"""model-index.yml and the metafiles list every config, point to existing
configs and describe them as the configs do (tools/misc/model_index.py)."""
import shutil
from pathlib import Path

import pytest
import yaml
from tool_scripts import load_script

ROOT = Path(__file__).resolve().parents[1]


def load_model_index():
    return load_script('tools/misc/model_index.py')


def test_every_config_is_listed_and_every_entry_points_to_a_config():
    problems = load_model_index().problems()
    assert not problems, '\n\n'.join(problems)


def test_entries_describe_their_configs():
    tool = load_model_index()
    imports = yaml.safe_load((ROOT / 'model-index.yml').read_text())['Import']
    assert sorted(imports) == sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / 'configs').rglob('metafile.yml'))
    names = set()
    for metafile in imports:
        for model in yaml.safe_load((ROOT / metafile).read_text())['Models']:
            expected = tool.entry_for(Path(model['Config']))
            where = f"{metafile}: {model['Name']}"
            assert model['Name'] not in names, where
            names.add(model['Name'])
            assert model['Metadata']['Modalities'] == expected['Metadata'][
                'Modalities'], where
            result, want = model['Results'][0], expected['Results'][0]
            assert (result['Task'], result['Dataset']) == (want['Task'],
                                                           want['Dataset'])
            assert list(result['Metrics']) == list(want['Metrics']), where
    assert len(names) == len(tool.all_configs())


def test_a_new_or_removed_config_says_what_to_change(tmp_path, monkeypatch):
    tool = load_model_index()
    shutil.copytree(ROOT / 'configs', tmp_path / 'configs')
    shutil.copy(ROOT / 'model-index.yml', tmp_path / 'model-index.yml')
    monkeypatch.setattr(tool, 'ROOT', tmp_path)
    clcr = tmp_path / 'configs' / 'clcr'
    new = clcr / 'clcr-wide_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py'
    new.write_text("_base_ = ['./clcr_r18-r18_1xb16-10e_synthetic-av-rgb-"
                   "audio.py']\nmodel = dict(neck=dict(embed_dim=512))\n")
    baselines = tmp_path / 'configs' / 'baselines'
    (baselines / 'concat_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py').unlink()
    problems = tool.problems()
    assert len(problems) == 2, problems  # the stale entry, the new config
    stale = [p for p in problems if 'does not exist' in p]
    assert stale == [
        'configs/baselines/metafile.yml: entry '
        "'concat_r18-r18_1xb16-10e_synthetic-av-rgb-audio' points to "
        'configs/baselines/concat_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py'
        ', '
        'which does not exist: remove the entry or fix its Config'
    ]
    added = next(p for p in problems if new.name in p)
    assert added.startswith(f'configs/clcr/{new.name} is in no metafile; '
                            'add to configs/clcr/metafile.yml under Models:')
    block = yaml.safe_load(added.split('Models:\n', 1)[1].rsplit('(or', 1)[0])
    assert block[0]['Name'] == new.stem
    assert block[0]['Results'][0]['Metrics'] == {
        'acc/top1': None,
        'acc/top5': None,
        'acc/mean1': None,
        'macro_f1': None
    }
    tool.add_missing()
    assert len(tool.problems()) == 1  # only the stale entry is left to a human


def test_unknown_data_set_is_named():
    tool = load_model_index()
    with pytest.raises(KeyError, match="data set 'mystery'.*DATASET_TASKS"):
        tool.DATASET_TASKS.pop('mystery', None)
        path = Path('configs/x/clcr_r18_1xb1-1e_mystery-rgb.py')
        original = tool.Config.fromfile
        try:
            tool.Config.fromfile = staticmethod(lambda _: tool.Config(
                dict(model=dict(backbones=dict(rgb=dict(type='ResNet'))))))
            tool.entry_for(path)
        finally:
            tool.Config.fromfile = original
