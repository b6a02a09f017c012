"""tools/demo/demo_av.py on a tiny trained checkpoint: printed top-k, a
playable mp4 with the prediction drawn and an audio stream, per-window
predictions."""
import json
from pathlib import Path

import numpy as np
import pytest
from tool_scripts import load_script

from clcr_plugin.apis import inference_recognizer, init_recognizer, top_k

ROOT = Path(__file__).resolve().parents[2]


def load_demo():
    return load_script('tools/demo/demo_av.py')


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


AVE_LOC = 'configs/clcr/clcr_r18-r18_1xb64-10x1x1-100e_ave-loc-rgb-audio.py'


def test_demo_draws_per_second_events_of_a_localisation_model(
        tmp_path, capsys):
    """The AVE localisation config (random weights, 32x32 inputs) on a 10 s
    video: ten per-second events printed and drawn, no clip top-k."""
    import torch
    from mmengine.config import Config

    from clcr_plugin.apis import init_recognizer
    from clcr_plugin.datasets.media_writer import write_mp4
    demo = load_demo()
    config = tmp_path / 'ave_loc_tiny.py'
    pipeline = Config.fromfile(str(ROOT / AVE_LOC)).test_pipeline
    for step in pipeline:
        if step['type'] == 'Resize':
            step['scale'] = (32, 32)
    config.write_text(f"_base_ = ['{ROOT / AVE_LOC}']\n"
                      'model = dict(dry_run_inputs=dict(rgb=(3, 32, 32), '
                      'audio=(1, 128, 100)))\n'
                      f'test_pipeline = {pipeline!r}\n')
    model = init_recognizer(str(config), device='cpu')
    checkpoint = tmp_path / 'random.pth'
    classes = [f'event {i}' for i in range(28)] + ['background']
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=classes))), checkpoint)
    video = tmp_path / 'ten_seconds.mp4'
    rng = np.random.default_rng(0)
    t = np.arange(16000 * 10) / 16000
    write_mp4(
        str(video), rng.integers(0, 255, (80, 32, 32, 3), dtype=np.uint8),
        (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 8, 16000)
    out = tmp_path / 'events.mp4'
    ran = demo.main([
        str(config),
        str(checkpoint),
        str(video), '--out',
        str(out), '--device', 'cpu'
    ])
    printed = capsys.readouterr().out
    assert ran['windows'] == [] and ran['top_k'] == []
    assert [(a, b) for a, b, _ in ran['timed']] == [(float(s), float(s + 1))
                                                    for s in range(10)]
    assert all(name in classes for _, _, name in ran['timed'])
    assert 'per-second events:' in printed and 'top-' not in printed
    frames, audio, rate = decode(out)
    assert len(frames) == 80 and rate == 16000 and len(audio) > 150000
