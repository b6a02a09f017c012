import pytest
import torch

from clcr_plugin.models.clcr import modality_dropout_mask


def test_every_sample_keeps_at_least_one_modality_and_rate_matches():
    torch.manual_seed(0)
    masks = modality_dropout_mask(['rgb', 'audio', 'text'], 20000, 0.4,
                                  torch.device('cpu'))
    stacked = torch.stack(list(masks.values()), 1)
    assert stacked.any(1).all()
    # P(kept) = 0.6 plus the rescued samples where all three were dropped
    # (0.4^3 / 3 each)
    torch.testing.assert_close(
        stacked.float().mean(),
        torch.tensor(0.6 + 0.4**3 / 3),
        atol=0.01,
        rtol=0)


def test_existing_unavailability_is_respected():
    torch.manual_seed(1)
    available = {
        'rgb': torch.tensor([True, False, True, False]),
        'audio': torch.tensor([True, True, False, False])
    }
    masks = modality_dropout_mask(['rgb', 'audio'], 4, 0.9,
                                  torch.device('cpu'), available)
    assert not masks['rgb'][1] and not masks['audio'][2]
    assert masks['audio'][1] and masks['rgb'][
        2]  # the only available one is kept
    assert not masks['rgb'][3] and not masks['audio'][3]  # nothing to keep


def test_probability_is_validated():
    with pytest.raises(ValueError, match='\\[0, 1\\), got 1.0'):
        modality_dropout_mask(['a'], 2, 1.0, torch.device('cpu'))
