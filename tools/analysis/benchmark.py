"""What CLCR costs: neck and full-model training steps, torch.compile, FLOPs.

    python tools/analysis/benchmark.py [--quick] [--device cpu|cuda]
        [--sections neck model sync compile flops data] [--out FILE.json]
        [--batch N] [--tokens T ...] [--dims D ...] [--modalities M ...]
        [--dtypes fp32 bf16] [--repeats R] [--model-batch N]
        [--frame-size S] [--audio-size F T] [--compile-tokens T]
        [--compile-backend inductor|aot_eager|eager]
        [--compile-mode default|reduce-overhead|max-autotune]
        [--data-config CONFIG] [--data-options KEY=VALUE ...]
        [--data-batches N] [--data-workers W ...]

Sections (each a table on stdout and a key of the JSON file):

* ``neck``: one training step (forward, backward) of ``CLCRFusion``,
  ``DenseCrossAttnFusion`` and ``ConcatFusion`` on sequence features of
  ``T`` tokens per level (three levels of 128/256/512 channels per
  modality; the dense and concat necks read the deepest level), for every
  embedding width ``d``, number of modalities and dtype (fp32, bf16
  autocast). ``clcr`` is the default budget (``max_rate=1``), ``clcr_r0.5``
  bounds the rate at 0.5 (at most half the tokens open, the rest skipped),
  ``clcr_ref`` runs the default CLCR with the reference exchange (one
  attention over all tokens with a ``(S x S)`` bias, i.e. before the
  optimisation). Time, samples/s, peak memory, ratio to ``dense``.
* ``model``: one SGD training step of the two-ResNet-18 audio-visual
  recognizer (3 RGB frames and a 1-channel log-mel image per sample) with
  the CLCR neck vs the concat neck (the repository's configs; ``clcr`` with
  ``--orthogonal-map``, ``clcr_<other map>`` with the other one, and with
  ``--compile-model`` ``clcr_compiled_neck``); ratio to ``concat``.
* ``sync``: whether a training step reads a tensor value on the host
  (:func:`~clcr_plugin.analysis.forbid_host_sync`; on CUDA also
  ``torch.cuda.set_sync_debug_mode('error')``), after two warm-up steps:
  the CLCR neck's step with its diagnostics read as tensors, and the
  recognizer's step (backbones, neck, cross-entropy on the device, SGD)
  for CLCR and concat. mmengine's loop adds its own reads outside these
  steps (the logged losses, mmaction2's accuracy in the head, the loss
  guard of :class:`MultiModalRecognizer`), once per iteration for every neck.
* ``compile``: ``torch._dynamo.explain`` of the CLCR neck (graphs, graph
  breaks and their reasons), then ``torch.compile`` (inductor): time of the
  first training step (compilation) and eager/compiled step times.
* ``data``: the training data loader of ``--data-config`` (default: the
  synthetic CLCR config; ``--data-options`` overrides its settings, e.g.
  the annotation file) with each ``--data-workers`` count: samples/s over
  ``--data-batches`` batches after the first (worker start-up) one, and,
  when the ``model`` section ran in the same call, the ratio of the
  loader's samples/s to the CLCR training step's (``>= 1``: the pipeline
  keeps up with that step; meaningful when the config's pipeline produces
  the model section's input sizes, as a real data set's config does).
* ``flops``: forward FLOPs (``torch.utils.flop_counter.FlopCounterMode``,
  2 per multiply-add) and parameters of the whole recognizer, its backbones,
  neck and head, for CLCR and concat; for the whole model also mmengine's
  ``get_model_complexity_info`` on the same dict inputs (``mmengine_gmacs``,
  1 per multiply-add), as a cross-check.

Timing: variants of one setting run interleaved (one step each per
repetition, order rotated) after a warm-up; ratios are medians of
per-repetition ratios, so load from other processes falls on all variants
alike. ``aten_ops``: ATen operators one step dispatches (on CPU forward and
backward), at least one kernel launch each on a GPU. CUDA: events around
each step after a synchronisation, peak memory from the caching allocator.
CPU: ``perf_counter``; peak memory is the peak of live tensor bytes
created in the step (a ``TorchDispatchMode`` tracker), not the process's
RSS. ``--quick`` is a small preset (under 3 minutes on 2 idle CPU
cores): batch 8, d 256, 2 modalities, 16 and 64 tokens, a 2-sample model
step at 64x64 frames, and ``torch.compile`` with the ``aot_eager`` backend
(inductor's C++ compilation alone takes minutes on a CPU).
"""
import argparse
import copy
import datetime
import json
import os
import os.path as osp
import platform
import sys
import time
from typing import Callable, Dict, List, Mapping

