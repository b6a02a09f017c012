"""The inference API on a tiny trained checkpoint: a video with its own audio
track, a video plus a separate wav, a folder of frames, missing modalities,
sliding windows."""
import json
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from clcr_plugin.apis import (find_input_kind, inference_recognizer,
                              inference_windows, init_recognizer, top_k)
from clcr_plugin.apis.inference import check_modalities
from clcr_plugin.apis.window_inference import window_starts
from clcr_plugin.datasets.audio import decode_audio
from clcr_plugin.datasets.media_writer import write_mp4

pytestmark = pytest.mark.slow  # every test here needs the trained fixture


def write_wav(path, wave: np.ndarray, rate: int = 16000) -> None:
    import av
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('pcm_s16le', rate=rate)
        stream.layout = 'mono'
        frame = av.AudioFrame.from_ndarray(
            (np.clip(wave, -1, 1) * 32767).astype(np.int16)[None],
            format='s16',
            layout='mono')
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def video_frames(path) -> np.ndarray:
    import av
    with av.open(str(path)) as container:
        return np.stack(
            [f.to_ndarray(format='rgb24') for f in container.decode(video=0)])


@pytest.fixture(scope='module')
def trained(tiny_trained, tiny_av_set):
    model = init_recognizer(
        str(tiny_trained['config']), str(tiny_trained['checkpoint']), 'cpu')
    first = json.loads((tiny_av_set / 'test.json').read_text())['data_list'][0]
    return SimpleNamespace(
        model=model, video=tiny_av_set / first['video'], label=first['label'])


def test_init_recognizer_loads_weights_and_class_names(trained, tiny_trained):
    state = torch.load(
        tiny_trained['checkpoint'], map_location='cpu')['state_dict']
    for key, value in trained.model.state_dict().items():
        torch.testing.assert_close(value, state[key], msg=key)
    assert not trained.model.training
    assert len(trained.model.dataset_meta['classes']) == 16


def test_video_with_its_audio_track_matches_the_test_loop(
        trained, tiny_av_set):
    result = inference_recognizer(trained.model, str(trained.video))
    assert result.pred_score.shape == (16, )
    torch.testing.assert_close(result.pred_score.sum(), torch.tensor(1.0))
    assert result.input_kind == 'video file'
    assert result.modalities == ['audio', 'rgb']
    # the same sample through the config's test dataset gives the same scores
    cfg = trained.model.cfg
    ds = dict(cfg.test_dataloader.dataset)
    ds.update(
        ann_file=str(tiny_av_set / 'test.json'),
        data_prefix=dict(video=str(tiny_av_set)))
    dataset = DATASETS.build(ds)
    with torch.no_grad():
        expected = trained.model.test_step(pseudo_collate([dataset[0]]))[0]
    torch.testing.assert_close(result.pred_score, expected.pred_score)
    labels = top_k(result, 3, trained.model.dataset_meta['classes'])
    assert len(labels) == 3 and labels[0][1] == pytest.approx(
        float(result.pred_score.max()))


def test_video_plus_separate_wav_uses_the_wav(trained, tmp_path):
    own = inference_recognizer(trained.model, str(trained.video))
    same = tmp_path / 'same.wav'
    write_wav(same, decode_audio(trained.video, 16000))
    with_same = inference_recognizer(trained.model, str(trained.video),
                                     str(same))
    # the track written out as 16-bit PCM: the same prediction
    torch.testing.assert_close(
        with_same.pred_score, own.pred_score, atol=2e-3, rtol=0)
    t = np.arange(32000) / 16000
    other = tmp_path / 'other.wav'
    write_wav(other, 0.8 * np.sin(2 * np.pi * 3000 * t))
    with_other = inference_recognizer(trained.model, str(trained.video),
                                      str(other))
    assert (with_other.pred_score - own.pred_score).abs().max() > 1e-3


def test_missing_audio_is_an_error_naming_it_unless_the_model_copes(
        trained, tiny_trained, tmp_path):
    silent = tmp_path / 'silent.mp4'
    frames = video_frames(trained.video)
    write_mp4(str(silent), frames, np.zeros(0, np.float32), 8, 16000)
    assert find_input_kind(str(silent)).available(str(silent), None) == {'rgb'}
    with pytest.raises(
            ValueError,
            match=r"needs modality 'audio'.*"
            r"no audio track.*modality_dropout > 0"):
        inference_recognizer(trained.model, str(silent))
    cfg = Config.fromfile(str(tiny_trained['config']))
    cfg.model.modality_dropout = 0.3
    coping = init_recognizer(cfg, str(tiny_trained['checkpoint']), 'cpu')
    result = inference_recognizer(coping, str(silent))
    assert result.modalities == ['rgb']
    torch.testing.assert_close(result.pred_score.sum(), torch.tensor(1.0))


