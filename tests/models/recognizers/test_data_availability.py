"""The recognizer's per-sample availability mask from the data samples."""
import torch
from mmaction.structures import ActionDataSample

from clcr_plugin.models.recognizers.data_availability import data_availability


def sample(**flags) -> ActionDataSample:
    out = ActionDataSample()
    if flags:
        out.set_metainfo(dict(modality_available=flags))
    return out


def test_flags_become_one_mask_per_modality():
    mask = data_availability([
        sample(rgb=True, audio=False),
        sample(rgb=True, audio=True),
        sample()
    ], ['rgb', 'audio'], torch.device('cpu'))
    assert mask['rgb'].tolist() == [True, True, True]
    assert mask['audio'].tolist() == [False, True, True]
    assert mask['audio'].dtype == torch.bool


def test_no_samples_or_every_modality_present_gives_none():
    cpu = torch.device('cpu')
    assert data_availability(None, ['rgb'], cpu) is None
    assert data_availability([sample(rgb=True), sample()], ['rgb'],
                             cpu) is None
    # a flag for a modality the model does not use is ignored
    assert data_availability([sample(rgb=True, audio=False)], ['rgb'],
                             cpu) is None