import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

import clcr_plugin  # noqa: F401  (registers the plug-in's modules)
from clcr_plugin.analysis import (count_flops, count_ops, forbid_host_sync,
                                  interleaved_timings, parameter_count,
                                  peak_memory, summarise_timings)
from clcr_plugin.models.clcr.subspaces import ORTHOGONAL_MAPS
from clcr_plugin.models.necks import (CLCRFusion, ConcatFusion,
                                      DenseCrossAttnFusion)

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIGS = dict(
    clcr=osp.join(ROOT, 'configs', 'clcr',
                  'clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py'),
    concat=osp.join(ROOT, 'configs', 'baselines',
                    'concat_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py'))
LEVEL_CHANNELS = (128, 256, 512)  # ResNet-18 stages 2-4
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
# A reference exchange bigger than this (its (N, S, S) fp32 bias) is skipped.
REFERENCE_BIAS_LIMIT = 2 * 2**30


def neck_variants(d: int,
                  modalities: List[str],
                  tokens: int,
                  orthogonal_map: str = 'cayley'
                  ) -> Dict[str, torch.nn.Module]:
    """The necks compared on ``tokens`` tokens per level, width ``d``; CLCR's
    bases use ``orthogonal_map``."""
    clcr_args = dict(
        orthogonal_map=orthogonal_map,
        modalities={
            m: dict(in_channels=list(LEVEL_CHANNELS), grids=[(tokens, )] * 3)
            for m in modalities
        },
        embed_dim=d,
        shared_dim=d // 2,
        private_dim=d // 4,
        num_heads=4,
        hidden_dim=d // 2,
        private_fusion='concat',
        level_fusion='concat')
    deepest = {m: LEVEL_CHANNELS[-1] for m in modalities}
    necks = dict(
        concat=ConcatFusion(deepest),
        dense=DenseCrossAttnFusion(
            deepest, {m: (tokens, )
                      for m in modalities}, embed_dim=d),
        clcr=CLCRFusion(**clcr_args),
        **{
            'clcr_r0.5':
            CLCRFusion(**clcr_args, budget=dict(init_rate=0.4, max_rate=0.5))
        })
    S = tokens * len(modalities)
    if S * S * 4 * 64 <= REFERENCE_BIAS_LIMIT:
        necks['clcr_ref'] = CLCRFusion(**clcr_args)
        necks['clcr_ref'].load_state_dict(necks['clcr'].state_dict())
        necks['clcr_ref'].clcr.reference_exchange = True
    return necks


def neck_step(neck: torch.nn.Module, feats: Mapping, dtype: str,
              device: torch.device) -> Callable[[], None]:
    """A training step (forward, loss, backward) of a neck; ``feats`` require
    gradients, as backbone features do."""
    neck.train()
    leaves = [f for levels in feats.values() for f in levels]

    def step() -> None:
        neck.zero_grad(set_to_none=True)
        for f in leaves:
            f.grad = None
        with torch.autocast(
                device.type, dtype=torch.bfloat16, enabled=dtype == 'bf16'):
            fused, aux = neck(feats)
            loss = fused.float().pow(2).mean() + sum(aux.values())
        loss.backward()

    return step


def measure(steps: Dict[str, Callable[[], None]], baseline: str, batch: int,
            repeats: int, device: torch.device) -> Dict[str, Dict]:
    """Interleaved times, throughput, peak memory and ratios of ``steps``."""
    times = interleaved_timings(steps, repeats, warmup=1, device=device)
    rows = summarise_timings(times, baseline)
    for name, row in rows.items():
        row['samples_per_s'] = batch / row['median_s']
        peak = peak_memory(steps[name], device)
        row['peak_bytes'], row['memory_method'] = peak['bytes'], peak['method']
        # a dispatch mode would run a compiled step eagerly: not counted
        row['aten_ops'] = None if 'compiled' in name else count_ops(
            steps[name])
    base_bytes = max(rows[baseline]['peak_bytes'], 1)
    for row in rows.values():
        row['memory_ratio'] = row['peak_bytes'] / base_bytes
    return rows


