import torch

from clcr_plugin.models.clcr import (cross_correlation_penalty,
                                     intra_level_loss, level_mixing_loss,
                                     private_redundancy_loss,
                                     shared_private_leakage_loss)


def test_penalty_near_zero_for_independent_and_high_for_correlated_streams():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4096, 8, generator=g)
    y = torch.randn(4096, 12, generator=g)
    assert cross_correlation_penalty(x, y) < 0.01
    mixed = x @ torch.randn(8, 12, generator=g) + 0.1 * y
    assert cross_correlation_penalty(x, mixed) > 0.5
    torch.testing.assert_close(
        cross_correlation_penalty(x, x), torch.tensor(1.0), atol=0.02, rtol=0)


def test_penalty_is_finite_for_batch_size_one_and_two():
    for n in (1, 2):
        x = torch.randn(n, 5, requires_grad=True)
        value = cross_correlation_penalty(x, torch.randn(n, 3))
        value.backward()
        assert torch.isfinite(value) and torch.isfinite(x.grad).all()


def test_weights_restrict_the_estimate_to_available_samples():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2000, 4, generator=g)
    y = torch.randn(2000, 4, generator=g)
    y[:1000] = x[:1000]  # correlated only where weight is 0
    w = torch.cat([torch.zeros(1000), torch.ones(1000)])
    assert cross_correlation_penalty(x, y, w) < 0.02
    assert cross_correlation_penalty(x, y, 1 - w) > 0.9


def test_gradient_steps_reduce_the_correlation():
    g = torch.Generator().manual_seed(2)
    base = torch.randn(256, 6, generator=g)
    x = (base + 0.1 * torch.randn(256, 6, generator=g)).requires_grad_()
    y = base.clone()
    opt = torch.optim.Adam([x], lr=0.05)
    start = cross_correlation_penalty(x, y).item()
    for _ in range(100):
        loss = cross_correlation_penalty(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert cross_correlation_penalty(x, y).item() < 0.2 * start


def test_level_losses_detect_built_in_correlations():
    g = torch.Generator().manual_seed(3)
    N, M, L = 2048, 2, 3
    available = torch.ones(N, M, dtype=torch.bool)
    shared = torch.randn(N, M, L, 6, generator=g)
    private = torch.randn(N, M, L, 4, generator=g)
    independent = dict(
        intra=intra_level_loss(shared, private, available),
        pr=private_redundancy_loss(private, available),
        sp=shared_private_leakage_loss(shared, private, available))
    assert all(v < 0.02 for v in independent.values()), independent
    leaky = private.clone()
    leaky[:, 1] = private[:, 0]  # both modalities' private streams identical
    assert intra_level_loss(shared, leaky, available) > 0.3
    redundant = private.clone()
    redundant[:, :, 1] = private[:, :, 0]  # level 2 repeats level 1
    assert private_redundancy_loss(redundant, available) > 0.3
    leaking = private.clone()
    leaking[:, :, 2] = shared[:, :,
                              0, :4]  # level-3 private copies level-1 shared
    assert shared_private_leakage_loss(shared, leaking, available) > 0.1


def test_level_mixing_penalises_only_non_adjacent_levels():
    assert level_mixing_loss(torch.tensor([[0.5, 0.5, 0.0]])) == 0
    torch.testing.assert_close(
        level_mixing_loss(torch.tensor([[0.5, 0.0, 0.5]])), torch.tensor(0.25))
    assert level_mixing_loss(torch.tensor([[0.5, 0.5]
                                           ])) == 0  # L = 2 has no far pair
    torch.testing.assert_close(
        level_mixing_loss(torch.full((1, 4), 0.25)), torch.tensor(3 / 16))


def test_penalty_ignores_sampling_noise_at_small_batches():
    """Independent streams at batch 16 with 32 features: raw ||C||^2 / D would
    be ~2."""
    g = torch.Generator().manual_seed(4)
    values = [
        cross_correlation_penalty(
            torch.randn(16, 32, generator=g), torch.randn(16, 32, generator=g))
        for _ in range(20)
    ]
    assert torch.stack(values).mean() < 0.3
    x = torch.randn(16, 32, generator=g)
    assert cross_correlation_penalty(
        x, x + 0.05 * torch.randn(16, 32, generator=g)) > 0.5
