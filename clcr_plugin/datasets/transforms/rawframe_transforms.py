"""Optical-flow stacks beside RGB frames: decoding, joint geometry, layout.

A rawframe pipeline for RGB + flow::

    SampleFrames            frame_inds, one set for both modalities
    RawFrameDecode          imgs:  K x (H, W, 3)      (mmaction2's)
    DecodeFlowStacks        flows: K x (H, W, 2L)
    SyncedFrameTransforms   mmaction2's Resize / crops / Flip on both at once
    FormatFrameStacks       imgs (K, 3, H, W), flows (K, 2L, H, W)
    PackMultiModalInputs    inputs = dict(rgb=..., flow=...)
"""
import copy
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from mmengine.dataset import Compose
from mmengine.fileio import get
from mmengine.registry import DefaultScope


def invert_flow_component(stack: np.ndarray, component: int) -> np.ndarray:
    """Negate one flow component of a 0-255 flow stack.

    ``denseflow`` maps a flow value ``f`` in ``[-b, b]`` linearly to
    ``255 * (f + b) / (2 b)``, so ``255 - v`` is the image of ``-f``.

    Args:
        stack: (H, W, 2L) uint8, channels ``x1, y1, x2, y2, ...``.
        component: 0 for x, 1 for y.

    Returns:
        (H, W, 2L) uint8, a copy with channels ``component::2`` inverted.
    """
    out = stack.copy()
    out[..., component::2] = 255 - out[..., component::2]
    return out


@TRANSFORMS.register_module()
class DecodeFlowStacks(BaseTransform):
    """Load, at each sampled frame, the stack of ``L`` flows starting there.

    Frame index ``i`` (as ``SampleFrames`` gives it, ``start_index``
    included) loads flows ``i, i+1, ..., i+L-1``, each read as its ``x`` and
    ``y`` grey image; indices past the last flow repeat the last one, so the
    flow positions are exactly the RGB positions (TSN's stacking, on
    mmaction2's ``SampleFrames``).

    Required keys: ``frame_dir``, ``frame_inds``, ``total_flow_frames``,
    ``flow_filename_tmpl``, ``start_index`` (``offset`` optional).
    Added key: ``out_key``, a list of ``K`` uint8 arrays ``(H, W, 2L)``,
    channels ``x_i, y_i, x_{i+1}, y_{i+1}, ...``.

    Args:
        stack_len: ``L``, flows per sampled frame. Default 1.
        out_key: results key written. Default ``'flows'``.
        io_backend_args: passed to ``mmengine.fileio.get``. Default None.
    """

    def __init__(self,
                 stack_len: int = 1,
                 out_key: str = 'flows',
                 io_backend_args: Optional[dict] = None) -> None:
        if isinstance(stack_len,
                      bool) or not isinstance(stack_len, int) or stack_len < 1:
            raise ValueError(
                f'DecodeFlowStacks: stack_len must be an int >= 1, got '
                f'{stack_len!r}')
        self.stack_len = stack_len
        self.out_key = out_key
        self.io_backend_args = io_backend_args or {}

    def _read(self, path: str) -> np.ndarray:
        img = mmcv.imfrombytes(
            get(path, backend_args=self.io_backend_args or None),
            flag='grayscale')
        if img is None:
            raise ValueError(f'DecodeFlowStacks: {path} is not an image')
        return img

    def transform(self, results: Dict) -> Dict:
        folder = results['frame_dir']
        tmpl = results['flow_filename_tmpl']
        first = results['start_index']
        last = first + results['total_flow_frames'] - 1
        offset = results.get('offset', 0)
        flows: Dict[int, np.ndarray] = {}  # flow index -> (H, W, 2)

        def flow(index: int) -> np.ndarray:
            index = min(max(index, first), last) + offset
            if index not in flows:
                flows[index] = np.stack([
                    self._read(f'{folder}/{tmpl.format(d, index)}')
                    for d in 'xy'
                ], -1)
            return flows[index]

        stacks = [
            np.concatenate([flow(int(i) + k)
                            for k in range(self.stack_len)], -1)
            for i in np.asarray(results['frame_inds']).reshape(-1)
        ]
        results[self.out_key] = stacks
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(stack_len={self.stack_len}, '
                f'out_key={self.out_key!r})')


