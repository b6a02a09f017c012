"""``DataModelCheckHook``: the data and the model agree before a loop runs."""
from typing import Any, List

from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...datasets.transforms import PackMultiModalInputs


def dataset_metainfo(dataset: Any) -> dict:
    """``metainfo`` of a dataset, or of the one it wraps ({} if none)."""
    meta = getattr(dataset, 'metainfo', None) or {}
    if 'classes' not in meta and hasattr(dataset, 'dataset'):
        return dataset_metainfo(dataset.dataset)
    return dict(meta)


def check_num_classes(num_classes: int, dataset: Any, key: str) -> None:
    """The head scores as many classes as the dataset has: its
    ``metainfo.classes`` (one more where the metainfo has a
    ``background_index`` and the head scores the background, as
    ``SegmentClsHead`` does); without classes, every label must be below
    ``num_classes``."""
    meta = dataset_metainfo(dataset)
    classes = meta.get('classes')
    source = getattr(dataset, 'ann_file', '') or type(dataset).__name__
    if classes is not None:
        expected = [len(classes)]
        background = meta.get('background_index')
        if background is not None:  # a head may also score the background
            expected.append(int(background) + 1)
        if num_classes not in expected:
            shown = list(classes)[:8]
            also = '' if len(expected) == 1 else (
                f' (or {expected[1]} with the background class at '
                f'background_index={background})')
            raise ValueError(
                f'model.cls_head.num_classes={num_classes}, but {key} '
                f'({source}) has {len(classes)} classes '
                f'{shown}{" ..." if len(classes) > 8 else ""}; expected '
                f'num_classes={expected[0]}{also}')
        return
    for index in range(len(dataset)):
        label = dataset.get_data_info(index).get('label')
        labels = label if isinstance(label, (list, tuple)) else [label]
        bad = [int(lb) for lb in labels if int(lb) >= num_classes]
        if bad:
            raise ValueError(
                f'{key} ({source}) annotation index {index} has label '
                f'{bad[0]}, but model.cls_head.num_classes={num_classes}; '
                f'expected labels in [0, {num_classes})')


def packed_modalities(dataset: Any) -> List[tuple]:
    """``(pipeline index, modality names)`` of every
    :class:`PackMultiModalInputs` in the dataset's pipeline."""
    transforms = getattr(getattr(dataset, 'pipeline', None), 'transforms', [])
    return [(i, tuple(t.modalities)) for i, t in enumerate(transforms)
            if isinstance(t, PackMultiModalInputs)]


def check_packed_modalities(model: Any, dataset: Any, key: str) -> None:
    """The pipeline packs every modality the model has a backbone for, and
    only those or ignored ones."""
    modalities = tuple(getattr(model, 'modalities', ()))
    ignored = tuple(getattr(model, 'ignore_inputs', ()))
    for index, packed in packed_modalities(dataset):
        where = f'{key}.pipeline[{index}] (PackMultiModalInputs).modalities'
        unknown = sorted(set(packed) - set(modalities) - set(ignored))
        missing = sorted(set(modalities) - set(packed))
        if unknown or missing:
            raise KeyError(
                f'{where} packs {sorted(packed)}, but the model has '
                f'backbones {list(modalities)} and ignores {list(ignored)}; '
                f'expected every backbone modality and no other (unknown: '
                f'{unknown}, missing: {missing})')


@HOOKS.register_module()
class DataModelCheckHook(Hook):
    """Check, before a loop runs, that its data set fits the model.

    * ``model.cls_head.num_classes`` equals the number of classes in the
      dataset's ``metainfo.classes`` (or, without them, exceeds every label),
      so a head of the wrong size fails here and not as an ``IndexError`` in
      the loss or a silently wrong score.
    * Each ``PackMultiModalInputs`` of the pipeline packs exactly the
      modalities the recognizer has backbones for (plus ``ignore_inputs``).

    Runs ``before_train`` (train and val sets), ``before_val`` and
    ``before_test``; each set is checked once. Each mismatch raises one
    error naming the config key, the value given and what was expected.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._checked: set = set()

    def _check(self, runner, dataloader: Any, key: str) -> None:
        dataset = getattr(dataloader, 'dataset', None)
        if dataset is None or id(dataset) in self._checked:
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        head = getattr(model, 'cls_head', None)
        if getattr(head, 'num_classes', None) is not None:
            check_num_classes(head.num_classes, dataset, f'{key}.dataset')
        check_packed_modalities(model, dataset, f'{key}.dataset')
        self._checked.add(id(dataset))

    def before_train(self, runner) -> None:
        self._check(runner, runner.train_dataloader, 'train_dataloader')
        val_loop = getattr(runner, '_val_loop', None)
        if val_loop is not None and not isinstance(val_loop, dict):
            self._check(runner, val_loop.dataloader, 'val_dataloader')

    def before_val(self, runner) -> None:
        self._check(runner, runner.val_loop.dataloader, 'val_dataloader')

    def before_test(self, runner) -> None:
        self._check(runner, runner.test_loop.dataloader, 'test_dataloader')
