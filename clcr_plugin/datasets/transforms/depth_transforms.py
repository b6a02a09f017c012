"""Depth maps as a modality: the worked example of docs/add_modality.md."""
import os.path as osp
from typing import Dict, Tuple

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


@TRANSFORMS.register_module()
class LoadDepthFrames(BaseTransform):
    """Load the depth maps of the frames a frame sampler chose.

    Reads ``results['depth']`` (a ``.npy`` of shape (T_depth, H, W), e.g.
    millimetres as uint16; relative paths are joined to ``prefix``), takes
    the maps of ``results['frame_inds']`` (rescaled from the video's
    ``total_frames`` to ``T_depth`` when the two differ, less
    ``start_index``), clips them to ``[0, max_depth]``, scales to [0, 1] and
    resizes them to ``scale``.

    Output ``depths``: (len(frame_inds), 1, H', W') float32, in the frames'
    order, ready for ``PackMultiModalInputs(modalities=dict(depth='depths'))``
    and a 2D backbone with ``in_channels=1``.

    Args:
        prefix (str): folder of relative depth paths. Default ''.
        max_depth (float): depth mapped to 1.0. Default 10000 (10 m in mm).
        scale (tuple): output (width, height). Default (112, 112).

    Raises:
        KeyError: ``results`` lacks ``depth`` or ``frame_inds``.
        ValueError: naming the file, when it is not (T, H, W).
    """

    def __init__(self,
                 prefix: str = '',
                 max_depth: float = 10000.0,
                 scale: Tuple[int, int] = (112, 112)) -> None:
        if max_depth <= 0:
            raise ValueError(f'max_depth must be positive, got {max_depth}')
        self.prefix = prefix
        self.max_depth = float(max_depth)
        self.scale = tuple(int(s) for s in scale)

    def transform(self, results: Dict) -> Dict:
        for key in ('depth', 'frame_inds'):
            if key not in results:
                raise KeyError(f'LoadDepthFrames needs results[{key!r}]; '
                               f'available keys: {sorted(results)}')
        path = osp.join(self.prefix, results['depth'])
        maps = np.load(path, mmap_mode='r')
        if maps.ndim != 3:
            raise ValueError(f'{path}: expected depth maps (T, H, W), got '
                             f'shape {maps.shape}')
        inds = np.asarray(results['frame_inds']).reshape(-1) - int(
            results.get('start_index', 0))
        total = int(results.get('total_frames', len(maps)))
        if total != len(maps):  # another frame rate than the video
            inds = inds * len(maps) // max(total, 1)
        inds = np.clip(inds, 0, len(maps) - 1)
        frames = [
            cv2.resize(
                np.clip(np.asarray(maps[i], np.float32), 0, self.max_depth) /
                self.max_depth,
                self.scale,
                interpolation=cv2.INTER_NEAREST) for i in inds
        ]
        results['depths'] = np.stack(frames)[:, None].astype(np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prefix={self.prefix!r}, '
                f'max_depth={self.max_depth}, scale={self.scale})')
