import pytest
import torch
import torch.nn.functional as F

from clcr_plugin.models.clcr import (SemanticHierarchyEncoder, TokenAdapter,
                                     default_grid, feature_channels)


@pytest.mark.parametrize('shape,grid,tokens',
                         [((2, 8, 12, 10), (3, 2), 6),
                          ((2, 8, 4, 6, 6), (2, 3, 3), 18),
                          ((2, 11, 8), (4, ), 4)])
def test_adapter_accepts_2d_3d_and_sequences(shape, grid, tokens):
    adapter = TokenAdapter(8, 16, grid)
    out, mask = adapter(torch.randn(*shape))
    assert out.shape == (2, tokens,
                         16) and mask.shape == (2, tokens) and mask.all()
    # LN output: zero mean, unit variance per token (LN affine starts at
    # identity)
    torch.testing.assert_close(
        out.mean(-1), torch.zeros(2, tokens), atol=1e-5, rtol=0)


def test_2d_pooling_values_are_block_means():
    adapter = TokenAdapter(1, 4, (2, 2))
    x = torch.arange(16.).reshape(1, 1, 4, 4)
    tokens, _ = adapter.pool(x)
    torch.testing.assert_close(
        tokens.squeeze(-1), torch.tensor([[2.5, 4.5, 10.5, 12.5]]))


def test_sequence_pooling_ignores_padding_and_masks_empty_bins():
    adapter = TokenAdapter(1, 4, (4, ))
    x = torch.tensor([[1., 3., 5., 7., 100., 100., 100., 100.]]).unsqueeze(-1)
    mask = torch.tensor([[True] * 4 + [False] * 4])
    tokens, token_mask = adapter.pool(x, mask)
    torch.testing.assert_close(tokens[0, :2, 0], torch.tensor([2., 6.]))
    assert token_mask.tolist() == [[True, True, False, False]]
    out, _ = adapter(x, mask)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize('shape,grid', [((3, 5, 4), (5, )),
                                        ((3, 4, 2, 3), (2, 3)),
                                        ((3, 4, 2, 2, 3), (2, 2, 3))])
def test_pooling_to_the_input_size_is_the_identity(shape, grid):
    adapter = TokenAdapter(4, 8, grid)
    torch.manual_seed(0)
    x = torch.randn(*shape)
    mask = None
    if len(grid) == 1:
        mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2,
                             [False] * 5])
    tokens, token_mask = adapter.pool(x, mask)
    if len(grid) == 1:
        valid = mask.unsqueeze(1).float()
        pooled = F.adaptive_avg_pool1d(x.transpose(1, 2) * valid, 5)
        expected = (pooled / F.adaptive_avg_pool1d(valid, 5).clamp_min(1e-6))
        expected_mask = mask
    else:
        pool = F.adaptive_avg_pool2d if len(grid) == 2 else \
            F.adaptive_avg_pool3d
        expected = pool(x, grid).flatten(2)
        expected_mask = torch.ones(3, expected.shape[-1], dtype=torch.bool)
    torch.testing.assert_close(
        tokens, expected.transpose(1, 2), rtol=0, atol=0)
    assert torch.equal(token_mask, expected_mask)


def test_wrong_input_kind_is_a_clear_error():
    adapter = TokenAdapter(8, 16, (2, 2))
    with pytest.raises(
            ValueError, match=r'2D map \(N, C, H, W\).*\(2, 8, 5\)'):
        adapter(torch.randn(2, 8, 5))
    with pytest.raises(ValueError, match='grid must be'):
        TokenAdapter(8, 16, (1, 2, 3, 4))


def test_encoder_supports_any_number_of_levels_and_validates_config():
    enc = SemanticHierarchyEncoder(
        {'a': dict(in_channels=[4] * 5, grids=[(2, )] * 5)}, 8)
    assert enc.num_levels == 5
    with pytest.raises(ValueError, match='same number of levels'):
        SemanticHierarchyEncoder(
            {
                'a': dict(in_channels=[4], grids=[(2, )]),
                'b': dict(in_channels=[4, 4], grids=[(2, ), (2, )])
            }, 8)
    with pytest.raises(KeyError, match=r"modalities\['a'\] lacks \['grids'\]"):
        SemanticHierarchyEncoder({'a': dict(in_channels=[4])}, 8)
    with pytest.raises(
            ValueError,
            match="modality 'a' got 1 level features, configured for 5"):
        enc({'a': [torch.randn(1, 3, 4)]})


@pytest.mark.parametrize('shape,grid,channels',
                         [((1, 512, 2, 4), (2, 4), 512),
                          ((1, 128, 5, 13), (2, 4), 128),
                          ((1, 64, 1, 1), (1, 1), 64),
                          ((1, 256, 3, 4, 4), (3, 2, 2), 256),
                          ((1, 32, 8, 7, 7), (4, 2, 2), 32),
                          ((1, 20, 768), (8, ), 768), ((1, 5, 16), (5, ), 16)])
def test_default_grid_caps_each_axis_and_channels_follow_the_layout(
        shape, grid, channels):
    assert default_grid(shape) == grid
    assert feature_channels(shape) == channels
    TokenAdapter(channels, 8, default_grid(shape))(torch.randn(
        2, *shape[1:]))  # the grid fits the feature


def test_default_grid_rejects_other_layouts():
    with pytest.raises(ValueError, match=r'got shape \(1, 8\)'):
        default_grid((1, 8))
