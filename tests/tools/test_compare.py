"""tools/analysis/compare.py end to end on the tiny set: two configs, two
seeds, one noise level."""
import csv
import importlib.util
import json
import re
import statistics
from pathlib import Path

import pytest
from tool_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
CONCAT = (
    ROOT / 'configs' / 'baselines' /
    'concat_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py')
AUDIO = (
    ROOT / 'configs' / 'baselines' /
    'unimodal-audio_r18_1xb16-10e_synthetic-av-rgb-audio.py')
CONDITIONS = [
    'clean', 'noise-rgb-1', 'noise-audio-1', 'missing-rgb', 'missing-audio'
]


def load_compare():
    return load_script('tools/analysis/compare.py')


def tiny_options() -> list:
    opts = ['train_cfg.max_epochs=1',
            'train_cfg.val_begin=2']  # one epoch, no validation
    for split in ('train', 'val', 'test'):
        opts += [
            f'{split}_dataloader.batch_size=8',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False'
        ]
    return opts


def parse_table(table: str) -> dict:
    """``{config: {condition: cell}}`` from the Markdown table."""
    lines = [line for line in table.splitlines() if line.startswith('|')]
    header = [c.strip() for c in lines[0].strip('|').split('|')]
    cells = {}
    for line in lines[2:]:
        row = [c.strip() for c in line.strip('|').split('|')]
        cells[row[0]] = dict(zip(header[1:], row[1:]))
    return cells


def mean_and_std(cell: str) -> tuple:
    mean, std = re.fullmatch(r'(\d+\.\d) ± (\d+\.\d)', cell).groups()
    return float(mean), float(std)


@pytest.mark.slow
@pytest.mark.timeout(
    900)  # 4 one-epoch trainings and 14 test runs (~2 min on 2 idle cores)
def test_compare_trains_evaluates_and_tabulates_resumably(
        tiny_av_set, tmp_path, capsys):
    compare = load_compare()
    work = tmp_path / 'compare'
    argv = [
        str(CONCAT),
        str(AUDIO), '--seeds', '0', '1', '--noise', '1.0', '--data',
        str(tiny_av_set), '--work-dir',
        str(work), '--cfg-options', *tiny_options()
    ]
    out = compare.main(argv)
    printed = capsys.readouterr().out
    concat, audio = CONCAT.stem, AUDIO.stem

    # every run trained and tested in its own folder; evaluation runs log
    # elsewhere
    runs = {
        (stem, seed):
        json.loads(
            (work / stem / f'seed{seed}' / 'test_metrics.json').read_text())
        for stem in (concat, audio)
        for seed in (0, 1)
    }
    for (stem, seed), run in runs.items():
        run_dir = work / stem / f'seed{seed}'
        assert run['seed'] == seed and (run_dir / run['checkpoint']).is_file()
        assert run['checkpoint'] == 'epoch_1.pth'
        assert (run_dir / 'eval' / 'clean.json').is_file()
    assert (sorted(
        p.name for p in (work / audio / 'seed0' / 'eval').glob('*.json')) == [
            'clean.json', 'noise-audio-1.json'
        ])  # the rest is clean by construction or has no input

    # the CSV holds one row per config, seed, condition and metric, and its
    # values are the runs' metrics
    with open(work / 'results.csv') as f:
        rows = list(csv.DictReader(f))
    value = {
        (r['config'], int(r['seed']), r['condition'], r['metric']):
        float(r['value'])
        for r in rows
    }
    assert len(value) == len(rows)
    for (stem, seed), run in runs.items():
        for metric, v in run['metrics'].items():
            assert value[stem, seed, 'clean', metric] == pytest.approx(
                v)  # re-tested from the checkpoint
    for seed in (0, 1):
        for condition in ('noise-rgb-1',
                          'missing-rgb'):  # the audio model never reads rgb
            assert value[audio, seed, condition,
                         'acc/top1'] == value[audio, seed, 'clean', 'acc/top1']
        assert (audio, seed, 'missing-audio', 'acc/top1') not in value
        assert {(concat, seed, c, 'acc/top1')
                for c in CONDITIONS} <= set(value)

    # the table: mean +- sample std over seeds of the CSV's top-1, in %
    table = parse_table((work / 'summary.md').read_text())
    assert list(table) == [concat, audio] and list(table[concat]) == CONDITIONS
    for stem in (concat, audio):
        for condition in CONDITIONS:
            if (stem, condition) == (audio, 'missing-audio'):
                assert table[stem][condition] == 'n/a'
                continue
            per_seed = [
                100 * value[stem, seed, condition, 'acc/top1']
                for seed in (0, 1)
            ]
            mean, std = mean_and_std(table[stem][condition])
            assert mean == pytest.approx(statistics.mean(per_seed), abs=0.051)
            assert std == pytest.approx(statistics.stdev(per_seed), abs=0.051)
        clean_mean, _ = mean_and_std(table[stem]['clean'])
        assert clean_mean == pytest.approx(
            statistics.mean(100 * runs[stem, s]['metrics']['acc/top1']
                            for s in (0, 1)),
            abs=0.051)
    assert out['table'] in printed

    if importlib.util.find_spec('matplotlib') is not None:
        assert sorted(Path(f).name for f in out['files']) == [
            'missing.png', 'noise_audio.png', 'noise_rgb.png'
        ]
        assert all(
            (work / name).read_bytes().startswith(b'\x89PNG')
            for name in ('missing.png', 'noise_audio.png', 'noise_rgb.png'))

    # a second invocation redoes nothing and reproduces the same table
    mtimes = {
        p: p.stat().st_mtime_ns
        for p in work.rglob('*') if p.suffix in ('.json', '.pth')
    }
    again = compare.main(argv)
    printed = capsys.readouterr().out
    assert printed.count('trained and tested earlier, not redone') == 4
    assert ('testing under' not in printed and ': training' not in printed
            and 'resuming' not in printed)
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes
    assert again['table'] == out['table']

    # a run interrupted after its last checkpoint resumes there: it is only
    # tested again, and its
    # evaluations (same checkpoint) are kept
    resumed = work / concat / 'seed1'
    (resumed / 'test_metrics.json').unlink()
    compare.main(argv)
    printed = capsys.readouterr().out
    assert printed.count('resuming from its last checkpoint'
                         ) == 1 and 'testing under' not in printed
    assert json.loads(
        (resumed /
         'test_metrics.json').read_text())['metrics'] == runs[concat,
                                                              1]['metrics']
    assert (resumed /
            'epoch_1.pth').stat().st_mtime_ns == mtimes[resumed /
                                                        'epoch_1.pth']

    # --eval-only evaluates finished runs and refuses unfinished ones
    assert compare.main([*argv, '--eval-only'])['table'] == out['table']
    with pytest.raises(
            FileNotFoundError,
            match=r'--eval-only: .*seed2 holds no finished run'):
        compare.main([*argv[:3], '2', *argv[4:], '--eval-only'])


