"""tools/analysis/probe_levels.py on the tiny synthetic set with a fresh
model."""
import json
from pathlib import Path

import pytest
import torch
from tool_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
CONFIG = (
    ROOT / 'configs' / 'clcr' /
    'clcr_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py')
CONCAT = (
    ROOT / 'configs' / 'baselines' /
    'concat_r18-r18_1xb16-10e_synthetic-av-rgb-audio.py')


def load_tool():
    return load_script('tools/analysis/probe_levels.py')


@pytest.mark.parametrize(
    'config', [CONFIG, pytest.param(CONCAT, marks=pytest.mark.slow)],
    ids=['clcr', 'concat'])
def test_every_representation_and_target_gets_an_accuracy(
        config, tiny_av_set, tmp_path, capsys):
    out = tmp_path / 'probes.json'
    returned = load_tool().main([
        str(config), '--random-init', '--data',
        str(tiny_av_set), '--out',
        str(out), '--split', 'test', '--batch-size', '8'
    ])
    results = json.loads(out.read_text())
    assert results == json.loads(json.dumps(returned))
    assert results['num_fit'] == 32 and results['num_eval'] == 16 and results[
        'checkpoint'] is None
    assert set(
        results['targets']) == {'label', 'colour', 'pitch', 'rhythm', 'order'}
    levels = [
        f'backbone_{m}_l{k}' for m in ('rgb', 'audio') for k in (1, 2, 3)
    ]
    assert set(levels + ['head_input']) <= set(results['probes'])
    dims = dict(
        backbone_rgb_l1=128,
        backbone_rgb_l2=256,
        backbone_rgb_l3=512,
        head_input=1024 if config == CONCAT else 3 * 128 + 2 * 3 * 64)
    for rep, row in results['probes'].items():
        assert set(row['targets']) == set(results['targets']), rep
        for t, r in row['targets'].items():
            assert 0.0 <= r['accuracy'] <= 1.0 and 0.0 <= r[
                'val_accuracy'] <= 1.0 and r['lambda'] > 0, (rep, t)
        if rep in dims:
            assert row['dim'] == dims[rep]
    assert results['chance'] == dict(
        label=1 / 16, colour=0.5, pitch=0.5, rhythm=0.5, order=0.5)
    printed = capsys.readouterr().out
    assert 'backbone_audio_l3' in printed and '(majority class)' in printed


def test_clcr_summaries_become_one_representation_per_level_and_modality():
    tool = load_tool()
    # (N * V, M, L, d) with N = 2 clips, V = 2 views, M = 2 modalities, L = 3
    # levels, d = 4
    shared = torch.arange(
        2 * 2 * 2 * 3 * 4, dtype=torch.float32).reshape(4, 2, 3, 4)
    reps = tool.summary_representations(
        dict(shared=shared, private=shared[..., :2]), ('rgb', 'audio'), 2)
    expected = {
        f'{k}_l{level}_{m}'
        for k in ('shared', 'private')
        for level in (1, 2, 3)
        for m in ('rgb', 'audio')
    }
    assert set(reps) == expected | {'shared_all', 'private_all'}
    views = shared.reshape(2, 2, 2, 3,
                           4).mean(1)  # mean over the views of each clip
    torch.testing.assert_close(reps['shared_l2_audio'], views[:, 1, 1])
    torch.testing.assert_close(reps['private_l3_rgb'], views[:, 0, 2, :2])
    assert reps['shared_all'].shape == (2, 24)


def test_targets_come_from_the_annotation_by_index_and_must_match_the_labels(
        tiny_av_set):
    tool = load_tool()
    entries = json.loads((tiny_av_set / 'test.json').read_text())['data_list']
    labels = torch.tensor([e['label'] for e in entries])
    targets = tool.targets_of(str(tiny_av_set / 'test.json'), labels)
    assert targets['rhythm'] == [e['factors']['rhythm'] for e in entries
                                 ] and targets['label'] == labels.tolist()
    with pytest.raises(
            ValueError,
            match=r'data_list\[0\] has label 0, the dataset gave 5'):
        tool.targets_of(
            str(tiny_av_set / 'test.json'),
            torch.cat([torch.tensor([5]), labels[1:]]))
    with pytest.raises(
            ValueError, match='lists 16 clips but the dataset gave 3'):
        tool.targets_of(str(tiny_av_set / 'test.json'), labels[:3])


def test_checkpoint_or_random_init_is_required(tmp_path):
    tool = load_tool()
    with pytest.raises(SystemExit):
        tool.parse_args([str(CONFIG)])
    with pytest.raises(SystemExit):
        tool.parse_args([str(CONFIG), 'x.pth', '--random-init'])
    with pytest.raises(
            FileNotFoundError, match='checkpoint .*nope.pth does not exist'):
        tool.main([str(CONFIG), str(tmp_path / 'nope.pth')])