def test_a_flow_model_on_rgb_frames_names_flow():
    model = SimpleNamespace(modality_dropout=0.0)
    with pytest.raises(ValueError, match=r"needs modality 'flow'.*x_\*\.jpg"):
        check_modalities(model, ['rgb', 'flow'], frozenset({'rgb'}), 'clip/')
    model.modality_dropout = 0.5
    assert check_modalities(model, ['rgb', 'flow'], frozenset({'rgb'}),
                            'clip/') == ['flow']
    with pytest.raises(ValueError, match='carries none'):
        check_modalities(model, ['flow'], frozenset({'rgb'}), 'clip/')


def test_frame_folder_with_a_wav(trained, tmp_path):
    folder = tmp_path / 'frames'
    folder.mkdir()
    frames = video_frames(trained.video)
    for i, frame in enumerate(frames, 1):
        cv2.imwrite(str(folder / f'img_{i:05d}.jpg'), frame[..., ::-1])
    wav = tmp_path / 'track.wav'
    write_wav(wav, decode_audio(trained.video, 16000))
    kind = find_input_kind(str(folder))
    assert kind.name == 'frame folder'
    assert kind.available(str(folder), str(wav)) == {'rgb', 'audio'}
    results = kind.results(str(folder), str(wav))
    assert results['total_frames'] == len(frames) == 16
    cfg = trained.model.cfg
    pipeline = [
        dict(
            type='SampleFrames',
            clip_len=3,
            frame_interval=4,
            num_clips=2,
            test_mode=True),
        dict(type='RawFrameDecode'),
        dict(type='Resize', scale=(32, 32), keep_ratio=False),
        dict(type='FormatShape', input_format='NCHW'),
        dict(type='LoadAudioLogMel', **cfg.audio_cfg),
        dict(type='SampleAudioWindows', window_seconds=2.0, fallback_fps=8),
        dict(
            type='PackMultiModalInputs',
            modalities=dict(rgb='imgs', audio='audios')),
    ]
    from_frames = inference_recognizer(
        trained.model, str(folder), str(wav), test_pipeline=pipeline)
    from_video = inference_recognizer(trained.model, str(trained.video))
    assert from_frames.input_kind == 'frame folder'
    # JPEG round trip of the same frames: close to the video's scores
    torch.testing.assert_close(
        from_frames.pred_score, from_video.pred_score, atol=0.05, rtol=0)
    with pytest.raises(ValueError, match="needs modality 'audio'"):
        inference_recognizer(
            trained.model, str(folder), test_pipeline=pipeline)


def test_window_starts_cover_the_video():
    assert window_starts(16, 8, 4) == [0, 4, 8]
    assert window_starts(17, 8, 4) == [0, 4, 8, 9]
    assert window_starts(5, 8, 4) == [0]
    with pytest.raises(ValueError, match='at least one frame'):
        window_starts(16, 0, 4)


def test_sliding_windows(trained):
    windows = inference_windows(
        trained.model,
        str(trained.video),
        window_seconds=1.0,
        stride_seconds=0.5)
    assert [(w.start, w.end) for w in windows] == [(0.0, 1.0), (0.5, 1.5),
                                                   (1.0, 2.0)]
    for w in windows:
        torch.testing.assert_close(w.result.pred_score.sum(),
                                   torch.tensor(1.0))
    # one window over the whole clip is the plain inference
    whole = inference_windows(
        trained.model, str(trained.video), window_seconds=2.0)
    assert len(whole) == 1
    torch.testing.assert_close(
        whole[0].result.pred_score,
        inference_recognizer(trained.model, str(trained.video)).pred_score)


