"""tools/analysis/benchmark.py on tiny sizes: every section runs and the JSON
holds what the tables show."""
import json

import pytest
from tool_scripts import load_script


def load_benchmark():
    return load_script('tools/analysis/benchmark.py')


@pytest.mark.slow  # ~35 s of CPU: two recognizers, a dynamo compile
def test_benchmark_writes_every_section_on_tiny_sizes(tmp_path, capsys,
                                                      tiny_av_set):
    out = tmp_path / 'bench.json'
    load_benchmark().main([
        '--quick', '--device', 'cpu', '--out',
        str(out), '--batch', '2', '--tokens', '4', '--dims', '32',
        '--modalities', '2', '3', '--dtypes', 'fp32', 'bf16', '--repeats', '2',
        '--model-batch', '2', '--frame-size', '16', '--audio-size', '8', '16',
        '--compile-tokens', '4', '--compile-backend', 'aot_eager',
        '--compile-mode', 'default', '--data-workers', '0', '--data-batches',
        '2', '--data-options',
        f'train_dataloader.dataset.ann_file={tiny_av_set}/train.json',
        f'train_dataloader.dataset.data_prefix.video={tiny_av_set}'
    ])
    load_benchmark().main([
        '--quick', '--device', 'cpu', '--out',
        str(tmp_path / 'exp.json'), '--sections', 'sync', '--batch', '2',
        '--tokens', '4', '--dims', '32', '--dtypes', 'fp32', '--model-batch',
        '2', '--frame-size', '16', '--audio-size', '8', '16',
        '--compile-tokens', '4', '--orthogonal-map', 'matrix_exp'
    ])
    exp = json.loads((tmp_path / 'exp.json').read_text())['sync']
    assert [r['host_sync_free'] for r in exp] == [False, False, True]
    assert 'linalg_matrix_exp' in exp[0]['error']
    report = json.loads(out.read_text())
    assert {'date', 'torch', 'device', 'load_average'} <= set(report)

    necks = report['neck']
    assert len(necks) == 2 * 2 * 5  # modalities x dtypes x variants
    assert {r['neck']
            for r in necks
            } == {'concat', 'dense', 'clcr', 'clcr_r0.5', 'clcr_ref'}
    for r in necks:
        assert r['median_s'] > 0 and r['peak_bytes'] > 0 and r['aten_ops'] > 0
        assert r['samples_per_s'] == r['batch'] / r['median_s']
        if r['neck'] == 'dense':
            assert r['ratio'] == 1.0 and r['memory_ratio'] == 1.0

    ops = {
        (r['neck'], r['modalities'], r['dtype']): r['aten_ops']
        for r in necks
    }
    assert ops['clcr', 2, 'fp32'] > ops['dense', 2, 'fp32'] > ops['concat', 2,
                                                                  'fp32']

    models = report['model']
    assert [(r['model'], r['dtype']) for r in models
            ] == [(m, d) for d in ('fp32', 'bf16')
                  for m in ('clcr', 'concat', 'clcr_matrix_exp')]
    assert all(r['ratio'] == 1.0 for r in models if r['model'] == 'concat')

    # the default (cayley) training steps are sync-free, matrix_exp's is not
    sync = {r['step'].split(' (')[0]: r for r in report['sync']}
    assert set(sync) == {'clcr neck', 'clcr recognizer', 'concat recognizer'}
    assert all(r['host_sync_free'] for r in sync.values()), sync

    compiled = report['compile']
    assert compiled['graph_breaks'] == 0, compiled['break_reasons']
    assert compiled['mode'] == 'default'
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
    # the loader's throughput, and against the CLCR step of the same call
    (data, ) = report['data']
    assert data['workers'] == 0 and data['batch'] == 16
    assert data['samples_per_s'] == 2 * 16 / data['seconds']
    step = max(r['samples_per_s'] for r in models if r['model'] == 'clcr')
    assert data['loader_over_clcr_step'] == data['samples_per_s'] / step
    printed = capsys.readouterr().out
    assert '| neck | d | modalities |' in printed and 'graph(s)' in printed


def test_data_section_times_the_loader_per_worker_count(tmp_path, tiny_av_set):
    out = tmp_path / 'data.json'
    load_benchmark().main([
        '--quick', '--device', 'cpu', '--out',
        str(out), '--sections', 'data', '--data-workers', '0', '1',
        '--data-batches', '3', '--data-options',
        f'train_dataloader.dataset.ann_file={tiny_av_set}/train.json',
        f'train_dataloader.dataset.data_prefix.video={tiny_av_set}',
        'train_dataloader.batch_size=4'
    ])
    rows = json.loads(out.read_text())['data']
    assert [(r['workers'], r['batch'], r['batches'])
            for r in rows] == [(0, 4, 3), (1, 4, 3)]
    for r in rows:
        assert r['samples_per_s'] == 3 * 4 / r['seconds']
        assert 'loader_over_clcr_step' not in r  # no model section ran