@TRANSFORMS.register_module()
class SyncedFrameTransforms(BaseTransform):
    """Run mmaction2's geometric transforms on RGB frames and flow stacks with
    one draw of their random parameters.

    Frame ``k`` of every key is joined along channels, ``(H, W, 3 + 2L)``,
    the transforms run on that as on ``imgs`` (so a crop, resize or flip is
    the same for both modalities), and the channels are split back. When a
    ``Flip`` inside flipped the frames, the flow's x channels (horizontal) or
    y channels (vertical) are inverted, which negates that flow component.
    Only geometric transforms fit here (``Resize``, ``RandomResizedCrop``,
    ``MultiScaleCrop``, ``CenterCrop``, ``RandomCrop``, ``ThreeCrop``,
    ``TenCrop``, ``Flip``): photometric ones would see flow as colour.

    Required keys: ``rgb_key`` and every ``flow_keys`` entry (lists of
    ``(H, W, C)`` arrays of one size). Modified keys: those, ``img_shape``;
    added: whatever the inner transforms add (``flip``, ``crop_bbox``, ...).

    Args:
        transforms: mmaction2 transform configs.
        rgb_key: results key of the RGB frames. Default ``'imgs'``.
        flow_keys: keys of flow stacks. Default ``('flows',)``.

    Raises:
        ValueError: the keys hold different frame counts or sizes (the
            message names both).
    """

    def __init__(self,
                 transforms: Sequence[dict],
                 rgb_key: str = 'imgs',
                 flow_keys: Sequence[str] = ('flows', )) -> None:
        with DefaultScope.overwrite_default_scope('mmaction'):
            self.transforms = Compose(copy.deepcopy(list(transforms)))
        self.rgb_key = rgb_key
        self.flow_keys = tuple(flow_keys)

    def transform(self, results: Dict) -> Dict:
        keys = (self.rgb_key, ) + self.flow_keys
        frames = {key: list(results[key]) for key in keys}
        ref = frames[self.rgb_key]
        for key in self.flow_keys:
            got, want = frames[key], ref
            if len(got) != len(want) or any(a.shape[:2] != b.shape[:2]
                                            for a, b in zip(got, want)):
                raise ValueError(
                    f'SyncedFrameTransforms: results[{key!r}] holds '
                    f'{len(got)} frames of {got[0].shape[:2]}, but '
                    f'results[{self.rgb_key!r}] holds {len(want)} of '
                    f'{want[0].shape[:2]}; extract flow at the RGB frame '
                    'size')
        widths = [frames[key][0].shape[-1] for key in keys]
        joined = [np.concatenate(parts, -1) for parts in zip(*frames.values())]
        modality = results.get('modality')
        results.pop('flip', None)
        results.update({self.rgb_key: joined, 'modality': 'RGB'})
        results = self.transforms(results)
        results['modality'] = modality
        joined = results[self.rgb_key]
        bounds = np.cumsum([0] + widths)
        for n, key in enumerate(keys):
            results[key] = [
                img[..., bounds[n]:bounds[n + 1]] for img in joined
            ]
        if results.get('flip'):
            component = int(results['flip_direction'] == 'vertical')
            for key in self.flow_keys:
                results[key] = [
                    invert_flow_component(s, component) for s in results[key]
                ]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, '
                f'rgb_key={self.rgb_key!r}, flow_keys={self.flow_keys})')


@TRANSFORMS.register_module()
class FormatFrameStacks(BaseTransform):
    """Stack lists of ``(H, W, C)`` frames into ``(K, C, H, W)`` arrays.

    For RGB this is mmaction2's ``FormatShape('NCHW')``; a flow stack keeps
    its ``2L`` channels per frame. Sets ``input_shape`` from the first key.

    Args:
        keys: results keys to format. Default ``('imgs', 'flows')``.
    """

    def __init__(self, keys: Sequence[str] = ('imgs', 'flows')) -> None:
        self.keys = tuple(keys)

    def transform(self, results: Dict) -> Dict:
        for key in self.keys:
            frames: List[np.ndarray] = list(results[key])
            results[key] = np.ascontiguousarray(
                np.stack(frames).transpose(0, 3, 1, 2))
        results['input_shape'] = results[self.keys[0]].shape
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(keys={self.keys})'
