"""tools/analysis/benchmark.py on tiny sizes: every section runs and the JSON
holds what the tables show."""
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_benchmark():
    spec = importlib.util.spec_from_file_location(
        'tool_benchmark', ROOT / 'tools' / 'analysis' / 'benchmark.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # ~35 s of CPU: two recognizers, a dynamo compile
def test_benchmark_writes_every_section_on_tiny_sizes(tmp_path, capsys):
    out = tmp_path / 'bench.json'
    load_benchmark().main([
        '--quick', '--device', 'cpu', '--out',
        str(out), '--batch', '2', '--tokens', '4', '--dims', '32',
        '--modalities', '2', '3', '--dtypes', 'fp32', 'bf16', '--repeats', '2',
        '--model-batch', '2', '--frame-size', '16', '--audio-size', '8', '16',
        '--compile-tokens', '4', '--compile-backend', 'aot_eager'
    ])
    report = json.loads(out.read_text())
    assert {'date', 'torch', 'device', 'load_average'} <= set(report)

    necks = report['neck']
    assert len(necks) == 2 * 2 * 5  # modalities x dtypes x variants
    assert {r['neck']
            for r in necks
            } == {'concat', 'dense', 'clcr', 'clcr_r0.5', 'clcr_ref'}
    for r in necks:
        assert r['median_s'] > 0 and r['peak_bytes'] > 0
        assert r['samples_per_s'] == r['batch'] / r['median_s']
        if r['neck'] == 'dense':
            assert r['ratio'] == 1.0 and r['memory_ratio'] == 1.0

    models = report['model']
    assert [(r['model'], r['dtype']) for r in models] == [('clcr', 'fp32'),
                                                          ('concat', 'fp32'),
                                                          ('clcr', 'bf16'),
                                                          ('concat', 'bf16')]
    assert all(r['ratio'] == 1.0 for r in models if r['model'] == 'concat')

    compiled = report['compile']
    assert compiled['graph_breaks'] == 0, compiled['break_reasons']
    assert compiled['graphs'] == 1 and compiled['compile_s'] > 0

    flops = {(r['model'], r['part']): r for r in report['flops']}
    for kind in ('clcr', 'concat'):
        parts = sum(flops[kind, p]['gflops']
                    for p in ('backbone_rgb', 'backbone_audio', 'neck',
                              'cls_head'))
        assert abs(flops[kind, 'model']['gflops'] - parts) < 1e-9
        assert flops[kind,
                     'model']['params'] == sum(flops[kind, p]['params']
                                               for p in ('backbone_rgb',
                                                         'backbone_audio',
                                                         'neck', 'cls_head'))
    # mmengine counts multiply-adds of the operators it knows: all of the
    # concat model, not CLCR's attention and solves
    concat = flops['concat', 'model']
    assert 1.9 < concat['gflops'] / concat['mmengine_gmacs'] < 2.1
    clcr = flops['clcr', 'model']
    assert concat['mmengine_gmacs'] < clcr['mmengine_gmacs'] < clcr['gflops']
    assert flops['concat', 'neck']['params'] == 0
    assert flops['clcr', 'neck']['gflops'] > 0
    printed = capsys.readouterr().out
    assert '| neck | d | modalities |' in printed and 'graph(s)' in printed
