"""What CLCR costs: neck and full-model training steps, torch.compile, FLOPs.

    python tools/analysis/benchmark.py [--quick] [--device cpu|cuda]
        [--sections neck model sync compile flops data] [--out F] [...]

Sections (each a table on stdout and a key of the JSON file): ``neck``
(CLCR vs dense cross-attention vs concat necks, one training step, ratio to
dense), ``model`` (the two-ResNet-18 recognizer's SGD step, CLCR vs concat),
``sync`` (host reads in a training step), ``compile`` (graph breaks,
compile time and speed-up of the CLCR neck), ``data`` (a config's training
loader, samples/s per worker count) and ``flops`` (FLOPs and parameters by
part). What each measures, how, and the ``--quick`` preset (under 3 minutes
on 2 idle CPU cores): ``docs/performance.md``, "Running it".
"""
import argparse
import datetime
import json
import os
import os.path as osp
import platform
import sys
from typing import Dict, List, Optional

import torch
from mmaction.registry import MODELS
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

import clcr_plugin  # noqa: F401  (registers the plug-in's modules)
from clcr_plugin.analysis.complexity import loader_throughput, recognizer_flops
from clcr_plugin.analysis.training_steps import (compiled_neck_report,
                                                 level_features, measure,
                                                 model_step, neck_step,
                                                 neck_variants,
                                                 recognizer_inputs, sync_check)
from clcr_plugin.models.clcr.subspaces import ORTHOGONAL_MAPS

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIGS = dict(
    clcr=osp.join(ROOT, 'configs', 'clcr',
                  'clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py'),
    concat=osp.join(ROOT, 'configs', 'baselines',
                    'concat_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py'))
PRESETS = dict(
    full=dict(
        batch=64,
        tokens=[16, 64, 256, 1024, 4096],
        dims=[256, 512],
        modalities=[2, 3],
        dtypes=['fp32', 'bf16'],
        repeats=10,
        model_batch=64,
        frame_size=224,
        audio_size=[128, 300],
        compile_tokens=256,
        compile_backend='inductor',
        data_batches=20,
        data_workers=[0, 4, 8]),
    quick=dict(
        batch=8,
        tokens=[16, 64],
        dims=[256],
        modalities=[2],
        dtypes=['fp32', 'bf16'],
        repeats=3,
        model_batch=2,
        frame_size=64,
        audio_size=[40, 100],
        compile_tokens=16,
        compile_backend='aot_eager',
        data_batches=3,
        data_workers=[0, 2]))


def bench_necks(args, device: torch.device) -> List[Dict]:
    results = []
    for d in args.dims:
        for num_mod in args.modalities:
            names = [f'm{i}' for i in range(num_mod)]
            for tokens in args.tokens:
                torch.manual_seed(0)
                feats = level_features(args.batch, tokens, names, device)
                necks = {
                    k: v.to(device)
                    for k, v in neck_variants(d, names, tokens,
                                              args.orthogonal_map).items()
                }
                for dtype in args.dtypes:
                    steps = {
                        k: neck_step(v, feats, dtype, device)
                        for k, v in necks.items()
                    }
                    rows = measure(steps, 'dense', args.batch, args.repeats,
                                   device)
                    for name, row in rows.items():
                        results.append(
                            dict(
                                neck=name,
                                d=d,
                                modalities=num_mod,
                                tokens_per_level=tokens,
                                dtype=dtype,
                                batch=args.batch,
                                **row))
                    print_rows(results[-len(rows):], 'neck')
    return results


def build_recognizer(kind: str,
                     args,
                     device: torch.device,
                     orthogonal_map: Optional[str] = None,
                     compile_neck: Optional[dict] = None):
    """The synthetic config's recognizer for ``kind`` (``clcr`` or
    ``concat``) at the benchmark's input sizes; ``orthogonal_map`` overrides
    CLCR's, ``compile_neck`` is the model's option of that name."""
    cfg = Config.fromfile(CONFIGS[kind])
    if orthogonal_map is not None:
        cfg.model.neck.orthogonal_map = orthogonal_map
    cfg.model.compile_neck = compile_neck
    cfg.model.dry_run_inputs = dict(
        rgb=(3, args.frame_size, args.frame_size), audio=(1, *args.audio_size))
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model.to(device)


