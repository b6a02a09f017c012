import pytest
import torch
from torch import nn
from torch.nn.utils.parametrizations import orthogonal

from clcr_plugin.models.clcr import SharedPrivateBases
from clcr_plugin.models.clcr.subspaces import orthogonal_linear


def assert_bases_orthogonal(bases: SharedPrivateBases, names):
    u_sh, u_pr = bases.bases(names)
    eye_sh = torch.eye(u_sh.shape[1])
    torch.testing.assert_close(u_sh.T @ u_sh, eye_sh, atol=1e-5, rtol=0)
    for m in names:
        torch.testing.assert_close(
            u_pr[m].T @ u_pr[m],
            torch.eye(u_pr[m].shape[1]),
            atol=1e-5,
            rtol=0)
        assert (u_pr[m].T @ u_sh).abs().max() < 1e-5


def test_bases_orthonormal_and_private_orthogonal_to_shared():
    bases = SharedPrivateBases(32, 12, 8, ['rgb', 'audio', 'text'])
    assert_bases_orthogonal(bases, ['rgb', 'audio', 'text'])


def test_bases_stay_on_the_manifold_after_50_optimiser_steps():
    torch.manual_seed(0)
    names = ['rgb', 'audio']
    bases = SharedPrivateBases(24, 10, 6, names)
    before = bases.shared_basis().detach().clone()
    opt = torch.optim.SGD(bases.parameters(), lr=0.5, momentum=0.9)
    x = torch.randn(64, 24)
    target = torch.randn(64, 10)
    for _ in range(50):
        shared, private = bases({
            'rgb': x.unsqueeze(1),
            'audio': x.unsqueeze(1) * 2
        })
        loss = (shared['rgb'].squeeze(1) -
                target).pow(2).mean() + private['audio'].pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert not torch.allclose(before, bases.shared_basis())  # it did learn
    assert_bases_orthogonal(bases, names)


def test_private_basis_survives_adamw_weight_decay():
    """Regression: with torch's householder map the private basis became
    exactly 0 after one AdamW step."""
    torch.manual_seed(0)
    names = ['rgb', 'audio']
    bases = SharedPrivateBases(32, 12, 8, names)
    opt = torch.optim.AdamW(bases.parameters(), lr=1e-3, weight_decay=1e-4)
    x = torch.randn(16, 5, 32)
    for _ in range(5):
        shared, private = bases({m: x for m in names})
        loss = sum(private[m].sum() + shared[m].sum() for m in names) * 1e-3
        opt.zero_grad()
        loss.backward()
        opt.step()
    _, u_pr = bases.bases(names)
    for m in names:
        assert u_pr[m].norm().item() == pytest.approx(8**0.5, rel=1e-4)
    assert_bases_orthogonal(bases, names)


def test_projection_splits_tokens_into_orthogonal_components():
    bases = SharedPrivateBases(16, 6, 4, ['a'])
    u_sh, u_pr = bases.bases(['a'])
    h = torch.randn(3, 5, 16)
    shared, private = bases({'a': h})
    torch.testing.assert_close(shared['a'], h @ u_sh)
    # a token inside the private subspace has no shared component
    inside_private = torch.randn(3, 5, 4) @ u_pr['a'].T
    shared_p, private_p = bases({'a': inside_private})
    assert shared_p['a'].abs().max() < 1e-5
    assert private_p['a'].abs().max() > 0.1


def test_invalid_dims_raise_with_values():
    import pytest
    with pytest.raises(
            ValueError, match='shared_dim=12, private_dim=8, embed_dim=16'):
        SharedPrivateBases(16, 12, 8, ['a'])


@pytest.mark.parametrize('in_features,out_features', [(6, 6), (3, 5), (5, 3)])
def test_sync_free_cayley_equals_torch_cayley(in_features, out_features):
    torch.manual_seed(0)
    ref = orthogonal(
        nn.Linear(in_features, out_features, bias=False),
        orthogonal_map='cayley')
    ours = orthogonal_linear(in_features, out_features, 'cayley')
    assert ours.state_dict().keys() == ref.state_dict().keys()
    with torch.no_grad():  # away from the identity the trivialisation starts
        for p in ref.parameters():
            p.add_(0.3 * torch.randn_like(p))
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(4, in_features)
    ref(x).pow(2).sum().backward()
    ours(x).pow(2).sum().backward()
    assert torch.equal(ours.weight, ref.weight)
    for p, q in zip(ours.parameters(), ref.parameters()):
        assert torch.equal(p.grad, q.grad)
    w = ours.weight if out_features >= in_features else ours.weight.T
    torch.testing.assert_close(
        w.T @ w, torch.eye(min(in_features, out_features)), atol=1e-5, rtol=0)


def test_checkpoint_records_the_map_and_refuses_the_other_one():
    cayley = SharedPrivateBases(8, 4, 2, ['a', 'b'])
    assert cayley.orthogonal_map == 'cayley'  # the default
    exp = SharedPrivateBases(8, 4, 2, ['a', 'b'], orthogonal_map='matrix_exp')
    state = cayley.state_dict()
    assert int(state['orthogonal_map_id']) == 0  # cayley
    SharedPrivateBases(8, 4, 2, ['a', 'b']).load_state_dict(state)
    with pytest.raises(
            ValueError,
            match=r"orthogonal_map_id: the checkpoint's Stiefel bases use "
            r"orthogonal_map='cayley', this model 'matrix_exp'"):
        exp.load_state_dict(state)


def test_a_checkpoint_without_the_map_warns_that_it_was_matrix_exp():
    state = SharedPrivateBases(8, 4, 2, ['a']).state_dict()
    del state['orthogonal_map_id']  # saved before the map was recorded
    with pytest.warns(UserWarning, match="used 'matrix_exp'"):
        SharedPrivateBases(8, 4, 2, ['a']).load_state_dict(state, strict=False)
