"""The main job end to end: CLCR on the synthetic set must clearly beat either modality alone."""
import importlib.util
import json
from pathlib import Path

import pytest

from clcr_plugin.datasets.synthetic_av import SyntheticAVConfig, bayes_accuracy, generate

ROOT = Path(__file__).resolve().parents[1]


def load_demo():
    spec = importlib.util.spec_from_file_location('tool_demo', ROOT / 'tools' / 'demo.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.timeout(1500)  # three 10-epoch trainings on 2 CPU cores (~6 min)
def test_demo_clcr_clearly_beats_the_best_unimodal_model(tmp_path_factory, capsys):
    data = tmp_path_factory.mktemp('demo_data')
    generate(str(data), SyntheticAVConfig(), progress=False)
    demo = load_demo()
    work = tmp_path_factory.mktemp('demo_runs')
    clcr = demo.main(['--data', str(data), '--work-dir', str(work / 'clcr')])
    printed = capsys.readouterr().out
    assert 'test top-1 accuracy' in printed and 'participation rate' in printed and 'level weight omega' in printed
    assert json.loads((work / 'clcr' / 'summary.json').read_text())['top1'] == clcr['top1']
    assert Path(clcr['checkpoint']).is_file()
    unimodal = {m: demo.run(f'configs/baselines/unimodal-{m}_r18_1xb16-10e_synthetic-av-rgb-audio.py', str(data),
                            str(work / m)) for m in ('rgb', 'audio')}
    best = max(r['top1'] for r in unimodal.values())
    report = {'clcr': clcr['top1'], **{m: r['top1'] for m, r in unimodal.items()}}
    print('synthetic test top-1:', report)
    assert best <= bayes_accuracy(('colour', 'rhythm', 'order')) + 0.1  # a single modality cannot do better
    assert clcr["top1"] >= best + 0.2, report
    rates = [v for k, v in clcr['diagnostics'].items() if k.startswith('clcr_rate_')]
    assert len(rates) == 3 and all(0.1 <= r <= 1.0 for r in rates)