def bench_models(args, device: torch.device) -> List[Dict]:
    other_map = [m for m in ORTHOGONAL_MAPS if m != args.orthogonal_map][0]
    models = dict(
        clcr=build_recognizer('clcr', args, device, args.orthogonal_map),
        concat=build_recognizer('concat', args, device))
    models[f'clcr_{other_map}'] = build_recognizer('clcr', args, device,
                                                   other_map)
    if args.compile_model:
        options = dict(backend=args.compile_backend, mode=args.compile_mode)
        models['clcr_compiled_neck'] = build_recognizer(
            'clcr', args, device, args.orthogonal_map, compile_neck=options)
    inputs, samples = recognizer_inputs(args.model_batch, args.frame_size,
                                        args.audio_size,
                                        models['clcr'].cls_head.num_classes,
                                        device)
    results = []
    for dtype in args.dtypes:
        steps = {
            k: model_step(m, inputs, samples, dtype, device)
            for k, m in models.items()
        }
        rows = measure(steps, 'concat', args.model_batch, args.repeats, device)
        results += [
            dict(
                model=name,
                dtype=dtype,
                batch=args.model_batch,
                frame_size=args.frame_size,
                audio_size=list(args.audio_size),
                **row) for name, row in rows.items()
        ]
        print_rows(results[-len(rows):], 'model')
    return results


def bench_sync(args, device: torch.device) -> List[Dict]:
    """Host reads in the CLCR neck's step and in the recognizer's step."""
    tokens, names = args.compile_tokens, ['m0', 'm1']
    feats = level_features(args.batch, tokens, names, device)
    neck = neck_variants(args.dims[0], names, tokens,
                         args.orthogonal_map)['clcr'].to(device)
    neck_train = neck_step(neck, feats, args.dtypes[-1], device)

    def neck_with_diagnostics() -> None:
        neck_train()
        neck.diagnostic_scalars()

    results = [
        dict(
            step='clcr neck (forward, backward, diagnostics)',
            dtype=args.dtypes[-1],
            **sync_check(neck_with_diagnostics))
    ]
    for kind in CONFIGS:
        model = build_recognizer(
            kind, args, device,
            args.orthogonal_map if kind == 'clcr' else None)
        inputs, samples = recognizer_inputs(args.model_batch, args.frame_size,
                                            args.audio_size,
                                            model.cls_head.num_classes, device)
        step = model_step(
            model, inputs, samples, args.dtypes[-1], device, device_loss=True)
        results.append(
            dict(
                step=f'{kind} recognizer (backbones, neck, cross-entropy, '
                'SGD)',
                dtype=args.dtypes[-1],
                **sync_check(step)))
    for row in results:
        print(f"sync: {row['step']}, {row['dtype']}: "
              f"{'no host read' if row['host_sync_free'] else row['error']}")
    return results


def bench_compile(args, device: torch.device) -> Dict:
    """Graph breaks of the CLCR neck, compile time and speed-up (fp32)."""
    tokens, names = args.compile_tokens, ['m0', 'm1']
    neck = neck_variants(args.dims[0], names, tokens,
                         args.orthogonal_map)['clcr'].to(device)
    result = dict(
        backend=args.compile_backend,
        mode=args.compile_mode,
        tokens_per_level=tokens,
        d=args.dims[0],
        batch=args.batch,
        **compiled_neck_report(
            neck, level_features(args.batch, tokens, names, device),
            args.compile_backend, args.compile_mode, args.repeats, device))
    print(f"compile: {result['graphs']} graph(s), "
          f"{result['graph_breaks']} break(s), "
          f"compile {result['compile_s']:.1f} s, "
          f"speed-up {result['speedup']:.2f}x")
    for reason in result['break_reasons']:
        print(f'  break: {reason}')
    return result


def bench_data(args, device: torch.device) -> List[Dict]:
    """Throughput of the config's training loader per worker count."""
    cfg = Config.fromfile(args.data_config)
    if args.data_options:
        cfg.merge_from_dict(args.data_options)
    results = [
        dict(
            config=osp.relpath(args.data_config, ROOT),
            **loader_throughput(cfg.train_dataloader, workers,
                                args.data_batches))
        for workers in args.data_workers
    ]
    print_rows(results, 'data')
    return results


def bench_flops(args, device: torch.device) -> List[Dict]:
    results = []
    for kind in CONFIGS:
        model = build_recognizer(kind, args, device).eval()
        inputs, _ = recognizer_inputs(args.model_batch, args.frame_size,
                                      args.audio_size,
                                      model.cls_head.num_classes, device)
        results += [
            dict(
                model=kind,
                batch=args.model_batch,
                gflops_per_sample=row['gflops'] / args.model_batch,
                **row) for row in recognizer_flops(model, inputs)
        ]
    print_rows(results, 'flops')
    for row in results:
        if 'mmengine_gmacs' in row:
            print(f"mmengine get_model_complexity_info, {row['model']}: "
                  f"{row['mmengine_gmacs'] / args.model_batch:.4f} GMACs "
                  'per sample')
    return results


