"""The recognizer's dry run: the shapes of the features its neck sees,
from one zero input per backbone."""
from typing import Dict, List, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

# Dry-run input per format_shape when dry_run_inputs does not give one: one
# frame (C, H, W) of a 2D backbone, one clip (C, T, H, W) of a 3D backbone.
DEFAULT_DRY_RUN_SIZES = {'NCHW': (112, 112), 'NCTHW': (8, 112, 112)}


def dry_run_input(model: nn.Module, modality: str,
                  dry_run_inputs: Mapping[str, Sequence[int]]) -> Tensor:
    """A zero input of one sample and one view, laid out as the data
    preprocessor gives it."""
    # a sequence backbone declares its one-sample input (T, D) / (3, L)
    sequence_shape = getattr(model.backbones[modality].backbone,
                             'dry_run_shape', None)
    shape = dry_run_inputs.get(modality) or sequence_shape
    if shape is None:
        preprocessors = getattr(model.data_preprocessor, 'preprocessors', {})
        fmt = getattr(preprocessors[modality], 'format_shape',
                      None) if modality in preprocessors else None
        if fmt not in DEFAULT_DRY_RUN_SIZES:
            raise ValueError(
                f'cannot tell the input layout of modality {modality!r} '
                f'(format_shape={fmt!r}); '
                f'give dry_run_inputs.{modality} as (C, H, W) frames or '
                '(C, T, H, W) clips')
        shape = (getattr(model.backbones[modality].backbone, 'in_channels',
                         3), *DEFAULT_DRY_RUN_SIZES[fmt])
    shape = tuple(int(s) for s in shape)
    if len(shape) == 2 and sequence_shape is not None:
        return torch.zeros(1, *shape)  # one sequence (1, T, D)
    if len(shape) == 3:  # one view of frames_per_view frames: (1, S, C, H, W)
        return torch.zeros(1, model.frames_per_view[modality], *shape)
    if len(shape) == 4:  # one clip: (1, 1, C, T, H, W)
        return torch.zeros(1, 1, *shape)
    raise ValueError(
        f'dry_run_inputs.{modality}={shape}: expected (C, H, W) or (C, T, '
        'H, W)' +
        ('' if sequence_shape is
         None else f', or {len(sequence_shape)} ints as the sequence '
         f'backbone\'s dry_run_shape {tuple(sequence_shape)}'))


def backbone_level_shapes(
    model: nn.Module,
    dry_run_inputs: Optional[Mapping[str, Sequence[int]]] = None
) -> Dict[str, List[torch.Size]]:
    """:meth:`MultiModalRecognizer.dry_run` of ``model``."""
    dry_run_inputs = dict(dry_run_inputs or {})
    unknown = set(dry_run_inputs) - set(model.modalities) - set(
        model.ignore_inputs)
    if unknown:
        raise KeyError(
            f'dry_run_inputs names {sorted(unknown)}; the recognizer has '
            'backbones for '
            f'{list(model.modalities)}')
    inputs = {
        m: dry_run_input(model, m, dry_run_inputs)
        for m in model.modalities
    }
    modes = [(module, module.training) for module in model.backbones.modules()]
    model.backbones.eval()
    try:
        with torch.no_grad():
            feats, _ = model.extract_backbone_feats(inputs)
    finally:
        for module, mode in modes:
            module.training = mode
    return {
        m: [f.shape for f in level_feats]
        for m, level_feats in feats.items()
    }
