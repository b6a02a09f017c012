"""The docs follow the code: the config reference is generated from it, the
add-a-modality example config builds and runs, every relative link of docs/
and README.md points to a file."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from tool_scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / 'docs' / 'examples' / (
    'clcr_r18-r18_1xb16-10e_rgbd-rgb-depth.py')


def load_tool(path: str):
    return load_script(Path('tools') / path)


def test_config_reference_is_up_to_date():
    assert load_tool('misc/config_reference.py').main(
        ['--check']) == 0, ('run python tools/misc/config_reference.py')


def test_config_reference_refuses_a_docstring_default_that_drifted():
    import inspect
    tool = load_tool('misc/config_reference.py')

    def f(rate: float = 0.5):
        pass

    param = inspect.signature(f).parameters['rate']
    tool.check_stated_default('f', 'rate', 'the rate. Default 0.5.', param)
    tool.check_stated_default('f', 'rate', 'the rate. Default: prose.', param)
    with pytest.raises(
            ValueError, match="'rate' says Default 0.7, the "
            'signature has 0.5'):
        tool.check_stated_default('f', 'rate', 'the rate. Default 0.7.', param)


def test_every_relative_link_points_to_a_file():
    broken = []
    for doc in [ROOT / 'README.md', *(ROOT / 'docs').glob('*.md')]:
        for target in re.findall(r'\]\(([^)#]+)(?:#[^)]*)?\)',
                                 doc.read_text()):
            if '://' in target:
                continue
            if not (doc.parent / target).exists():
                broken.append(f'{doc.relative_to(ROOT)} -> {target}')
    assert not broken, broken


def test_add_modality_example_builds_and_runs_on_rgb_and_depth(
        media_files, tmp_path):
    depth = tmp_path / 'depth.npy'
    # 8 depth maps for the 16 video frames (another frame rate), in mm
    np.save(
        depth,
        np.tile(np.linspace(500, 4000, 8)[:, None, None],
                (1, 24, 40)).astype(np.uint16))
    ann = tmp_path / 'ann.json'
    entry = dict(video=str(media_files['mp4']), depth=str(depth))
    ann.write_text(
        json.dumps(
            dict(
                metainfo=dict(classes=[f'c{i}' for i in range(16)]),
                data_list=[dict(entry, label=1),
                           dict(entry, label=2)])))
    cfg = Config.fromfile(str(EXAMPLE))
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(cfg.model)
        dataset = DATASETS.build(
            dict(
                cfg.test_dataloader.dataset,
                ann_file=str(ann),
                data_prefix=dict(video='')))
    assert model.modalities == ('depth', 'rgb')  # sorted names
    assert model.neck.clcr.modality_names == ('depth', 'rgb')
    sample = dataset[0]
    assert sample['inputs']['depth'].shape == (6, 1, 32, 32)
    # frame i of 16 reads depth map i // 2 of 8: values follow the frames
    assert sample['inputs']['depth'].max() <= 1.0
    model.train()
    data = model.data_preprocessor(
        pseudo_collate([dataset[0], dataset[1]]), training=True)
    losses = model(**data, mode='loss')
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.backbones['depth'].parameters())
    model.eval()
    with torch.no_grad():
        preds = model.test_step(pseudo_collate([dataset[0]]))
    assert preds[0].pred_score.shape == (16, )


def test_load_depth_frames_follows_the_sampled_frames(tmp_path):
    from clcr_plugin.datasets.transforms import LoadDepthFrames
    values = np.linspace(500, 4000, 8)
    np.save(tmp_path / 'd.npy',
            np.tile(values[:, None, None], (1, 6, 10)).astype(np.uint16))
    out = LoadDepthFrames(
        prefix=str(tmp_path), scale=(5, 3))(
            dict(
                depth='d.npy',
                frame_inds=np.array([0, 5, 15]),
                total_frames=16))
    assert out['depths'].shape == (3, 1, 3, 5)
    np.testing.assert_allclose(
        out['depths'][:, 0, 0, 0],
        np.floor(values[[0, 2, 7]]) / 10000,
        rtol=1e-6)
    with pytest.raises(KeyError, match="needs results\\['frame_inds'\\]"):
        LoadDepthFrames()(dict(depth='d.npy'))
    np.save(tmp_path / 'flat.npy', np.zeros((4, 4)))
    with pytest.raises(ValueError, match='flat.npy: expected depth maps'):
        LoadDepthFrames(prefix=str(tmp_path))(
            dict(depth='flat.npy', frame_inds=np.array([0])))
