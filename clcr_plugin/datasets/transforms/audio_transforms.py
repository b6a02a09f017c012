"""Audio transforms: whole-clip log-mel, then one window per sampled video clip."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from mmaction.registry import TRANSFORMS

from ..audio import AudioFeatureConfig, decode_audio, log_mel_spectrogram


def _require(results: Dict, key: str, transform: str) -> object:
    if key not in results:
        raise KeyError(f'{transform} needs results[{key!r}]; available keys: {sorted(results)}')
    return results[key]


@TRANSFORMS.register_module()
class LoadAudioLogMel(BaseTransform):
    """Load the whole clip's log-mel spectrogram.

    From ``results['audio_path']`` (falling back to ``results['filename']``):
    a ``.npy`` written by ``tools/data/extract_audio_features.py`` is loaded,
    any other file (wav, mp4, flv, avi ...) is decoded with PyAV on the fly.
    Adds ``audio_feature`` (n_mels, n_frames) float32 and ``audio_frame_rate``.

    Args:
        sample_rate, n_fft, hop_length, win_length, n_mels, fmin, fmax,
        log_offset: see :class:`AudioFeatureConfig` (must match the
            extractor's when loading ``.npy`` files).
    """

    def __init__(self, **feature_cfg) -> None:
        self.cfg = AudioFeatureConfig(**feature_cfg)

    def transform(self, results: Dict) -> Dict:
        path = results.get('audio_path') or _require(results, 'filename', 'LoadAudioLogMel')
        if str(path).endswith('.npy'):
            feature = np.load(path).astype(np.float32, copy=False)
            if feature.ndim != 2 or feature.shape[0] != self.cfg.n_mels:
                raise ValueError(f'{path}: expected a ({self.cfg.n_mels}, n_frames) log-mel, got {feature.shape}; '
                                 'was it extracted with the same n_mels?')
        else:
            feature = log_mel_spectrogram(decode_audio(path, self.cfg.sample_rate), self.cfg)
        results['audio_feature'] = feature
        results['audio_frame_rate'] = self.cfg.frame_rate
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.cfg})'


@TRANSFORMS.register_module()
class SampleAudioWindows(BaseTransform):
    """Crop the audio window of every video clip that ``SampleFrames`` chose.

    For clip ``i`` the frames ``frame_inds[i * clip_len:(i + 1) * clip_len]``
    span ``[first / fps, (last + 1) / fps)`` seconds; the window is centred on
    that span and ``window_seconds`` long (or the span itself when None), cut
    from ``audio_feature`` and zero/edge padded to a fixed length. Without
    ``frame_inds`` (audio-only pipelines) ``num_clips`` windows are spaced
    evenly. Output ``audios``: (num_clips, 1, n_mels, window_frames) float32,
    in the clips' order, so multi-clip test views stay aligned with video.

    Args:
        window_seconds: window length in seconds. Default 1.0.
        num_clips: windows for audio-only pipelines. Default 1.
        fallback_fps: video fps when ``avg_fps`` is absent. Default 30.
        pad_mode: ``'constant'`` (log floor) or ``'edge'``. Default ``'constant'``.
    """

    def __init__(self, window_seconds: float = 1.0, num_clips: int = 1, fallback_fps: float = 30.0,
                 pad_mode: str = 'constant') -> None:
        if window_seconds <= 0:
            raise ValueError(f'window_seconds must be positive, got {window_seconds}')
        if pad_mode not in ('constant', 'edge'):
            raise ValueError(f"pad_mode must be 'constant' or 'edge', got {pad_mode!r}")
        self.window_seconds = window_seconds
        self.num_clips = num_clips
        self.fallback_fps = fallback_fps
        self.pad_mode = pad_mode

    def clip_centres(self, results: Dict, duration: float) -> np.ndarray:
        """Centre time (s) of every sampled clip."""
        if 'frame_inds' not in results:
            return (np.arange(self.num_clips) + 0.5) * duration / self.num_clips
        inds = np.asarray(results['frame_inds']).reshape(-1)
        num_clips = int(_require(results, 'num_clips', 'SampleAudioWindows'))
        fps = float(results.get('avg_fps') or self.fallback_fps)
        spans = inds.reshape(num_clips, -1)
        start_index = int(results.get('start_index', 0))
        return ((spans.min(1) - start_index) + (spans.max(1) - start_index + 1)) / 2.0 / fps

    def transform(self, results: Dict) -> Dict:
        feature = _require(results, 'audio_feature', 'SampleAudioWindows')
        rate = float(_require(results, 'audio_frame_rate', 'SampleAudioWindows'))
        n_mels, n_frames = feature.shape
        length = max(1, int(round(self.window_seconds * rate)))
        centres = self.clip_centres(results, n_frames / rate)
        starts = np.round(centres * rate - length / 2).astype(int)  # (num_clips,)
        pad_kwargs = dict(constant_values=float(feature.min())) if self.pad_mode == 'constant' else {}
        padded = np.pad(feature, ((0, 0), (length, length)), mode=self.pad_mode, **pad_kwargs)
        starts = np.clip(starts, -length, n_frames) + length
        windows = np.stack([padded[:, s:s + length] for s in starts])  # (num_clips, n_mels, length)
        results['audios'] = windows[:, None].astype(np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(window_seconds={self.window_seconds}, num_clips={self.num_clips}, '
                f'pad_mode={self.pad_mode!r})')


@TRANSFORMS.register_module()
class AudioFrequencyTimeMask(BaseTransform):
    """SpecAugment-style masking of ``audios`` (training only).

    Args:
        max_freq: widest frequency mask in bands. Default 8.
        max_time: widest time mask in frames. Default 10.
        num_masks: masks of each kind. Default 1.
    """

    def __init__(self, max_freq: int = 8, max_time: int = 10, num_masks: int = 1) -> None:
        self.max_freq, self.max_time, self.num_masks = max_freq, max_time, num_masks

    def transform(self, results: Dict) -> Dict:
        audios = np.array(_require(results, 'audios', 'AudioFrequencyTimeMask'), copy=True)
        floor = audios.min()
        _, _, n_mels, n_frames = audios.shape
        for _ in range(self.num_masks):
            f = np.random.randint(0, self.max_freq + 1)
            f0 = np.random.randint(0, max(1, n_mels - f))
            audios[:, :, f0:f0 + f] = floor
            t = np.random.randint(0, self.max_time + 1)
            t0 = np.random.randint(0, max(1, n_frames - t))
            audios[:, :, :, t0:t0 + t] = floor
        results['audios'] = audios
        return results
