"""Audio-visual demo: classify a video with its sound, optionally write the
video back with the prediction drawn on it and its audio kept.

    python tools/demo/demo_av.py CONFIG CHECKPOINT VIDEO [--audio WAV]
        [--label-map FILE] [--out OUT.mp4] [--topk 5] [--device cpu]
        [--window SECONDS] [--stride SECONDS] [--long-video SECONDS]

* Prints the top-k labels with scores of the whole video (the config's test
  pipeline: its views are averaged).
* Sliding windows (like mmaction2's long-video demo) with a progress bar:
  with ``--window``, or automatically (2 s windows) for videos longer than
  ``--long-video`` seconds; prints the top label of every window, and
  ``--out`` draws each window's label while it plays.
* A localisation model whose head predicts one label per one-second segment
  (``SegmentClsHead`` of the AVE localisation configs sets
  ``pred_segment_scores`` (S, classes), see
  :func:`clcr_plugin.apis.segment_scores`) gets its per-second events
  printed and drawn instead of windows.
* ``--out OUT.mp4``: the video (MPEG-4) with the labels drawn (OpenCV) and
  the audio track (the video's own, or ``--audio``) re-encoded to AAC, muxed
  with PyAV.

Class names come from ``--label-map`` (one per line), else the checkpoint's
``dataset_meta['classes']``, else class indices are shown.
"""
import argparse
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import av

from clcr_plugin.apis import (inference_recognizer, inference_windows,
                              init_recognizer, segment_scores, top_k)
from clcr_plugin.visualization import draw_text

Label = Tuple[float, float, str]  # (start s, end s, text)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Audio-visual demo of a multi-modal recognizer')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('video', help='video file (its audio track is used)')
    parser.add_argument(
        '--audio', help='separate audio file replacing the video\'s track')
    parser.add_argument('--label-map', help='class names, one per line')
    parser.add_argument(
        '--out', help='write the video with the prediction drawn here (.mp4)')
    parser.add_argument('--topk', type=int, default=5, help='labels to print')
    parser.add_argument(
        '--device', default=None, help='cpu or cuda:0 (default: cuda if any)')
    parser.add_argument(
        '--window',
        type=float,
        default=None,
        help='sliding-window length in seconds (per-window predictions)')
    parser.add_argument(
        '--stride',
        type=float,
        default=None,
        help='step between windows in seconds (default: the window length)')
    parser.add_argument(
        '--long-video',
        type=float,
        default=10.0,
        help='videos longer than this many seconds get 2 s windows when '
        '--window is not given')
    return parser.parse_args(argv)


def read_label_map(path: str) -> List[str]:
    with open(path) as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise ValueError(f'--label-map {path} holds no class name')
    return names


