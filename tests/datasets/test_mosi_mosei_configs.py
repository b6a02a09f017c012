"""The MOSI / MOSEI configs train and evaluate through mmengine's Runner on
fake pickles with the released keys and shapes, tiny BERT; and test without
text.

Configs stepped here:
clcr_bert-tcn-tcn_1xb64-100e_mosi-text-audio-vision.py,
clcr_bert-tcn-tcn_1xb64-100e_mosei-text-audio-vision.py,
clcr_tcn-tcn-tcn_1xb64-100e_mosi-text-audio-vision.py,
clcr_tcn-tcn-tcn_1xb64-100e_mosei-text-audio-vision.py,
concat_bert-tcn-tcn_1xb64-100e_mosi-text-audio-vision.py,
concat_bert-tcn-tcn_1xb64-100e_mosei-text-audio-vision.py,
concat_tcn-tcn-tcn_1xb64-100e_mosi-text-audio-vision.py,
concat_tcn-tcn-tcn_1xb64-100e_mosei-text-audio-vision.py.
"""
import math
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import clcr_plugin  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = {
    'clcr_bert-tcn-tcn_1xb64-100e_mosi-text-audio-vision.py': 'clcr',
    'clcr_bert-tcn-tcn_1xb64-100e_mosei-text-audio-vision.py': 'clcr',
    'clcr_tcn-tcn-tcn_1xb64-100e_mosi-text-audio-vision.py': 'clcr',
    'clcr_tcn-tcn-tcn_1xb64-100e_mosei-text-audio-vision.py': 'clcr',
    'concat_bert-tcn-tcn_1xb64-100e_mosi-text-audio-vision.py': 'baselines',
    'concat_bert-tcn-tcn_1xb64-100e_mosei-text-audio-vision.py': 'baselines',
}
TINY_BERT = dict(
    vocab_size=2048,
    hidden_size=16,
    num_hidden_layers=3,
    num_attention_heads=2,
    intermediate_size=24,
    max_position_embeddings=64)
SCORES = {
    'mae', 'corr', 'acc2_has0', 'f1_has0', 'acc2_non0', 'f1_non0', 'acc5',
    'acc7'
}


def tiny_config(name: str, pickle: Path, work_dir: Path) -> Config:
    """The config on the fake pickle: batch 2, one epoch, tiny BERT."""
    cfg = Config.fromfile(str(ROOT / 'configs' / CONFIGS[name] / name))
    assert cfg.model.cls_head.type == 'RegressionHead'
    assert cfg.optim_wrapper.optimizer.lr == 1e-3
    assert cfg.train_dataloader.batch_size == 64
    assert cfg.train_cfg.max_epochs == 100
    cfg.work_dir = str(work_dir)
    text = cfg.model.backbones.text
    if text.type == 'BertLevels':
        text.update(pretrained=None, config=TINY_BERT, levels=(1, 2, 3))
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        loader.dataset.update(data_root=str(pickle.parent))
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0)
    return cfg


def assert_scores(metrics: dict) -> None:
    assert SCORES <= set(metrics)
    for key in SCORES - {'corr'}:
        assert math.isfinite(metrics[key]), (key, metrics)
    assert 0 <= metrics['acc7'] <= metrics['acc5'] <= 1


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_config_trains_evaluates_and_tests_without_text(
        name, sentiment_pickles, tmp_path):
    dataset = 'mosei' if '_mosei-' in name else 'mosi'
    pickle = sentiment_pickles[dataset, False]
    runner = Runner.from_cfg(tiny_config(name, pickle, tmp_path / 'train'))
    runner.train()
    assert (tmp_path / 'train' / 'epoch_1.pth').is_file()
    assert_scores(runner.test())

    # text absent at test time: the neck fuses audio and vision
    cfg = tiny_config(name, pickle, tmp_path / 'no-text')
    cfg.load_from = str(tmp_path / 'train' / 'epoch_1.pth')
    cfg.test_dataloader.dataset.modalities = ('audio', 'vision')
    assert_scores(Runner.from_cfg(cfg).test())
