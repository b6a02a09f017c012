"""tools/demo/demo_av.py on a tiny trained checkpoint: printed top-k, a
playable mp4 with the prediction drawn and an audio stream, per-window
predictions."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from clcr_plugin.apis import inference_recognizer, init_recognizer, top_k

ROOT = Path(__file__).resolve().parents[2]


def load_demo():
    spec = importlib.util.spec_from_file_location(
        'tool_demo_av', ROOT / 'tools' / 'demo' / 'demo_av.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def decode(path):
    """(frames (T, H, W, 3), audio samples per channel, audio rate)."""
    import av
    with av.open(str(path)) as container:
        assert container.streams.video and container.streams.audio
        frames = np.stack(
            [f.to_ndarray(format='rgb24') for f in container.decode(video=0)])
    with av.open(str(path)) as container:
        audio = np.concatenate(
            [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
        rate = container.streams.audio[0].rate
    return frames, audio, rate


@pytest.mark.slow
def test_demo_prints_top_k_and_writes_an_mp4_with_audio(
        tiny_trained, tiny_av_set, tmp_path, capsys):
    demo = load_demo()
    video = tiny_av_set / json.loads(
        (tiny_av_set / 'test.json').read_text())['data_list'][0]['video']
    label_map = tmp_path / 'labels.txt'
    label_map.write_text('\n'.join(f'class {i}' for i in range(16)))
    out = tmp_path / 'out.mp4'
    ran = demo.main([
        str(tiny_trained['config']),
        str(tiny_trained['checkpoint']),
        str(video), '--label-map',
        str(label_map), '--out',
        str(out), '--topk', '3', '--window', '1', '--stride', '0.5',
        '--device', 'cpu'
    ])
    printed = capsys.readouterr().out
    # the printed top-3 is the inference API's
    model = init_recognizer(
        str(tiny_trained['config']), str(tiny_trained['checkpoint']), 'cpu')
    expected = top_k(
        inference_recognizer(model, str(video)), 3,
        [f'class {i}' for i in range(16)])
    assert ran['top_k'] == pytest.approx(expected)
    for name, score in expected:
        assert f'  {name}: {score:.4f}' in printed
    # three 1 s windows every 0.5 s, each printed
    assert [(w.start, w.end)
            for w in ran['windows']] == [(0.0, 1.0), (0.5, 1.5), (1.0, 2.0)]
    assert printed.count(' s  class ') == 3
    # a playable mp4: every frame, the text band drawn, the audio kept
    frames, audio, rate = decode(out)
    source, source_audio, source_rate = decode(video)
    assert frames.shape == source.shape == (16, 32, 32, 3)
    assert rate == source_rate == 16000
    assert abs(len(audio) - len(source_audio)) <= 2048
    assert np.abs(audio).max() > 0.05
    band = np.abs(frames[:, :8].astype(int) - source[:, :8]).mean()
    rest = np.abs(frames[:, 24:].astype(int) - source[:, 24:]).mean()
    assert band > 4 * rest and band > 20


def test_label_at_picks_the_latest_span():
    demo = load_demo()
    labels = [(0.0, 1.0, 'a'), (0.5, 1.5, 'b'), (1.0, 2.0, 'c')]
    assert demo.label_at(labels, 0.2) == 'a'
    assert demo.label_at(labels, 0.7) == 'b'
    assert demo.label_at(labels, 1.99) == 'c'
    assert demo.label_at(labels, 2.5) == 'c'  # past the end: the last one
    assert demo.label_at([], 1.0) is None


def test_per_second_labels_of_a_localisation_head():
    import torch
    demo = load_demo()
    scores = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert demo.per_second_labels(scores, ['bark', 'silence']) == [
        (0.0, 1.0, 'silence'), (1.0, 2.0, 'bark'), (2.0, 3.0, 'silence')
    ]
    assert demo.per_second_labels(scores, None)[1] == (1.0, 2.0, '0')
    # drawn while the video plays: the label of the current second
    labels = demo.per_second_labels(scores, ['bark', 'silence'])
    assert demo.label_at(labels, 1.4) == 'bark'


def test_missing_files_are_named(tmp_path):
    demo = load_demo()
    with pytest.raises(FileNotFoundError, match='video .*nope.mp4'):
        demo.main(['cfg.py', 'ckpt.pth', str(tmp_path / 'nope.mp4')])
