"""``StageTaps``: the outputs of chosen stages of a backbone."""
from typing import Dict, List, Optional, Sequence, Union

from torch import Tensor, nn

from .config_checks import check_stage_indices

LevelSpec = Sequence[Union[int, str]]


class StageTaps(nn.Module):
    """Run a backbone and return the outputs of chosen stages.

    ``levels`` holds ints (indices into the tuple a backbone returns, e.g.
    ResNet with ``out_indices``) or strings (names of submodules whose outputs
    are captured with forward hooks, e.g. ``'layer3'`` of ResNetAudio or X3D,
    which return only their last stage). ``None`` keeps every returned output.

    Args:
        backbone: the backbone module.
        levels: stage indices or submodule names, shallow to deep.
        modality: name used in error messages.
    """

    def __init__(self, backbone: nn.Module, levels: Optional[LevelSpec],
                 modality: str) -> None:
        super().__init__()
        self.backbone = backbone
        self.levels = None if levels is None else list(levels)
        self.modality = modality
        self._captured: Dict[str, Tensor] = {}
        names = [lv for lv in self.levels or [] if isinstance(lv, str)]
        if names and len(names) != len(self.levels):
            raise ValueError(
                f'levels[{modality!r}] mixes stage indices and submodule '
                f'names: {self.levels}')
        submodules = dict(backbone.named_modules())
        for name in names:
            if name not in submodules:
                children = [n for n, _ in backbone.named_children()]
                raise KeyError(
                    f'levels[{modality!r}]: the backbone has no submodule '
                    f'{name!r}; '
                    f'its children are {children}')
            submodules[name].register_forward_hook(self._capture_hook(name))

    def _capture_hook(self, name: str):

        def hook(module: nn.Module, args, output: Tensor) -> None:
            self._captured[name] = output

        return hook

    def forward(self, x: Tensor, **kwargs) -> List[Tensor]:
        """``kwargs`` (e.g. a sequence ``mask``) go to the backbone."""
        self._captured.clear()
        outs = self.backbone(x, **kwargs)
        outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
        if self.levels is None:
            return outs
        if isinstance(self.levels[0], str):
            return [self._captured.pop(name) for name in self.levels]
        check_stage_indices(self.modality, self.levels, len(outs))
        return [outs[i] for i in self.levels]
