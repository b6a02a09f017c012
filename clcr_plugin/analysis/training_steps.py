"""Training steps that ``tools/analysis/benchmark.py`` measures: the necks
compared on synthetic level features, a recognizer's SGD step, and what is
measured of them (interleaved times, peak memory, operators, host syncs)."""
import time
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import torch
from mmaction.structures import ActionDataSample

from ..models.necks import CLCRFusion, ConcatFusion, DenseCrossAttnFusion
from .benchmarking import (count_ops, forbid_host_sync, interleaved_timings,
                           peak_memory, summarise_timings)

LEVEL_CHANNELS = (128, 256, 512)  # ResNet-18 stages 2-4
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
            if device_loss:
                fused, aux, views = model.extract_feat(inputs, samples)
                scores = model.run_head('__call__', fused, num_segs=views)
                loss = torch.nn.functional.cross_entropy(scores, labels) + sum(
                    aux.values())
            else:  # what training runs (the head in fp32, see run_head())
                losses = model.loss(inputs, samples)
                loss = sum(v for k, v in losses.items()
                           if k.startswith('loss'))
        loss.backward()
        optimizer.step()

    return step


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


def recognizer_inputs(batch: int, frame_size: int, audio_size: Sequence[int],
                      num_classes: int, device: torch.device):
    """Random normalised inputs of the audio-visual recognizer as its data
    preprocessor gives them (``rgb`` (N, 3, 3, S, S): three frames, ``audio``
    (N, 1, 1, F, T)) and data samples with labels ``i % num_classes``."""
    g = torch.Generator().manual_seed(0)
    inputs = dict(
        rgb=torch.randn(batch, 3, 3, frame_size, frame_size,
                        generator=g).to(device),
        audio=torch.randn(batch, 1, 1, *audio_size, generator=g).to(device))
    samples = [
        ActionDataSample().set_gt_label(torch.tensor(i % num_classes))
        for i in range(batch)
    ]
    return inputs, samples


def compiled_neck_report(neck: torch.nn.Module, feats: Mapping, backend: str,
                         mode: Optional[str], repeats: int,
                         device: torch.device) -> Dict:
    """``torch._dynamo.explain`` of a neck in training mode (graphs, breaks and
    their reasons), then ``torch.compile(neck, backend, mode)``: the first
    training step's time (compilation of forward and backward) and the
    eager and compiled steps' median times (fp32, interleaved)."""
    neck.train()
    torch._dynamo.reset()
    explained = torch._dynamo.explain(neck)(feats)
    result = dict(
        graphs=explained.graph_count,
        graph_breaks=explained.graph_break_count,
        break_reasons=[str(r.reason) for r in explained.break_reasons])
    torch._dynamo.reset()
    compiled = torch.compile(neck, backend=backend, mode=mode)
    eager_step = neck_step(neck, feats, 'fp32', device)
    compiled_step = neck_step(compiled, feats, 'fp32', device)
    begin = time.perf_counter()
    compiled_step()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    result['compile_s'] = time.perf_counter() - begin
    summary = summarise_timings(
        interleaved_timings(
            dict(eager=eager_step, compiled=compiled_step),
            repeats,
            warmup=1,
            device=device), 'eager')
    result.update(
        eager_s=summary['eager']['median_s'],
        compiled_s=summary['compiled']['median_s'],
        speedup=1.0 / summary['compiled']['ratio'])
    return result
