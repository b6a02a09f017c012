"""TemporalConvNet: one output per stage, growing receptive field, padding
never reaches valid steps."""
import pytest
import torch

from clcr_plugin.models.encoders import TemporalConvNet


def tcn(**kwargs) -> TemporalConvNet:
    torch.manual_seed(0)
    return TemporalConvNet(**{'in_channels': 5, **kwargs}).double().eval()


def test_one_sequence_output_per_stage_with_its_channels():
    net = tcn(channels=(8, 16, 12))
    outs = net(torch.randn(2, 30, 5, dtype=torch.float64))
    assert [tuple(o.shape) for o in outs] == [(2, 30, 8), (2, 30, 16),
                                              (2, 30, 12)]


def test_receptive_field_grows_and_matches_the_steps_each_output_sees():
    net = tcn(channels=(6, 6, 6), dilations=(1, 2, 4))
    assert net.receptive_fields() == [5, 13, 29]
    T, t0 = 61, 30
    x = torch.randn(1, T, 5, dtype=torch.float64)
    bumped = x.clone()
    bumped[0, t0] += 1.0
    for out, bump, rf in zip(net(x), net(bumped), net.receptive_fields()):
        changed = (out - bump).abs().amax(-1)[0] > 1e-12
        window = (torch.arange(T) - t0).abs() <= (rf - 1) // 2
        assert torch.equal(changed, window), rf


def test_padded_steps_never_change_valid_outputs_and_come_out_zero():
    net = tcn()
    x = torch.randn(2, 20, 5, dtype=torch.float64)
    mask = torch.arange(20) < torch.tensor([[12], [20]])
    other = x.clone()
    other[0, 12:] = 100.0 * torch.randn(8, 5, dtype=torch.float64)
    for a, b in zip(net(x, mask), net(other, mask)):
        torch.testing.assert_close(a[mask], b[mask])
        assert a[0, 12:].abs().max() == 0


def test_bad_arguments_and_inputs_raise_naming_the_value():
    with pytest.raises(ValueError, match='kernel_size must be odd'):
        TemporalConvNet(5, kernel_size=4)
    with pytest.raises(ValueError, match='one entry per stage'):
        TemporalConvNet(5, channels=(8, 8), dilations=(1, 2, 4))
    with pytest.raises(
            ValueError, match=r'in_channels=5, got input of '
            r'shape \(1, 4, 7\)'):
        TemporalConvNet(5)(torch.randn(1, 4, 7))
    with pytest.raises(ValueError, match=r'mask must have shape \(1, 4\)'):
        TemporalConvNet(5)(torch.randn(1, 4, 5), torch.ones(1, 3).bool())
