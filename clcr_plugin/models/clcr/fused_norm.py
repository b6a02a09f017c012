"""Per-feature normalisation of CLCR's fused representation."""
import torch.nn.functional as F
from torch import Tensor, nn


class FusedFeatureNorm(nn.BatchNorm1d):
    """Standardise each feature of the fused code ``(N, D)`` over the batch,
    then a learned scale and shift (batch normalisation).

    The fused code puts blocks of very different scales side by side (the
    gated private codes ``eta * omega * p`` against the shared code), which a
    linear head reads slowly; standardising each feature gives every block
    the same footing (see docs/choices.md, "Training CLCR end to end").
    Training uses batch statistics and updates running ones, evaluation uses
    the running ones; a training batch of one sample, which has no batch
    statistics, uses the running ones too.

    Args:
        num_features: ``D``.
    """

    def forward(self, x: Tensor) -> Tensor:
        """(N, D) -> (N, D)."""
        if self.training and x.shape[0] < 2:
            return F.batch_norm(x, self.running_mean, self.running_var,
                                self.weight, self.bias, False, 0.0, self.eps)
        return super().forward(x)
