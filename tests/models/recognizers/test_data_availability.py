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


def test_recognizer_combines_data_flags_with_modality_dropout():
    """Views share their sample's value; dropout never drops what the data
    left as the only modality of a sample."""
    from types import SimpleNamespace

    from clcr_plugin.models.recognizers import MultiModalRecognizer
    n, v = 64, 2
    feats = dict(rgb=[torch.zeros(n * v, 4)], audio=[torch.zeros(n * v, 4)])
    flags = [sample(rgb=True, audio=i % 2 == 0) for i in range(n)]
    has_audio = torch.tensor([i % 2 == 0 for i in range(n)])
    mask = MultiModalRecognizer.sample_availability(
        SimpleNamespace(training=False, modality_dropout=0.5), feats, v, flags)
    assert torch.equal(mask['audio'], has_audio.repeat_interleave(v))
    assert mask['rgb'].all()
    torch.manual_seed(0)
    mask = MultiModalRecognizer.sample_availability(
        SimpleNamespace(training=True, modality_dropout=0.5), feats, v, flags)
    rgb, audio = mask['rgb'][::v], mask['audio'][::v]  # one per sample
    assert torch.equal(mask['rgb'][1::v], rgb)
    assert not (audio & ~has_audio).any()  # absent audio stays absent
    assert rgb[~has_audio].all()  # their only modality is never dropped
    assert not rgb[has_audio].all() and not audio[has_audio].all()
