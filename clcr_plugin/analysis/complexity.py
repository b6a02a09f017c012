"""What a training run costs besides its step time: a recognizer's FLOPs and
parameters, whole and by part, and its data loader's throughput."""
import copy
import time
from typing import Dict, List, Mapping

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

from .benchmarking import count_flops, parameter_count


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


def recognizer_flops(model, inputs: Dict[str, torch.Tensor]) -> List[Dict]:
    """Forward GFLOPs (``FlopCounterMode``, 2 per multiply-add) and parameters
    of a :class:`MultiModalRecognizer` in eval mode on ``inputs`` (``{m:
    tensor}``, the data preprocessor's output): one row per part (``model``,
    ``backbone_<m>``, ``neck``, ``cls_head``); the ``model`` row also holds
    mmengine's count of the same forward (``mmengine_gmacs``)."""
    with torch.no_grad():
        flops = count_flops(lambda: model(inputs, mode='tensor'))
    prefix = type(model).__name__
    parts = dict(
        model=(model, prefix),
        **{
            f'backbone_{m}': (b, f'{prefix}.backbones.{m}')
            for m, b in model.backbones.items()
        },
        neck=(model.neck, f'{prefix}.neck'),
        cls_head=(model.cls_head, f'{prefix}.cls_head'))
    rows = [
        dict(
            part=part,
            gflops=flops.get(path, 0) / 1e9,
            params=parameter_count(module))
        for part, (module, path) in parts.items()
    ]
    rows[0]['mmengine_gmacs'] = mmengine_gflops(model, inputs)
    return rows


def loader_throughput(loader_cfg: Mapping, workers: int, batches: int) -> Dict:
    """Samples/s of a training loader built from ``loader_cfg`` (an mmengine
    ``train_dataloader`` dict) with ``workers`` processes, over ``batches``
    batches after the first (worker start-up, first decode); a short epoch
    restarts."""
    from mmengine.runner import Runner
    loader_cfg = copy.deepcopy(dict(loader_cfg))
    loader_cfg.update(
        num_workers=workers, persistent_workers=False, pin_memory=False)
    with DefaultScope.overwrite_default_scope('mmaction'):
        loader = Runner.build_dataloader(loader_cfg, seed=0)
    stream = iter(loader)
    next(stream)
    samples, begin = 0, time.perf_counter()
    for _ in range(batches):
        try:
            batch = next(stream)
        except StopIteration:
            stream = iter(loader)
            batch = next(stream)
        samples += len(batch['data_samples'])
    seconds = time.perf_counter() - begin
    return dict(
        workers=workers,
        batch=loader_cfg['batch_size'],
        batches=batches,
        seconds=seconds,
        samples_per_s=samples / seconds)