COLUMNS = dict(
    neck=[('neck', '{}'), ('d', '{}'), ('modalities', '{}'),
          ('tokens_per_level', '{}'), ('dtype', '{}'), ('median_s', '{:.4f}'),
          ('samples_per_s', '{:.1f}'), ('ratio', '{:.2f}'),
          ('peak_bytes', '{:.3e}'), ('memory_ratio', '{:.2f}'),
          ('aten_ops', '{}')],
    model=[('model', '{}'), ('dtype', '{}'), ('batch', '{}'),
           ('median_s', '{:.4f}'), ('samples_per_s', '{:.1f}'),
           ('ratio', '{:.2f}'), ('peak_bytes', '{:.3e}'),
           ('memory_ratio', '{:.2f}'), ('aten_ops', '{}')],
    data=[('config', '{}'), ('workers', '{}'), ('batch', '{}'),
          ('samples_per_s', '{:.1f}')],
    flops=[('model', '{}'), ('part', '{}'), ('gflops_per_sample', '{:.4f}'),
           ('params', '{:,}')])


def print_rows(rows: List[Dict], kind: str) -> None:
    """Rows as a markdown table."""
    cols = COLUMNS[kind]
    print('| ' + ' | '.join(c for c, _ in cols) + ' |')
    print('|' + '---|' * len(cols))
    for row in rows:
        print('| ' + ' | '.join(fmt.format(row[c]) for c, fmt in cols) + ' |')
    sys.stdout.flush()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--sections',
        nargs='+',
        default=['neck', 'model', 'sync', 'compile', 'flops', 'data'],
        choices=['neck', 'model', 'sync', 'compile', 'flops', 'data'])
    parser.add_argument('--out', default='work_dirs/benchmark/benchmark.json')
    parser.add_argument('--batch', type=int)
    parser.add_argument('--tokens', type=int, nargs='+')
    parser.add_argument('--dims', type=int, nargs='+')
    parser.add_argument('--modalities', type=int, nargs='+')
    parser.add_argument('--dtypes', nargs='+', choices=['fp32', 'bf16'])
    parser.add_argument('--repeats', type=int)
    parser.add_argument('--model-batch', type=int)
    parser.add_argument('--frame-size', type=int)
    parser.add_argument('--audio-size', type=int, nargs=2)
    parser.add_argument('--compile-tokens', type=int)
    parser.add_argument(
        '--orthogonal-map',
        default='cayley',
        choices=ORTHOGONAL_MAPS,
        help="CLCR's Stiefel parametrisation in the neck sections (the "
        'default: cayley, sync-free; matrix_exp synchronises on CUDA)')
    parser.add_argument(
        '--data-config',
        default=CONFIGS['clcr'],
        help='data section: the config whose train_dataloader is timed')
    parser.add_argument(
        '--data-options',
        nargs='+',
        action=DictAction,
        metavar='KEY=VALUE',
        help='data section: settings of --data-config to override')
    parser.add_argument('--data-batches', type=int)
    parser.add_argument('--data-workers', type=int, nargs='+')
    parser.add_argument(
        '--compile-model',
        action='store_true',
        help='model section: also time CLCR with its neck compiled '
        '(torch.compile, --compile-backend)')
    parser.add_argument(
        '--compile-backend',
        help='torch.compile backend: inductor (full preset) or aot_eager '
        '(quick preset: graph breaks and the compiled step, no kernel '
        'generation)')
    parser.add_argument(
        '--compile-mode',
        choices=['default', 'reduce-overhead', 'max-autotune'],
        help='torch.compile mode of the compile section and --compile-model '
        '(reduce-overhead: inductor with CUDA graphs, replays the whole '
        'step without per-kernel launches; default: torch\'s default)')
    args = parser.parse_args(argv)
    for key, value in PRESETS['quick' if args.quick else 'full'].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    bad = [m for m in args.modalities if m < 2]
    if bad:
        parser.error(f'--modalities must be >= 2, got {bad}')
    return args


def main(argv=None) -> Dict:
    args = parse_args(argv)
    MMLogger.get_instance('mmengine', log_level='WARNING')  # no init logs
    device = torch.device(args.device)
    report = dict(
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec='seconds'),
        torch=torch.__version__,
        device=(torch.cuda.get_device_name(device) if device.type == 'cuda'
                else platform.processor() or platform.machine()),
        cpu_threads=torch.get_num_threads(),
        load_average=list(os.getloadavg()),
        settings={
            k: v
            for k, v in vars(args).items() if k not in ('out', 'sections')
        })
    sections = dict(
        neck=bench_necks,
        model=bench_models,
        sync=bench_sync,
        compile=bench_compile,
        flops=bench_flops,
        data=bench_data)
    for name in args.sections:
        report[name] = sections[name](args, device)
    if 'data' in report and 'model' in report:
        step = max(r['samples_per_s'] for r in report['model']
                   if r['model'] == 'clcr')
        for row in report['data']:
            row['loader_over_clcr_step'] = row['samples_per_s'] / step
            print(f"data, {row['workers']} workers: the loader gives "
                  f"{row['loader_over_clcr_step']:.2f}x the samples/s of "
                  'the fastest CLCR training step measured')
    report['load_average_end'] = list(os.getloadavg())
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(report, f, indent=1)
    print(f'wrote {args.out}')
    return report


if __name__ == '__main__':
    main()
