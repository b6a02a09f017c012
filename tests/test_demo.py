"""The main job end to end: CLCR trains as well as late concatenation."""
import json

import pytest
from tool_scripts import load_script

from clcr_plugin.datasets.synthetic_av import (SyntheticAVConfig,
                                               bayes_accuracy, generate)


def load_demo():
    return load_script('tools/demo.py')


@pytest.mark.slow
@pytest.mark.timeout(1800)  # two 10-epoch trainings + 6 tests on 2 CPU cores
def test_demo_clcr_matches_concat_on_the_default_set_seed_0(
        tmp_path_factory, capsys):
    data = tmp_path_factory.mktemp('demo_data')
    generate(str(data), SyntheticAVConfig(), progress=False)
    work = tmp_path_factory.mktemp('demo_runs')
    summary = load_demo().main(['--data', str(data), '--work-dir', str(work)])
    printed = capsys.readouterr().out
    for text in ('missing-audio', 'noise-audio-1', 'participation rate',
                 'level weight omega', 'CLCR', 'concat'):
        assert text in printed
    assert json.loads((work / 'summary.json').read_text()) == summary
    clcr, concat = summary['top1']['CLCR'], summary['top1']['concat']
    print('synthetic test top-1:', summary['top1'])
    # the bar: CLCR (regularisers on) >= concat - 2 points, seed 0
    assert clcr['clean'] >= concat['clean'] - 0.02, summary['top1']
    # and fusion is real: either modality alone is at most 50 %
    assert clcr['clean'] >= bayes_accuracy(('colour', 'rhythm', 'order')) + 0.3
    rates = [
        v for k, v in summary['clcr_diagnostics'].items()
        if k.startswith('clcr_rate_')
    ]
    assert len(rates) == 3 and all(0.1 <= r <= 1.0 for r in rates)
    assert (work / 'CLCR' / 'seed0' / 'test_metrics.json').is_file()
