"""TokenBudget: gates on the capped simplex with a learnable, bounded
participation rate."""
import pytest
import torch

from clcr_plugin.models.clcr import IntraCED, TokenBudget


def make_intra():
    torch.manual_seed(0)
    return IntraCED(['a', 'b'],
                    embed_dim=24,
                    shared_dim=8,
                    private_dim=6,
                    num_heads=2,
                    budget=dict(init_rate=0.5))


def test_gates_sum_to_rate_times_valid_tokens():
    intra = make_intra()
    tokens = {'a': torch.randn(4, 6, 24), 'b': torch.randn(4, 5, 24)}
    masks = {
        'a': torch.ones(4, 6, dtype=torch.bool),
        'b': torch.rand(4, 5) > 0.3
    }
    out = intra(tokens, masks)
    for m in ('a', 'b'):
        torch.testing.assert_close(
            out.gates[m].sum(-1),
            0.5 * masks[m].sum(-1).float(),
            atol=1e-5,
            rtol=0)
        assert (out.gates[m][~masks[m]] == 0).all()


def test_budget_rate_is_bounded_and_initialised():
    budget = TokenBudget(init_rate=0.68, min_rate=0.2, max_rate=0.9)
    torch.testing.assert_close(budget.rate, torch.tensor(0.68))
    with torch.no_grad():
        budget.rate_logit.fill_(100.0)
    assert budget.rate <= 0.9
    with torch.no_grad():
        budget.rate_logit.fill_(-100.0)
    assert budget.rate >= 0.2


def test_budget_rate_receives_gradient_from_the_task():
    intra = make_intra()
    tokens = {'a': torch.randn(2, 6, 24), 'b': torch.randn(2, 5, 24)}
    masks = {
        m: torch.ones(2, t.shape[1], dtype=torch.bool)
        for m, t in tokens.items()
    }
    intra(tokens, masks).shared['b'].pow(2).sum().backward()
    assert intra.budget.rate_logit.grad.abs() > 0
    assert intra.budget.scale_param.grad.abs() > 0


def test_budget_config_errors_name_the_values():
    with pytest.raises(ValueError, match='init_rate=1.2'):
        TokenBudget(init_rate=1.2)
    with pytest.raises(
            ValueError, match='budget.score_scale=0: expected a positive'):
        TokenBudget(score_scale=0)
