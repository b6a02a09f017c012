"""``MultiModalRecognizer``: one zoo backbone per modality, a fusion neck, a
head."""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModel, merge_dict
from mmengine.registry import DefaultScope
from torch import Tensor, nn

from ..clcr.modality_dropout import modality_dropout_mask
from ..clcr.modality_order import canonical_order
from .config_checks import (check_head_loss_weight, check_known_modalities,
                            check_neck_modalities,
                            check_preprocessor_modalities, complete_head)
from .data_availability import data_availability
from .dry_run import backbone_level_shapes
from .loss_guard import average_and_check_log_vars
from .modality_record import decode_order, encode_order
from .neck_compile import compile_neck_in_place, compile_options
from .sequence_masks import accepts, length_mask, level_masks, sample_lengths
from .stage_taps import LevelSpec, StageTaps


@MODELS.register_module()
class MultiModalRecognizer(BaseModel):
    """Multi-modal recognizer: any mmaction2 backbone per modality + a fusion
    neck.

    Input layouts per modality (after the data preprocessor):

    * ``(N, K, C, H, W)`` (``format_shape='NCHW'``): frames for a 2D
      backbone, ``K = views * frames_per_view``; each view's frames are
      stacked into a 3D map ``(N * views, C, S, H, W)`` when
      ``frames_per_view > 1``, else kept as a 2D map. An audio spectrogram
      window ``(N, views, 1, F, T)`` is this layout with one frame per view.
    * ``(N, V, C, T, H, W)`` (``format_shape='NCTHW'``): clips for a 3D
    backbone.
    * ``(N, T, D)`` feature sequences (or ``(N, 3, L)`` token ids), one view
      per sample, given to the backbone as they are (``TemporalConvNet``,
      ``BertLevels``). Where the data samples carry
      ``seq_lengths={modality: int}`` (``PackSentimentInputs``), a padding
      mask ``(N, T)`` goes to a backbone whose ``forward`` takes ``mask``,
      and to a neck whose ``forward`` takes ``masks`` (``CLCRFusion``), one
      per sequence level ``(N, T_l, C)``; see
      :mod:`~clcr_plugin.models.recognizers.sequence_masks`.

    Every modality must bring the same number of views (clips x crops); the
    neck fuses each view, the head scores each view, and ``predict`` averages
    the views as mmaction2 does (``average_clips`` of the head), while
    ``loss`` averages view features through the head's consensus. A head
    that scores every view on its own (``SegmentClsHead``) makes the views
    time segments: per-second localisation (docs/localisation.md).

    Shapes flow from the backbones: at build time every backbone runs once, in
    eval mode without gradients (no BN statistic changes), on a zero input of
    one sample and one view, and the neck class's
    ``complete_config(cfg, {modality: [feature shape (1, ...) per level]})``
    fills the neck's ``in_channels`` (and default token grids) the config
    leaves out and checks the ones it gives. The head's ``in_channels``
    defaults to the neck's ``out_channels``.

    Modalities are kept in sorted name order (backbones, features, the neck's
    slots), whatever the order of the config dicts, and the state dict
    records it (a checkpoint of another order is an error). Modality names
    and stages are checked at build time (``config_checks``); logged losses
    are averaged over ranks and a non-finite one stops training
    (``loss_guard``).

    Args:
        backbones (dict): ``{modality: backbone config}``.
        neck (dict): fusion neck config (``CLCRFusion``, ``ConcatFusion``, ...)
            with ``forward(x: dict, data_samples=None, available=None)``
            returning ``(Tensor, dict)``, and ``out_channels``.
        cls_head (dict): mmaction2 head config (e.g. ``TSNHead``); its
            ``in_channels`` may be left out (or None): it is the neck's
            ``out_channels``.
        levels (dict, optional): ``{modality: stage indices or submodule
            names}``; a modality not listed keeps every output its backbone
            returns. Default None.
        frames_per_view (dict, optional): ``{modality: frames per view}`` for
            2D backbones (default 1 each). Default None.
        ignore_inputs (Sequence[str]): input modalities this model
            deliberately does not use (e.g. a unimodal baseline fed by an
            audio-visual pipeline); any other unknown input modality is an
            error. Default ().
        modality_dropout (float): in training, drop each modality of each
            sample with this probability (never all of a sample's
            modalities) through the neck's ``available`` mask; every neck
            treats a dropped modality like an absent one. Default 0 (off).
        dry_run_inputs (dict, optional): ``{modality: shape of one input}``
            for the build-time dry run: ``(C, H, W)`` for one frame of a 2D
            backbone or ``(C, T, H, W)`` for one clip of a 3D backbone, e.g.
            ``dict(audio=(1, 40, 100))``. The default follows the modality's
            ``format_shape``: ``(C, 112, 112)`` for ``'NCHW'``,
            ``(C, 8, 112, 112)`` for ``'NCTHW'``, with ``C`` the backbone's
            ``in_channels`` (3 if it has none). Give the real input size where
            the default grids should follow it. A sequence modality takes
            ``(T, D)`` (or ``(3, L)`` token ids) where its backbone
            declares such a ``dry_run_shape``, which is also its default.
            Default None.
        compile_neck (bool | dict, optional): ``torch.compile`` the neck
            alone, in place (state-dict keys unchanged): True, or a dict of
            ``torch.compile`` arguments, e.g. ``dict(mode='reduce-overhead')``
            on a GPU (see :mod:`.neck_compile`). Default None (eager).
        data_preprocessor (dict): e.g. mmaction2's
            ``MultiModalDataPreprocessor``.
        train_cfg, test_cfg (dict, optional): kept for mmaction2 compatibility.
        init_cfg (dict, optional): mmengine init config. Default None.
    """

    def __init__(self,
                 backbones: Mapping[str, dict],
                 neck: dict,
                 cls_head: dict,
                 levels: Optional[Mapping[str, LevelSpec]] = None,
                 frames_per_view: Optional[Mapping[str, int]] = None,
                 ignore_inputs: Sequence[str] = (),
                 modality_dropout: float = 0.0,
                 dry_run_inputs: Optional[Mapping[str, Sequence[int]]] = None,
                 compile_neck: Union[bool, dict, None] = None,
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            raise ValueError(
                "MultiModalRecognizer needs data_preprocessor, e.g. "
                "dict(type='MultiModalDataPreprocessor',"
                " preprocessors=dict(rgb=dict(type='ActionDataPreprocessor', "
                "format_shape='NCHW', ...)))")
        neck_compile_options = compile_options(compile_neck)
        if not 0.0 <= modality_dropout < 1.0:
            raise ValueError(
                f'modality_dropout must be in [0, 1), got {modality_dropout}')
        # Built in mmaction's scope, so the parts resolve outside a Runner too
        # (mmcv's conv builders look names up in the current default scope).
        with DefaultScope.overwrite_default_scope('mmaction'):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.ignore_inputs = tuple(ignore_inputs)
        self.modality_dropout = float(modality_dropout)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        with DefaultScope.overwrite_default_scope('mmaction'):
            self._build_backbones(backbones, levels, frames_per_view)
            check_preprocessor_modalities(self.data_preprocessor,
                                          self.modalities, self.ignore_inputs)
            neck_cls = MODELS.get(neck['type']) if isinstance(
                neck['type'], str) else neck['type']
            if neck_cls is None:
                raise KeyError(
                    f"neck.type={neck['type']!r} is not in mmaction's MODELS "
                    "registry")
            if hasattr(neck_cls, 'complete_config'):
                neck = neck_cls.complete_config(neck,
                                                self.dry_run(dry_run_inputs))
            self.neck = MODELS.build(neck)
            check_neck_modalities(self.neck, self.modalities)
            if neck_compile_options is not None:
                compile_neck_in_place(self.neck, neck_compile_options)
            check_head_loss_weight(cls_head)
            self.cls_head = MODELS.build(complete_head(cls_head, self.neck))

    def _build_backbones(self, backbones, levels, frames_per_view) -> None:
        if not backbones:
            raise ValueError(
                'MultiModalRecognizer needs at least one entry in backbones')
        levels = dict(levels or {})
        check_known_modalities('levels', levels, canonical_order(backbones))
        check_known_modalities('frames_per_view', frames_per_view or {},
                               canonical_order(backbones))
        # sorted names, whatever the order of the config dict (see
        # clcr.modality_order): parameters, features and the neck's slots
        # follow it
        self.modalities = canonical_order(backbones)
        self.backbones = nn.ModuleDict({
            m:
            StageTaps(MODELS.build(backbones[m]), levels.get(m), m)
            for m in self.modalities
        })
        self.frames_per_view = {
            m: int((frames_per_view or {}).get(m, 1))
            for m in self.modalities
        }

    def dry_run(
        self,
        dry_run_inputs: Optional[Mapping[str, Sequence[int]]] = None
    ) -> Dict[str, List[torch.Size]]:
        """Shapes of the per-level features the neck sees for one sample and
        one view.

        Runs every backbone once on a zero input in eval mode without
        gradients, then restores each module's mode, so no BN statistic
        changes.

        Args:
            dry_run_inputs (dict, optional): see the class arguments.

        Returns:
            ``{modality: [torch.Size (1, ...) per level]}``.
        """
        return backbone_level_shapes(self, dry_run_inputs)

    def get_extra_state(self) -> Tensor:
        """The modality order, saved in every state dict as
        ``_extra_state`` (a uint8 tensor, see
        :func:`.modality_record.encode_order`)."""
        return encode_order(self.modalities)

    def set_extra_state(self, state: Tensor) -> None:
        """Loading weights trained with another modality order is an
        error naming both orders."""
        trained = decode_order(state)
        if trained != self.modalities:
            raise ValueError(
                'the checkpoint was trained with modality order '
                f'{list(trained)}, but this model has '
                f'{list(self.modalities)}; '
                'expected the same modalities (they are kept in sorted name '
                'order, whatever the order of the config dicts)')

    def parse_losses(self,
                     losses: Dict[str,
                                  Tensor]) -> Tuple[Tensor, Dict[str, Tensor]]:
        """mmengine's sum of the ``loss*`` terms; the logged values are
        averaged over ranks and a non-finite one stops training (see
        :func:`average_and_check_log_vars`)."""
        loss, log_vars = super().parse_losses(losses)
        return loss, average_and_check_log_vars(log_vars)

    def init_weights(self) -> None:
        for taps in self.backbones.values():
            if hasattr(taps.backbone, 'init_weights'):
                taps.backbone.init_weights()
        super().init_weights()

    def _check_inputs(self, inputs: Mapping[str, Tensor]) -> None:
        if not isinstance(inputs, Mapping):
            raise TypeError('MultiModalRecognizer expects inputs as a dict of '
                            f'modalities, got {type(inputs)}; '
                            'pack them with PackMultiModalInputs')
        unknown = set(inputs) - set(self.modalities) - set(self.ignore_inputs)
        if unknown or not set(inputs) & set(self.modalities):
            raise KeyError(
                f'inputs hold {sorted(inputs)}; the recognizer has backbones '
                f'for {list(self.modalities)}'
                f' and ignores {list(self.ignore_inputs)}')

    def extract_backbone_feats(
        self,
        inputs: Mapping[str, Tensor],
        data_samples: Optional[list] = None
    ) -> Tuple[Dict[str, List[Tensor]], int]:
        """Per-level features of every present modality, and the number of
        views.

        ``data_samples`` give the lengths of sequence inputs (optional).
        Returns ``({m: [(N * V, ...) per level]}, V)``.
        """
        self._check_inputs(inputs)
        feats, views = {}, {}
        for m in self.modalities:
            if m not in inputs:
                continue  # missing modality: the neck fuses what is present
            x = inputs[m]
            N = x.shape[0]
            if x.dim() == 5:  # (N, K, C, H, W) -> 2D backbone on frames
                S = self.frames_per_view[m]
                if x.shape[1] % S:
                    raise ValueError(
                        f'modality {m!r}: {x.shape[1]} frames is not a '
                        'multiple of '
                        f'frames_per_view={S}')
                views[m] = x.shape[1] // S
                level_feats = self.backbones[m](x.flatten(0, 1))
                if S > 1:  # (N*V*S, C, H, W) -> (N*V, C, S, H, W)
                    level_feats = [
                        f.reshape(N * views[m], S,
                                  *f.shape[1:]).transpose(1, 2)
                        for f in level_feats
                    ]
            elif x.dim() == 6:  # (N, V, C, T, H, W) -> 3D backbone on clips
                views[m] = x.shape[1]
                level_feats = self.backbones[m](x.flatten(0, 1))
            elif x.dim() == 3:  # (N, T, D) sequences or (N, 3, L) token ids
                views[m] = 1
                lengths = sample_lengths(data_samples, m, x.device)
                kwargs = {}
                if lengths is not None and accepts(self.backbones[m].backbone,
                                                   'mask'):
                    kwargs['mask'] = length_mask(lengths, x.shape[1])
                level_feats = self.backbones[m](x, **kwargs)
            else:
                raise ValueError(
                    f'modality {m!r}: expected (N, K, C, H, W), (N, V, C, '
                    'T, H, W) or (N, T, D) inputs, '
                    f'got {tuple(x.shape)}')
            feats[m] = level_feats
        # int(): under jit tracing (FLOP counters) sizes are 0-d tensors
        if len({int(v) for v in views.values()}) != 1:
            raise ValueError(
                'every modality must bring the same number of views; got '
                f'{views}')
        return feats, next(iter(views.values()))

    def sample_availability(self,
                            feats: Mapping[str, List[Tensor]],
                            num_views: int,
                            data_samples: Optional[list] = None
                            ) -> Optional[Dict[str, Tensor]]:
        """The neck's per-sample mask ``{m: (N * V,) bool}``, or None when
        every sample has every modality.

        The data's flags (each data sample's metainfo ``modality_available``,
        set by ``PackMultiModalInputs``), then, in training with
        ``modality_dropout > 0``, the dropout draw (never all of a sample's
        modalities). One value per sample, shared by its views.
        """
        first = next(iter(feats.values()))[0]
        available = data_availability(data_samples, list(feats), first.device)
        if self.training and self.modality_dropout > 0 and len(feats) > 1:
            available = modality_dropout_mask(
                list(feats), first.shape[0] // num_views,
                self.modality_dropout, first.device, available)
        if available is None:
            return None
        return {
            m: k.repeat_interleave(num_views)
            for m, k in available.items()
        }

    def extract_feat(self,
                     inputs: Mapping[str, Tensor],
                     data_samples=None) -> Tuple[Tensor, Dict, int]:
        """Fused features ``(N * V, D, 1, 1)``, the neck's auxiliary losses,
        and ``V``."""
        feats, num_views = self.extract_backbone_feats(inputs, data_samples)
        kwargs = {}
        if accepts(self.neck, 'masks'):  # sequence padding masks, if any
            kwargs['masks'] = level_masks(feats, data_samples) or None
        fused, aux = self.neck(
            feats,
            data_samples,
            available=self.sample_availability(feats, num_views, data_samples),
            **kwargs)
        return fused[:, :, None, None], aux, num_views

    def run_head(self, method: str, fused: Tensor, *args, **kwargs):
        """``cls_head.<method>(fused, ...)`` (``'__call__'``: the module
        itself, hooks included) on fp32 features outside autocast.

        Under bf16 mixed precision (``AmpOptimWrapper``) the scores stay
        fp32, which mmaction2's heads need (their accuracy reads the scores
        with numpy, which has no bfloat16) and which keeps the classifier's
        logits at full precision. The plain head call in fp32.
        """
        with torch.autocast(fused.device.type, enabled=False):
            return getattr(self.cls_head, method)(fused.float(), *args,
                                                  **kwargs)

    def loss(self, inputs: Mapping[str, Tensor], data_samples: list) -> dict:
        fused, aux, num_views = self.extract_feat(inputs, data_samples)
        return merge_dict(
            self.run_head('loss', fused, data_samples, num_segs=num_views),
            aux)

    def predict(self, inputs: Mapping[str, Tensor],
                data_samples: list) -> list:
        fused, _, _ = self.extract_feat(inputs, data_samples)
        return self.run_head('predict', fused, data_samples, num_segs=1)

    def _forward(self, inputs: Mapping[str, Tensor], stage: str = 'head'):
        """``stage='backbone'``: per-level features; ``'neck'``: fused (N*V,
        D); ``'head'``: scores (N*V, classes)."""
        if stage == 'backbone':
            return self.extract_backbone_feats(inputs)[0]
        fused, _, _ = self.extract_feat(inputs)
        if stage == 'neck':
            return fused.flatten(1)
        if stage == 'head':
            return self.run_head('__call__', fused, num_segs=1)
        raise ValueError(
            f"stage must be 'backbone', 'neck' or 'head', got {stage!r}")

    def forward(self,
                inputs: Mapping[str, Tensor],
                data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs)
        raise RuntimeError(
            f'Invalid mode "{mode}". Only supports loss, predict and tensor '
            'mode')
