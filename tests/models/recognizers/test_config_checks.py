"""Bad model configs fail at build time with one error naming the key, the
value given and what was expected."""
import pytest
import torch
from mmaction.registry import MODELS
from tiny_models import tiny_recognizer

import clcr_plugin  # noqa: F401


def build_with(neck_type: str = 'concat', **changes):
    cfg = tiny_recognizer(neck_type)
    for path, value in changes.items():
        *parents, leaf = path.split('__')
        node = cfg
        for p in parents:
            node = node[p]
        node[leaf] = value
    torch.manual_seed(0)
    return MODELS.build(cfg)


def test_the_tiny_config_builds():
    model = build_with()
    assert model.modalities == ('audio', 'rgb')


@pytest.mark.parametrize(
    'changes, error, message',
    [
        # a level map naming a modality without a backbone
        (dict(levels=dict(flow=[0])), KeyError,
         r"levels names \['flow'\], which are not in backbones "
         r"\['audio', 'rgb'\]; expected names of the backbones"),
        (dict(frames_per_view=dict(rbg=2)), KeyError,
         r"frames_per_view names \['rbg'\], which are not in backbones"),
        # a stage the backbone does not output (out_indices=(2, 3))
        (dict(levels=dict(rgb=[0, 2], audio=[0, 1])), ValueError,
         r'levels.rgb=\[0, 2\] asks for stage\(s\) \[2\], but backbones.rgb '
         r'returns 2 output\(s\); expected indices in \[0, 2\)'),
        # the data preprocessor misses a backbone's modality
        (dict(
            data_preprocessor__preprocessors=dict(
                rgb=dict(type='ActionDataPreprocessor', format_shape='NCHW'))),
         KeyError,
         r"data_preprocessor.preprocessors lists \['rgb'\], but backbones "
         r"\['audio', 'rgb'\] also need \['audio'\]"),
        # ... or names one the model neither uses nor ignores
        (dict(
            data_preprocessor__preprocessors=dict(
                rgb=dict(type='ActionDataPreprocessor', format_shape='NCHW'),
                audio=dict(type='ActionDataPreprocessor', format_shape='NCHW'),
                flow=dict(type='ActionDataPreprocessor',
                          format_shape='NCHW'))), KeyError,
         r"data_preprocessor.preprocessors names \['flow'\], which "
         r"are not in backbones \['audio', 'rgb'\]"),
        (dict(ignore_inputs=('rgb', )), ValueError,
         r"ignore_inputs=\['rgb'\] names \['rgb'\], which have backbones"),
        # the neck fuses fewer modalities than there are backbones
        (dict(neck__in_channels=dict(rgb=None)), KeyError,
         r"the neck \(ConcatFusion\) fuses \['rgb'\], but backbones "
         r"has \['audio', 'rgb'\]; expected the same modalities"),
        # ... or one without a backbone
        (dict(neck__in_channels=dict(rgb=None, audio=None, flow=None)),
         KeyError,
         r"neck.in_channels names modality 'flow', but the recognizer has "
         r"backbones for \['audio', 'rgb'\]"),
        (dict(
            cls_head__loss_cls=dict(type='CrossEntropyLoss',
                                    loss_weight=-1.0)), ValueError,
         r'cls_head.loss_cls.loss_weight=-1.0: expected a loss weight >= 0'),
    ],
    ids=[
        'level-map-name', 'frames-name', 'stage', 'preprocessor-missing',
        'preprocessor-extra', 'ignored-and-used', 'neck-subset',
        'neck-unknown', 'head-loss-weight'
    ])
def test_bad_modality_settings_raise_one_named_error(changes, error, message):
    with pytest.raises(error, match=message) as info:
        build_with(**changes)
    # one error, not a chain of them
    assert info.value.__cause__ is None and info.value.__context__ is None


@pytest.mark.parametrize(
    'neck, changes, message',
    [('clcr', dict(neck__budget=dict(min_rate=0.5, init_rate=0.3)),
      r'budget=dict\(min_rate=0.5, init_rate=0.3, max_rate=1.0\): expected '
      r'0 <= min_rate < init_rate < max_rate <= 1'),
     ('clcr', dict(neck__budget=dict(fixed_rate=1.5)),
      r'budget.fixed_rate=1.5: expected a rate in \(0, 1\]'),
     ('clcr', dict(neck__lambda_pr=-0.5),
      r'lambda_pr=-0.5: expected loss weights >= 0')],
    ids=['budget-range', 'fixed-rate', 'negative-lambda'])
def test_bad_clcr_settings_raise_one_named_error(neck, changes, message):
    with pytest.raises(ValueError, match=message) as info:
        build_with(neck, **changes)
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_a_unimodal_neck_may_use_one_of_the_backbones():
    cfg = tiny_recognizer('concat')
    cfg['neck'] = dict(type='UnimodalFusion', modality='rgb')
    assert MODELS.build(cfg).neck.modality_names == ('rgb', )
