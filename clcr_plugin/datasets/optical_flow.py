"""Dense optical flow with OpenCV and its 0-255 image encoding (denseflow's).

``denseflow`` (the extractor mmaction2 documents) stores each flow field as
two grey jpgs, ``x_00001.jpg`` and ``y_00001.jpg``: every component is
clipped to ``[-bound, bound]`` (bound 20 pixels) and mapped linearly to
``round(255 * (f + bound) / (2 * bound))``, so 127.5 is no motion. Flow
``t`` is the motion from frame ``t`` to frame ``t + 1``. Needs numpy and
OpenCV, not OpenMMLab.
"""
import os
import os.path as osp
from typing import Callable, Optional, Tuple

import numpy as np

FLOW_METHODS = ('auto', 'tvl1', 'farneback')
FLOW_DONE = '.flow_complete'  # marker in a folder whose flow is complete
FlowFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def encode_flow(flow: np.ndarray,
                bound: float = 20.0) -> Tuple[np.ndarray, np.ndarray]:
    """Clip a flow field to ``[-bound, bound]`` and map it to two uint8 images.

    Args:
        flow: (H, W, 2) float, x then y displacement in pixels.
        bound: clipping bound in pixels. Default 20 (denseflow's).

    Returns:
        ``(x, y)``, each (H, W) uint8.
    """
    if flow.ndim != 3 or flow.shape[-1] != 2:
        raise ValueError(
            f'encode_flow expects a (H, W, 2) flow, got {flow.shape}')
    scaled = (np.clip(flow, -bound, bound) + bound) * (255.0 / (2 * bound))
    img = np.rint(scaled).astype(np.uint8)
    return img[..., 0], img[..., 1]


def decode_flow(img: np.ndarray, bound: float = 20.0) -> np.ndarray:
    """Invert :func:`encode_flow` up to rounding: uint8 -> pixels (float32)."""
    return img.astype(np.float32) * (2 * bound / 255.0) - bound


def has_tvl1() -> bool:
    """Whether this OpenCV has TV-L1 (``cv2.optflow``, opencv-contrib)."""
    import cv2
    return hasattr(getattr(cv2, 'optflow', None), 'DualTVL1OpticalFlow_create')


def flow_estimator(method: str = 'auto') -> Tuple[str, FlowFn]:
    """An OpenCV dense flow function ``(prev, next) -> (H, W, 2) float32``.

    ``prev`` and ``next`` are (H, W) uint8 grey frames.

    Args:
        method: ``'tvl1'`` (opencv-contrib's ``DualTVL1OpticalFlow``, the
            TSN / denseflow algorithm), ``'farneback'``
            (``cv2.calcOpticalFlowFarneback`` with the OpenCV tutorial's
            settings, much faster, smoother) or ``'auto'`` (TV-L1 where
            present). Default ``'auto'``.

    Returns:
        ``(name of the method used, function)``.

    Raises:
        ValueError: an unknown method, or ``'tvl1'`` without opencv-contrib.
    """
    import cv2
    if method not in FLOW_METHODS:
        raise ValueError(
            f'flow method {method!r} is not one of {list(FLOW_METHODS)}')
    if method == 'auto':
        method = 'tvl1' if has_tvl1() else 'farneback'
    if method == 'tvl1':
        if not has_tvl1():
            raise ValueError(
                'flow method \'tvl1\' needs opencv-contrib (cv2.optflow); '
                'install opencv-contrib-python or use \'farneback\'')
        tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()

        def tvl1_flow(prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
            return tvl1.calc(prev, nxt, None)

        return 'tvl1', tvl1_flow

    def farneback_flow(prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        return cv2.calcOpticalFlowFarneback(
            prev,
            nxt,
            None,
            pyr_scale=0.5,
            levels=3,
            winsize=15,
            iterations=3,
            poly_n=5,
            poly_sigma=1.2,
            flags=0)

    return 'farneback', farneback_flow


def flow_done(frame_dir: str) -> Optional[int]:
    """The flow count of a folder whose flow is complete, else None."""
    marker = osp.join(frame_dir, FLOW_DONE)
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        return int(f.read().split()[0])


def extract_flow_folder(frame_dir: str,
                        method: str = 'auto',
                        bound: float = 20.0,
                        rgb_template: str = 'img_{:05d}.jpg',
                        flow_template: str = '{}_{:05d}.jpg') -> int:
    """Write the flows between consecutive RGB frames of a frame folder.

    For frames ``img_00001.jpg .. img_<N>.jpg`` (counted from 1 until the
    first missing one) writes ``x_/y_00001.jpg .. x_/y_<N-1>.jpg``, flow
    ``t`` from frame ``t`` to ``t + 1`` encoded by :func:`encode_flow`,
    then the marker ``.flow_complete`` (``"<count> <method>"``). A folder
    with the marker is not redone (its count is returned); an unfinished
    one has its flow files removed first.

    Args:
        frame_dir: the video's frame folder.
        method: see :func:`flow_estimator`. Default ``'auto'``.
        bound: clipping bound in pixels. Default 20.
        rgb_template: RGB file name of frame ``t``.
            Default ``'img_{:05d}.jpg'``.
        flow_template: flow file name, formatted with ``'x'`` / ``'y'`` and
            ``t``. Default ``'{}_{:05d}.jpg'``.

    Returns:
        The number of flows, ``N - 1``.

    Raises:
        ValueError: fewer than 2 frames, or a frame that does not decode
            (the message names the file).
    """
    import cv2

    from .conversion import atomic_path
    done = flow_done(frame_dir)
    if done is not None:
        return done
    prefixes = tuple(flow_template.format(d, 0)[:2] for d in 'xy')
    for name in os.listdir(frame_dir):
        if name.startswith(prefixes):
            os.remove(osp.join(frame_dir, name))
    num_frames = 0
    while osp.isfile(osp.join(frame_dir, rgb_template.format(num_frames + 1))):
        num_frames += 1
    if num_frames < 2:
        raise ValueError(
            f'{frame_dir} holds {num_frames} frame(s) named {rgb_template}; '
            'flow needs at least 2')
    name, estimate = flow_estimator(method)

    def grey(t: int) -> np.ndarray:
        path = osp.join(frame_dir, rgb_template.format(t))
        img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise ValueError(f'{path} does not decode as an image')
        return img

    prev = grey(1)
    for t in range(1, num_frames):
        nxt = grey(t + 1)
        for d, img in zip('xy', encode_flow(estimate(prev, nxt), bound)):
            cv2.imwrite(osp.join(frame_dir, flow_template.format(d, t)), img)
        prev = nxt
    with atomic_path(osp.join(frame_dir, FLOW_DONE)) as tmp:
        with open(tmp, 'w') as f:
            f.write(f'{num_frames - 1} {name}')
    return num_frames - 1
