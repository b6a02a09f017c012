"""Test-time corruption of multi-modal inputs, switched on from a config.

``CorruptedInputsPreprocessor`` wraps a model's data preprocessor: it runs the
original one, then adds Gaussian noise to some modalities and/or removes
others from ``inputs``. The recognizer fuses the modalities that are present,
so a removed modality is "missing at test time". Wrap a config's
preprocessor with::

    model = dict(data_preprocessor=dict(
        _delete_=True, type='CorruptedInputsPreprocessor',
        preprocessor=<the original cfg>,
        noise_std=dict(audio=0.5), drop=('rgb', ), seed=0))

``tools/analysis/compare.py`` does this for every condition it measures.
"""
from typing import Dict, Mapping, Optional, Sequence, Union

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseDataPreprocessor
from torch import Tensor


def add_gaussian_noise(x: Tensor, std: float,
                       generator: torch.Generator) -> Tensor:
    """``x + std * eps`` with ``eps ~ N(0, 1)`` drawn from ``generator`` (on
    ``x``'s device).

    Args:
        x: any tensor, e.g. ``(N, K, C, H, W)``.
        std: the noise's standard deviation, in the units of ``x``.
        generator: the random source; it must live on ``x.device``.
    """
    eps = torch.randn(
        x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return x + std * eps


@MODELS.register_module()
class CorruptedInputsPreprocessor(BaseDataPreprocessor):
    """Run a data preprocessor, then corrupt its multi-modal inputs.

    By default only in evaluation (``training=False``: validation and test
    steps); training batches pass through untouched unless
    ``apply_in_training=True``.

    The noise is added *after* the wrapped preprocessor, so ``noise_std`` is
    in units of the normalised inputs: with mmaction2's per-channel
    ``mean``/``std`` normalisation an input channel has roughly unit spread
    over the data set, so ``noise_std=1.0`` is noise as large as the signal's
    own spread (a signal-to-noise ratio of about 1). For an unnormalised
    input it is in the input's raw units.

    The noise is deterministic given ``seed``: one ``torch.Generator`` per
    device, seeded with ``seed`` when first used, draws the noise of each
    batch in turn (modalities in sorted order), so the n-th batch seen after
    construction gets the same noise on every run. Two models evaluated with
    the same seed, batch size and (unshuffled) data order see the same noisy
    inputs.

    Modality names are checked against the inputs of the first corrupted
    batch: a name that is not among them is a ``KeyError``, and dropping
    every modality a batch holds is a ``ValueError``.

    Args:
        preprocessor: the original preprocessor, as a config (e.g.
            ``dict(type='MultiModalDataPreprocessor', ...)``) or a module.
            It must return ``inputs`` as a dict ``{modality: tensor}``.
        noise_std: ``{modality: std}`` of the Gaussian noise to add, each
            >= 0. Default None (no noise).
        drop: modalities to remove from ``inputs``. Default ``()``.
        seed: seed of the noise generator. Default 0.
        apply_in_training: also corrupt training batches. Default False.
    """

    def __init__(self,
                 preprocessor: Union[dict, BaseDataPreprocessor],
                 noise_std: Optional[Mapping[str, float]] = None,
                 drop: Sequence[str] = (),
                 seed: int = 0,
                 apply_in_training: bool = False) -> None:
        super().__init__()
        if isinstance(drop, str):
            raise ValueError(
                f"drop must be a sequence of modality names, e.g. ('{drop}', "
                "), got the string "
                f'{drop!r}')
        noise_std = {str(m): float(s) for m, s in (noise_std or {}).items()}
        for m, std in noise_std.items():
            if not std >= 0:  # also rejects NaN
                raise ValueError(f'noise_std[{m!r}] must be >= 0, got {std}')
        both = sorted(set(noise_std) & set(drop))
        if both:
            raise ValueError(
                f'noise_std and drop both name {both}; a dropped modality '
                'cannot be noisy')
        if not isinstance(preprocessor, BaseDataPreprocessor):
            preprocessor = MODELS.build(preprocessor)
        self.preprocessor = preprocessor
        self.noise_std = noise_std
        self.drop = tuple(dict.fromkeys(drop))
        self.seed = int(seed)
        self.apply_in_training = apply_in_training
        self._generators: Dict[torch.device, torch.Generator] = {}

    def _generator(self, device: torch.device) -> torch.Generator:
        if device not in self._generators:
            self._generators[device] = torch.Generator(
                device=device).manual_seed(self.seed)
        return self._generators[device]

    def _check_names(self, inputs: Mapping[str, Tensor]) -> None:
        for key, names in (('noise_std', self.noise_std), ('drop', self.drop)):
            unknown = sorted(set(names) - set(inputs))
            if unknown:
                raise KeyError(
                    f'CorruptedInputsPreprocessor: {key} names {unknown}, but '
                    'the inputs hold '
                    f'{sorted(inputs)}')
        if set(inputs) <= set(self.drop):
            raise ValueError(
                f'CorruptedInputsPreprocessor: drop={list(self.drop)} removes '
                'every modality of the '
                f'inputs {sorted(inputs)}; keep at least one')

    def corrupt(self, inputs: Mapping[str, Tensor]) -> Dict[str, Tensor]:
        """``{modality: tensor}`` -> the same dict with noise added and dropped
        modalities removed.

        Modalities that are neither noisy nor dropped are passed through as
        the very same tensors.
        """
        if not isinstance(inputs, Mapping):
            raise TypeError(
                'CorruptedInputsPreprocessor needs inputs as a dict of '
                f'modalities, got {type(inputs)}')
        self._check_names(inputs)
        out = {m: x for m, x in inputs.items() if m not in self.drop}
        for m in sorted(self.noise_std):
            out[m] = add_gaussian_noise(out[m], self.noise_std[m],
                                        self._generator(out[m].device))
        return out

    def forward(self, data: dict, training: bool = False) -> dict:
        """Run the wrapped preprocessor, then :meth:`corrupt` its ``inputs``
        (in eval, or always if asked)."""
        data = self.preprocessor(data, training)
        if not training or self.apply_in_training:
            data['inputs'] = self.corrupt(data['inputs'])
        return data