def level_features(batch: int, tokens: int, names: List[str],
                   device: torch.device) -> Dict[str, List[torch.Tensor]]:
    """``{m: [(N, T, C_l) per level]}`` random features requiring grad."""
    return {
        m: [
            torch.randn(batch, tokens, c, device=device, requires_grad=True)
            for c in LEVEL_CHANNELS
        ]
        for m in names
    }


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
                     orthogonal_map: str = None):
    """The synthetic config's recognizer for ``kind`` (``clcr`` or
    ``concat``) at the benchmark's input sizes; ``orthogonal_map`` overrides
    CLCR's."""
    cfg = Config.fromfile(CONFIGS[kind])
    if orthogonal_map is not None:
        cfg.model.neck.orthogonal_map = orthogonal_map
    cfg.model.dry_run_inputs = dict(
        rgb=(3, args.frame_size, args.frame_size), audio=(1, *args.audio_size))
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model.to(device)


def model_inputs(args, device: torch.device, num_classes: int):
    """Normalised inputs as the data preprocessor gives them, and labels."""
    N, S = args.model_batch, args.frame_size
    g = torch.Generator().manual_seed(0)
    inputs = dict(
        rgb=torch.randn(N, 3, 3, S, S, generator=g).to(device),
        audio=torch.randn(N, 1, 1, *args.audio_size, generator=g).to(device))
    samples = [
        ActionDataSample().set_gt_label(torch.tensor(i % num_classes))
        for i in range(N)
    ]
    return inputs, samples


