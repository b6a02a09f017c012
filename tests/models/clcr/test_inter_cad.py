import torch

from clcr_plugin.models.clcr import InterCAD


def test_weights_are_distributions_and_gates_in_open_interval():
    torch.manual_seed(0)
    agg = InterCAD(shared_dim=8, private_dim=6, num_levels=3, hidden_dim=16)
    available = torch.tensor([[1, 1, 1], [1, 0, 1], [0, 1, 0]],
                             dtype=torch.bool)
    out = agg(torch.randn(3, 3, 3, 8), torch.randn(3, 3, 3, 6), available)
    assert out.fused.shape == (3, 14)
    torch.testing.assert_close(out.omega.sum(-1), torch.ones(3))
    torch.testing.assert_close(out.modality_weights.sum(-1), torch.ones(3))
    assert (out.modality_weights[~available] == 0).all()
    assert ((out.eta[available] > 0) & (out.eta[available] < 1)).all()
    assert (out.eta[~available] == 0).all()


def test_absent_modality_does_not_influence_the_output():
    torch.manual_seed(1)
    agg = InterCAD(8, 6, 2, 16)
    shared, private = torch.randn(2, 3, 2, 8), torch.randn(2, 3, 2, 6)
    available = torch.tensor([[1, 0, 1], [1, 0, 1]], dtype=torch.bool)
    base = agg(shared, private, available).fused
    shared[:, 1] += 100
    private[:, 1] -= 50
    torch.testing.assert_close(agg(shared, private, available).fused, base)
    subset = agg(shared[:, [0, 2]], private[:, [0, 2]],
                 available[:, [0, 2]]).fused
    torch.testing.assert_close(subset, base, atol=1e-6, rtol=1e-5)


def test_no_modality_available_gives_finite_output():
    agg = InterCAD(8, 6, 2, 16)
    out = agg(
        torch.randn(2, 2, 2, 8), torch.randn(2, 2, 2, 6),
        torch.zeros(2, 2, dtype=torch.bool))
    assert torch.isfinite(out.fused).all() and (out.modality_weights
                                                == 0).all()
