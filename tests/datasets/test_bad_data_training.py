"""A clip without an audio track trains and tests through mmengine's Runner
under ``no_audio='mark_missing'``: the neck gets False for that sample."""
import math
from pathlib import Path

import pytest
import torch
from bad_media import write_ann
from mmengine.config import Config
from mmengine.runner import Runner

import clcr_plugin  # noqa: F401  (registers the plug-in)

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = {
    'CLCRFusion':
    ROOT / 'configs/clcr/clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py',
    'ConcatFusion':
    ROOT /
    'configs/baselines/concat_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py',
}


def tiny_config(config: Path, ann: str, media: Path, work_dir: Path) -> Config:
    """One epoch of 2 batches of 2 clips, no workers, every split on
    ``ann``."""
    cfg = Config.fromfile(str(config))
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        loader.dataset.update(
            ann_file=ann,
            data_prefix=dict(video=str(media)),
            bad_data=dict(no_audio='mark_missing'))
    cfg.train_dataloader.sampler.shuffle = False
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.default_hooks.checkpoint.update(interval=1, save_best=None)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize('neck', list(CONFIGS))
def test_a_clip_without_audio_trains_and_tests_marked_missing(
        bad_media, tmp_path, neck):
    clips = ['good0', 'good1', 'good2', 'no_audio']
    ann = write_ann(
        tmp_path / 'ann.json', [
            dict(video=f'{c}.mp4', label=i, video_id=c)
            for i, c in enumerate(clips)
        ],
        num_classes=16)
    runner = Runner.from_cfg(
        tiny_config(CONFIGS[neck], ann, bad_media, tmp_path / 'work'))
    assert type(runner.model.neck).__name__ == neck
    calls = []

    def spy(module, args, kwargs):
        ids = [s.video_id for s in args[1]]
        calls.append((module.training, ids, kwargs['available']))

    runner.model.neck.register_forward_pre_hook(spy, with_kwargs=True)
    runner.train()
    metrics = runner.test()

    assert all(math.isfinite(v) for v in metrics.values())
    for p in runner.model.parameters():
        assert torch.isfinite(p).all()
    seen = {True: 0, False: 0}
    for training, ids, available in calls:
        if 'no_audio' not in ids:
            assert available is None  # every sample has every modality
            continue
        views = available['audio'].numel() // len(ids)
        audio = available['audio'].view(len(ids), views)
        assert audio.tolist() == [[c != 'no_audio'] * views for c in ids]
        assert available['rgb'].all()
        seen[training] += 1
    assert seen[True] == 1 and seen[False] == 2  # train; val and test

    log = next((tmp_path / 'work').glob('*/*.log')).read_text()
    for when in ('train epoch 1', 'val after epoch 1', 'test'):
        assert (f'bad data, {when}:\n  1 clip kept with the modality marked '
                'missing (no_audio): data_list[3] ') in log
