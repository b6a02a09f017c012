"""``MultiModalVisualizationHook``: mmaction2's visualisation hook for dict
inputs (frames and audio windows of every modality)."""
import math
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np
from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop
from mmengine.visualization import Visualizer

from ...visualization import render_sample


def sample_lines(data_sample, classes: Optional[Sequence[str]]) -> list:
    """``GT: name`` and ``Pred: name score`` of a predicted data sample
    (``GT: value`` / ``Pred: value`` for a regression)."""

    def name(i: int) -> str:
        return str(classes[i]) if classes is not None else str(i)

    lines = []
    gt = data_sample.get('gt_label')
    if gt is not None and gt.numel() == 1 and int(gt) >= 0:
        lines.append(f'GT: {name(int(gt))}')
    for key, label in (('gt_regression', 'GT'), ('pred_regression', 'Pred')):
        value = data_sample.get(key)
        if value is not None:
            lines.append(f'{label}: {float(value.reshape(-1)[0]):.2f}')
    score = data_sample.get('pred_score')
    if score is not None:
        best = int(score.argmax())
        lines.append(f'Pred: {name(best)} {float(score[best]):.2f}')
    return lines


@HOOKS.register_module()
class MultiModalVisualizationHook(Hook):
    """Draw every ``interval``-th val/test sample: its frames, its audio
    windows (spectrograms) and the ground truth and predicted labels, as one
    contact-sheet image (see :func:`clcr_plugin.visualization.render_sample`).

    The image goes to ``out_dir/<sample name>_<step>.png`` when ``out_dir``
    is given, else to the visualiser's backends (``add_image``: the local
    backend's ``vis_image/``, TensorBoard's images); ``show`` displays it.
    ``tools/test.py --show-dir / --show / --interval / --wait-time`` switch it
    on, as mmaction2's test tool does with its ``VisualizationHook``, which
    expects one tensor as input.

    Args:
        enable (bool): draw at all. Default False.
        interval (int): draw every ``interval``-th sample. Default 5000.
        show (bool): display each image in a window. Default False.
        wait_time (float): seconds a shown image stays. Default 0.1.
        out_dir (str, optional): folder for the images. Default None.
        max_frames (int): frames drawn per visual modality. Default 8.
    """

    priority = 'NORMAL'

    def __init__(self,
                 enable: bool = False,
                 interval: int = 5000,
                 show: bool = False,
                 wait_time: float = 0.1,
                 out_dir: Optional[str] = None,
                 max_frames: int = 8) -> None:
        if interval < 1:
            raise ValueError(
                f'MultiModalVisualizationHook interval must be >= 1, got '
                f'{interval}')
        self.enable = enable
        self.interval = interval
        self.show = show
        self.wait_time = wait_time
        self.out_dir = out_dir
        self.max_frames = max_frames
        self._seen = 0  # samples of the current loop drawn or passed

    def before_val_epoch(self, runner) -> None:
        self._seen = 0

    def before_test_epoch(self, runner) -> None:
        self._seen = 0

    def _draw(self, runner, batch_idx: int, data_batch: dict,
              outputs: Sequence, step: int) -> None:
        if not self.enable:
            return
        inputs = data_batch['inputs']
        if not isinstance(inputs, dict):
            raise TypeError('MultiModalVisualizationHook expects dict inputs '
                            f'(one entry per modality), got {type(inputs)}')
        visualizer = Visualizer.get_current_instance()
        # the val / test loop hands its data set's metainfo to the visualiser
        classes = (getattr(visualizer, 'dataset_meta', None)
                   or {}).get('classes')
        # counted, not batch_idx x len(outputs): the last batch may be short
        start = self._seen
        self._seen += len(outputs)
        first = math.ceil(start / self.interval) * self.interval
        for index in range(first, start + len(outputs), self.interval):
            i = index - start
            sample = outputs[i]
            image = render_sample(
                {
                    m: np.asarray(x[i])
                    for m, x in inputs.items()
                }, sample_lines(sample, classes), self.max_frames)
            filename = sample.get('filename') or sample.get('frame_dir')
            name = osp.splitext(
                osp.basename(filename))[0] if filename else (str(index))
            if self.out_dir is not None:
                os.makedirs(self.out_dir, exist_ok=True)
                cv2.imwrite(
                    osp.join(self.out_dir, f'{name}_{step}.png'),
                    image[..., ::-1])
            else:
                visualizer.add_image(name, image, step=step)
            if self.show:
                visualizer.show(image, win_name=name, wait_time=self.wait_time)

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence) -> None:
        step = runner.epoch if isinstance(runner.train_loop,
                                          EpochBasedTrainLoop) else runner.iter
        self._draw(runner, batch_idx, data_batch, outputs, step)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence) -> None:
        self._draw(runner, batch_idx, data_batch, outputs, 0)