def test_missing_inputs_are_named(trained, tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.mp4 does not exist'):
        inference_recognizer(trained.model, str(tmp_path / 'nope.mp4'))
    with pytest.raises(FileNotFoundError, match='audio file .*no.wav'):
        inference_recognizer(trained.model, str(trained.video),
                             str(tmp_path / 'no.wav'))


def write_rawframes(folder, frames: int, flow: bool) -> None:
    """mmaction2's denseflow layout: img_00001.jpg ..., x_/y_00001.jpg ..."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(1, frames + 1):
        cv2.imwrite(
            str(folder / f'img_{i:05d}.jpg'),
            rng.integers(0, 255, (32, 40, 3), dtype=np.uint8))
        if flow and i < frames:
            for c in 'xy':
                cv2.imwrite(
                    str(folder / f'{c}_{i:05d}.jpg'),
                    rng.integers(0, 255, (32, 40), dtype=np.uint8))


UCF101 = 'configs/clcr/clcr_r18-r18_1xb64-3x1x1-100e_ucf101-split1-rgb-flow.py'


@pytest.fixture(scope='module')
def rgb_flow_config():
    from pathlib import Path
    cfg = Config.fromfile(str(Path(__file__).resolve().parents[2] / UCF101))
    # tiny inputs keep the untrained model's forward cheap
    cfg.model.dry_run_inputs = dict(rgb=(3, 32, 32), flow=(10, 32, 32))
    for step in cfg.test_pipeline:
        for inner in step.get('transforms', []):
            if inner['type'] == 'Resize':
                inner['scale'] = (32, 32)
    return cfg


def test_rgb_flow_frame_folder(rgb_flow_config, tmp_path):
    folder = tmp_path / 'v_clip'
    write_rawframes(folder, 12, flow=True)
    kind = find_input_kind(str(folder))
    assert kind.available(str(folder), None) == {'rgb', 'flow'}
    results = kind.results(str(folder), None)
    assert (results['total_frames'], results['total_flow_frames']) == (12, 11)
    assert results['flow_filename_tmpl'].format('x', 3) == 'x_00003.jpg'
    model = init_recognizer(rgb_flow_config, device='cpu')
    result = inference_recognizer(model, str(folder))
    assert result.pred_score.shape == (101, )
    assert result.modalities == ['flow', 'rgb']
    assert result.input_kind == 'frame folder'


def test_rgb_only_folder_for_an_rgb_flow_model(rgb_flow_config, tmp_path):
    folder = tmp_path / 'v_rgb_only'
    write_rawframes(folder, 12, flow=False)
    model = init_recognizer(rgb_flow_config, device='cpu')
    with pytest.raises(
            ValueError, match=r"needs modality 'flow'.*no optical-flow"):
        inference_recognizer(model, str(folder))
    rgb_flow_config.model.modality_dropout = 0.3
    coping = init_recognizer(rgb_flow_config, device='cpu')
    result = inference_recognizer(coping, str(folder))
    assert result.modalities == ['rgb']
    torch.testing.assert_close(result.pred_score.sum(), torch.tensor(1.0))


def test_pipeline_without_flow_strikes_its_steps_and_keys(rgb_flow_config):
    from clcr_plugin.apis.inference import pipeline_without
    steps = pipeline_without(rgb_flow_config.test_pipeline, ['flow'])
    types = [s['type'] for s in steps]
    assert 'DecodeFlowStacks' not in types
    formats = next(s for s in steps if s['type'] == 'FormatFrameStacks')
    assert tuple(formats['keys']) == ('imgs', )
    synced = next(s for s in steps if s['type'] == 'SyncedFrameTransforms')
    assert tuple(synced.get('flow_keys', ('flows', ))) == ()
    assert steps[-1]['modalities'] == {'rgb': 'imgs'}
    with pytest.raises(ValueError, match=r"without \['rgb'\]"):
        pipeline_without(rgb_flow_config.test_pipeline, ['rgb'])


MOSI = 'configs/clcr/clcr_tcn-tcn-tcn_1xb64-100e_mosi-text-audio-vision.py'


def test_sentiment_sample(tmp_path):
    from pathlib import Path

    from clcr_plugin.apis import sentiment_sample
    cfg = Config.fromfile(str(Path(__file__).resolve().parents[2] / MOSI))
    model = init_recognizer(cfg, device='cpu')
    rng = np.random.default_rng(0)
    features = dict(
        text=rng.normal(size=(12, 768)).astype(np.float32),
        audio=rng.normal(size=(20, 5)).astype(np.float32),
        vision=rng.normal(size=(20, 20)).astype(np.float32))
    sample = sentiment_sample(features, 'clip-1')
    assert sample['seq_lengths'] == dict(text=12, audio=20, vision=20)
    result = inference_recognizer(model, sample)
    assert result.pred_regression.shape == (1, )
    assert torch.isfinite(result.pred_regression).all()
    assert result.modalities == ['audio', 'text', 'vision']
    ids = np.stack([np.arange(8), np.r_[np.ones(5), np.zeros(3)],
                    np.zeros(8)]).astype(np.int64)
    assert sentiment_sample(dict(text=ids))['seq_lengths'] == dict(text=5)
    without_vision = sentiment_sample(
        dict(text=features['text'], audio=features['audio']))
    with pytest.raises(
            ValueError, match=r"needs modality 'vision'.*"
            "'vision': absent"):
        inference_recognizer(model, without_vision)
    with pytest.raises(ValueError, match="feature 'audio' must be"):
        sentiment_sample(dict(audio=np.zeros(5)))