def video_duration(path: str) -> float:
    """Length of the first video stream in seconds."""
    with av.open(path) as container:
        if not container.streams.video:
            raise ValueError(f'{path} has no video stream')
        stream = container.streams.video[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        return float(container.duration or 0) / av.time_base


def label_at(labels: Sequence[Label], t: float) -> Optional[str]:
    """The text of the latest label span that holds time ``t``."""
    current = None
    for start, end, text in labels:
        if start <= t < end or (start <= t and end == labels[-1][1]):
            current = text
    return current


def per_second_labels(segments,
                      classes: Optional[Sequence[str]]) -> List[Label]:
    """``(second, second + 1, label)`` of each row of ``(S, classes)``
    per-second scores (a localisation head's ``pred_segment_scores``)."""
    best = [int(i) for i in segments.argmax(-1).tolist()]
    return [(float(s), float(s + 1), str(classes[i]) if classes else str(i))
            for s, i in enumerate(best)]


def write_annotated(video: str, audio: Optional[str], out: str,
                    header: Sequence[str], timed: Sequence[Label]) -> None:
    """Write ``video`` to ``out`` with ``header`` lines on every frame, the
    timed label under them, and the audio of ``audio`` (else the video's own
    track, if any) re-encoded to AAC (same rate and layout)."""
    from tqdm import tqdm
    with av.open(video) as source, av.open(audio or video) as sound, \
            av.open(out, 'w', format='mp4') as sink:
        src_video = source.streams.video[0]
        v_out = sink.add_stream('mpeg4', rate=src_video.average_rate or 25)
        v_out.width = src_video.codec_context.width // 2 * 2
        v_out.height = src_video.codec_context.height // 2 * 2
        v_out.pix_fmt = 'yuv420p'
        v_out.bit_rate = 2_000_000
        # every stream is added before the first packet is muxed
        src_audio = sound.streams.audio[0] if sound.streams.audio else None
        if src_audio is not None:
            layout = src_audio.layout.name if (src_audio.layout.nb_channels
                                               <= 2) else 'stereo'
            a_out = sink.add_stream('aac', rate=src_audio.rate)
            a_out.layout = layout
        for frame in tqdm(
                source.decode(src_video),
                total=src_video.frames or None,
                desc='writing',
                unit='frame'):
            lines = list(header)
            current = label_at(timed, float(frame.time or 0.0))
            if current is not None:
                lines.append(current)
            image = frame.to_ndarray(
                format='rgb24')[:v_out.height, :v_out.width]
            drawn = av.VideoFrame.from_ndarray(
                draw_text(image, lines), format='rgb24')
            for packet in v_out.encode(drawn):
                sink.mux(packet)
        for packet in v_out.encode():
            sink.mux(packet)
        if src_audio is not None:
            resampler = av.AudioResampler(
                format='fltp',
                layout=layout,
                rate=src_audio.rate,
                frame_size=1024)
            samples = 0
            for frame in list(sound.decode(src_audio)) + [None]:
                for chunk in resampler.resample(frame):
                    chunk.pts = samples
                    samples += chunk.samples
                    for packet in a_out.encode(chunk):
                        sink.mux(packet)
            for packet in a_out.encode():
                sink.mux(packet)


def main(argv=None) -> dict:
    args = parse_args(argv)
    for path, what in ((args.video, 'video'), (args.checkpoint, 'checkpoint'),
                       (args.audio, 'audio file')):
        if path is not None and not osp.isfile(path):
            raise FileNotFoundError(f'{what} {path} does not exist')
    model = init_recognizer(args.config, args.checkpoint, args.device)
    classes = read_label_map(args.label_map) if args.label_map else ((
        model.dataset_meta or {}).get('classes'))

    result = inference_recognizer(model, args.video, args.audio)
    best, header = [], []
    if 'pred_score' in result:  # a clip classifier
        best = top_k(result, args.topk, classes)
        print(f'{args.video}: top-{len(best)} of the whole video')
        for name, score in best:
            print(f'  {name}: {score:.4f}')
        header = [f'{best[0][0]} {best[0][1]:.2f}']

    timed: List[Label] = []
    segments = segment_scores(result)
    if segments is not None:  # per-second events of a localisation model
        print('per-second events:')
        timed = per_second_labels(segments, classes)
        for start, end, name in timed:
            print(f'  {start:4.0f}-{end:<4.0f} s  {name}')

    window = args.window
    if segments is not None:
        window = None  # a localisation model labels every second already
    elif window is None and video_duration(args.video) > args.long_video:
        window = 2.0
    windows = []
    if window is not None:
        windows = inference_windows(
            model,
            args.video,
            args.audio,
            window_seconds=window,
            stride_seconds=args.stride,
            progress=True)
        print(f'per-window predictions ({window:g} s windows):')
        for w in windows:
            name, score = top_k(w.result, 1, classes)[0]
            print(f'  {w.start:7.2f}-{w.end:<7.2f} s  {name} {score:.4f}')
            if segments is None:
                timed.append((w.start, w.end, f'{name} {score:.2f}'))

    if args.out is not None:
        write_annotated(args.video, args.audio, args.out, header, timed)
        print(f'wrote {args.out}')
    return dict(result=result, top_k=best, windows=windows, timed=timed)


if __name__ == '__main__':
    main()