def test_conditions_cover_each_modality_with_each_noise_level_and_missing():
    compare = load_compare()
    conditions = compare.build_conditions(['rgb', 'audio'], [0.5, 2.0])
    assert [c.name for c in conditions] == [
        'clean', 'noise-rgb-0.5', 'noise-rgb-2', 'noise-audio-0.5',
        'noise-audio-2', 'missing-rgb', 'missing-audio'
    ]
    assert conditions[2].noise_std == {'rgb': 2.0} and conditions[2].drop == ()
    assert conditions[-1].drop == (
        'audio', ) and conditions[-1].noise_std == {}


def test_table_reports_mean_and_sample_std_over_seeds_and_na():
    compare = load_compare()
    rows = [
        dict(
            config='a', seed=s, condition='clean', metric='acc/top1', value=v)
        for s, v in ((0, 0.5), (1, 0.7))
    ]
    rows += [
        dict(
            config='b',
            seed=0,
            condition='clean',
            metric='acc/top1',
            value=0.25)
    ]
    table = compare.markdown_table(rows, ['a', 'b'],
                                   compare.build_conditions(['rgb'], []),
                                   [0, 1])
    assert parse_table(table) == {
        'a': {
            'clean': '60.0 ± 14.1',
            'missing-rgb': 'n/a'
        },
        'b': {
            'clean': '25.0',
            'missing-rgb': 'n/a'
        }
    }


def test_configs_without_backbones_and_duplicate_names_are_rejected(tmp_path):
    compare = load_compare()
    plain = tmp_path / 'plain.py'
    plain.write_text("model = dict(type='Recognizer2D')\n")
    with pytest.raises(
            ValueError,
            match=r"plain.py: model.backbones is missing .*'Recognizer2D'"):
        compare.main([str(plain), '--work-dir', str(tmp_path)])
    with pytest.raises(
            ValueError, match=r"two configs share the name 'concat_r18"):
        compare.main([str(CONCAT), str(CONCAT), '--work-dir', str(tmp_path)])


@pytest.mark.skipif(
    importlib.util.find_spec('matplotlib') is None,
    reason='matplotlib is not installed')
def test_plots_are_written_for_each_modality_and_missing_modalities(tmp_path):
    compare = load_compare()
    conditions = compare.build_conditions(['rgb', 'audio'], [1.0])
    rows = [
        dict(
            config=stem,
            seed=s,
            condition=c.name,
            metric='acc/top1',
            value=0.1 * s + 0.3) for stem in ('a', 'b') for s in (0, 1)
        for c in conditions if (stem, c.name) != ('b', 'missing-audio')
    ]
    files = compare.plot(rows, ['a', 'b'], ['rgb', 'audio'], [1.0],
                         str(tmp_path))
    assert [Path(f).name for f in files
            ] == ['noise_rgb.png', 'noise_audio.png', 'missing.png']
    assert all(Path(f).read_bytes().startswith(b'\x89PNG') for f in files)
