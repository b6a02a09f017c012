import torch
from test_clcr import build, inputs
from torch import nn

from clcr_plugin.models.clcr import FusedFeatureNorm


def test_training_standardises_each_feature_over_the_batch():
    torch.manual_seed(0)
    x = torch.randn(16, 6) * torch.tensor([0.1, 0.3, 1, 10, 100, 3]) + 5
    y = FusedFeatureNorm(6).train()(x)
    torch.testing.assert_close(y.mean(0), torch.zeros(6), atol=1e-4, rtol=0)
    torch.testing.assert_close(
        y.var(0, unbiased=False), torch.ones(6), atol=1e-2, rtol=0)


def test_evaluation_uses_the_running_statistics():
    norm = FusedFeatureNorm(3)
    x = torch.randn(8, 3) * 4 + 2
    norm.train()(x)
    norm.eval()
    z = torch.randn(5, 3)
    expected = (z - norm.running_mean) / torch.sqrt(norm.running_var +
                                                    norm.eps)
    torch.testing.assert_close(norm(z), expected)


def test_a_training_batch_of_one_uses_running_statistics_and_keeps_them():
    norm = FusedFeatureNorm(3).train()
    norm(torch.randn(8, 3) * 2 + 1)
    mean, var = norm.running_mean.clone(), norm.running_var.clone()
    z = torch.randn(1, 3, requires_grad=True)
    y = norm(z)
    torch.testing.assert_close(y, (z - mean) / torch.sqrt(var + norm.eps))
    torch.testing.assert_close(norm.running_mean, mean)
    y.sum().backward()
    assert torch.isfinite(z.grad).all()


def test_clcr_output_norm_standardises_the_fused_code_and_is_off_by_default():
    names = ('rgb', 'audio')
    assert isinstance(build(names).output_norm, nn.Identity)
    model = build(names, output_norm=True).train()
    fused = model(inputs(names, 8)).fused
    assert fused.shape == (8, model.out_dim)
    torch.testing.assert_close(
        fused.mean(0), torch.zeros(model.out_dim), atol=1e-4, rtol=0)