def model_step(model,
               inputs,
               samples,
               dtype: str,
               device: torch.device,
               device_loss: bool = False) -> Callable[[], None]:
    """One SGD training step of ``model``: mmaction2's head loss (its
    accuracy is read on the host), or with ``device_loss`` a cross-entropy
    computed on the device (the step the sync check needs)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    model.train()
    labels = torch.stack([s.gt_label for s in samples]).view(-1).to(device)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(
                device.type, dtype=torch.bfloat16, enabled=dtype == 'bf16'):
            fused, aux, views = model.extract_feat(inputs, samples)
            if device_loss:
                scores = model.cls_head(fused, num_segs=views)
        if device_loss:
            loss = torch.nn.functional.cross_entropy(
                scores.float(), labels) + sum(aux.values())
        else:
            # MultiModalRecognizer.loss with the head outside autocast:
            # mmaction's head turns bf16 scores into numpy for its accuracy,
            # which fails.
            losses = dict(
                model.cls_head.loss(fused.float(), samples, num_segs=views),
                **aux)
            loss = sum(v for k, v in losses.items() if k.startswith('loss'))
        loss.backward()
        optimizer.step()

    return step


def bench_models(args, device: torch.device) -> List[Dict]:
    other_map = [m for m in ORTHOGONAL_MAPS if m != args.orthogonal_map][0]
    models = dict(
        clcr=build_recognizer('clcr', args, device, args.orthogonal_map),
        concat=build_recognizer('concat', args, device))
    models[f'clcr_{other_map}'] = build_recognizer('clcr', args, device,
                                                   other_map)
    if args.compile_model:
        compiled = build_recognizer('clcr', args, device, args.orthogonal_map)
        compiled.neck = torch.compile(
            compiled.neck,
            backend=args.compile_backend,
            mode=args.compile_mode)
        models['clcr_compiled_neck'] = compiled
    inputs, samples = model_inputs(args, device,
                                   models['clcr'].cls_head.num_classes)
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


def sync_check(step: Callable[[], None],
               warmup: int = 2,
               steps: int = 3) -> Dict:
    """``dict(host_sync_free=..., error=...)`` for ``steps`` calls of
    ``step`` under :func:`forbid_host_sync`, after ``warmup`` free calls
    (lazy initialisation, e.g. cuDNN's, may synchronise once)."""
    for _ in range(warmup):
        step()
    try:
        with forbid_host_sync():
            for _ in range(steps):
                step()
    except RuntimeError as error:  # HostSyncError, or CUDA's sync check
        return dict(host_sync_free=False, error=str(error).splitlines()[0])
    return dict(host_sync_free=True, error=None)


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
        inputs, samples = model_inputs(args, device,
                                       model.cls_head.num_classes)
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
    feats = level_features(args.batch, tokens, names, device)
    neck = neck_variants(args.dims[0], names, tokens,
                         args.orthogonal_map)['clcr'].to(device)
    neck.train()
    torch._dynamo.reset()
    explained = torch._dynamo.explain(neck)(feats)
    result = dict(
        backend=args.compile_backend,
        mode=args.compile_mode,
        tokens_per_level=tokens,
        d=args.dims[0],
        batch=args.batch,
        graphs=explained.graph_count,
        graph_breaks=explained.graph_break_count,
        break_reasons=[str(r.reason) for r in explained.break_reasons])
    torch._dynamo.reset()
    compiled = torch.compile(
        neck, backend=args.compile_backend, mode=args.compile_mode)
    eager_step = neck_step(neck, feats, 'fp32', device)
    compiled_step = neck_step(compiled, feats, 'fp32', device)
    begin = time.perf_counter()
    compiled_step()  # compiles forward and backward
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    result['compile_s'] = time.perf_counter() - begin
    times = interleaved_timings(
        dict(eager=eager_step, compiled=compiled_step),
        args.repeats,
        warmup=1,
        device=device)
    summary = summarise_timings(times, 'eager')
    result.update(
        eager_s=summary['eager']['median_s'],
        compiled_s=summary['compiled']['median_s'],
        speedup=1.0 / summary['compiled']['ratio'])
    print(f"compile: {result['graphs']} graph(s), "
          f"{result['graph_breaks']} break(s), "
          f"compile {result['compile_s']:.1f} s, "
          f"speed-up {result['speedup']:.2f}x")
    for reason in result['break_reasons']:
        print(f'  break: {reason}')
    return result


def bench_data(args, device: torch.device) -> List[Dict]:
    """Throughput of the config's training loader per worker count."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(args.data_config)
    if args.data_options:
        cfg.merge_from_dict(args.data_options)
    results = []
    for workers in args.data_workers:
        loader_cfg = copy.deepcopy(cfg.train_dataloader)
        loader_cfg.update(
            num_workers=workers, persistent_workers=False, pin_memory=False)
        with DefaultScope.overwrite_default_scope('mmaction'):
            loader = Runner.build_dataloader(loader_cfg, seed=0)
        batches = iter(loader)
        next(batches)  # worker start-up, first decode
        samples, begin = 0, time.perf_counter()
        for _ in range(args.data_batches):
            try:
                batch = next(batches)
            except StopIteration:  # a short epoch: start the next one
                batches = iter(loader)
                batch = next(batches)
            samples += len(batch['data_samples'])
        seconds = time.perf_counter() - begin
        results.append(
            dict(
                config=osp.relpath(args.data_config, ROOT),
                workers=workers,
                batch=loader_cfg.batch_size,
                batches=args.data_batches,
                seconds=seconds,
                samples_per_s=samples / seconds))
        del batches, loader
    print_rows(results, 'data')
    return results


def mmengine_gflops(model, inputs: Dict[str, torch.Tensor]) -> float:
    """mmengine's (fvcore-style, jit-traced) count of the whole model on the
    same dict inputs, in G multiply-adds (one per MAC, half of
    FlopCounterMode's convention); its warnings about operators it does not
    count are silenced."""
    logger = MMLogger.get_instance('mmengine')
    level = logger.level
    logger.setLevel('ERROR')
    try:
        with torch.no_grad():
            info = get_model_complexity_info(
                model, inputs=(inputs, ), show_table=False, show_arch=False)
    finally:
        logger.setLevel(level)
    return info['flops'] / 1e9


def bench_flops(args, device: torch.device) -> List[Dict]:
    results = []
    for kind in CONFIGS:
        model = build_recognizer(kind, args, device).eval()
        inputs, _ = model_inputs(args, device, model.cls_head.num_classes)
        with torch.no_grad():
            flops = count_flops(lambda: model(inputs, mode='tensor'))
        cross_check = mmengine_gflops(model, inputs)
        prefix = type(model).__name__
        parts = dict(
            model=model,
            **{
                f'backbone_{m}': t
                for m, t in model.backbones.items()
            },
            neck=model.neck,
            cls_head=model.cls_head)
        paths = dict(
            model=prefix,
            **{
                f'backbone_{m}': f'{prefix}.backbones.{m}'
                for m in model.backbones
            },
            neck=f'{prefix}.neck',
            cls_head=f'{prefix}.cls_head')
        for part, module in parts.items():
            results.append(
                dict(
                    model=kind,
                    part=part,
                    batch=args.model_batch,
                    gflops=flops.get(paths[part], 0) / 1e9,
                    gflops_per_sample=flops.get(paths[part], 0) / 1e9 /
                    args.model_batch,
                    params=parameter_count(module)))
        results[-len(parts)]['mmengine_gmacs'] = cross_check
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
