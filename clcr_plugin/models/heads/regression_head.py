"""``RegressionHead``: one real value per sample (e.g. sentiment in [-3, 3])
with an L1 or MSE loss."""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

LOSSES = {'l1': F.l1_loss, 'mse': F.mse_loss}


@MODELS.register_module()
class RegressionHead(BaseModule):
    """Linear regression head on fused features; the recognizer's ``cls_head``.

    Reads the target from each data sample's ``gt_regression`` (``(1,)``
    float, as ``PackSentimentInputs`` packs it) and writes the prediction to
    ``pred_regression`` (``(1,)`` float).

    Args:
        in_channels (int): feature width; ``MultiModalRecognizer`` fills it
            from the neck's ``out_channels``.
        loss (str): ``'l1'`` (the sentiment literature's MAE objective) or
            ``'mse'``. Default 'l1'.
        loss_weight (float): factor of the loss. Default 1.0.
        dropout_ratio (float): dropout before the linear layer. Default 0.0.
        init_cfg (dict, optional): mmengine init config. Default None.
    """

    def __init__(self,
                 in_channels: int,
                 loss: str = 'l1',
                 loss_weight: float = 1.0,
                 dropout_ratio: float = 0.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if loss not in LOSSES:
            raise ValueError(
                f'RegressionHead.loss must be one of {sorted(LOSSES)}, got '
                f'{loss!r}')
        self.in_channels = in_channels
        self.loss_name = loss
        self.loss_weight = float(loss_weight)
        self.dropout = nn.Dropout(dropout_ratio)
        self.fc = nn.Linear(in_channels, 1)

    def forward(self, x: Tensor, num_segs: int = 1, **kwargs) -> Tensor:
        """``(N * V, C, ...)`` fused features -> ``(N,)`` predictions, the
        ``V`` views averaged before the linear layer."""
        x = x.flatten(1)
        x = x.reshape(-1, num_segs, x.shape[-1]).mean(1)  # (N, C)
        return self.fc(self.dropout(x)).squeeze(-1)

    @staticmethod
    def targets(data_samples: List, device: torch.device) -> Tensor:
        """``(N,)`` float targets from the samples' ``gt_regression``."""
        missing = [
            i for i, s in enumerate(data_samples) if 'gt_regression' not in s
        ]
        if missing:
            raise KeyError(f'data samples {missing} have no gt_regression; '
                           'pack them with PackSentimentInputs')
        return torch.stack([
            torch.as_tensor(s.gt_regression, dtype=torch.float32).reshape(())
            for s in data_samples
        ]).to(device)

    def loss(self, feats: Tensor, data_samples: List,
             **kwargs) -> Dict[str, Tensor]:
        """``dict(loss_regression=...)`` of the configured loss."""
        pred = self(feats, **kwargs)
        target = self.targets(data_samples, pred.device)
        return {
            'loss_regression':
            self.loss_weight * LOSSES[self.loss_name](pred, target)
        }

    def predict(self, feats: Tensor, data_samples: List, **kwargs) -> List:
        """Set ``pred_regression`` ``(1,)`` on each data sample; the rows of
        ``feats`` beyond one per sample are its views, averaged."""
        views = feats.shape[0] // max(len(data_samples), 1)
        pred = self(feats, num_segs=views).detach()
        for sample, value in zip(data_samples, pred):
            sample.set_field(value.reshape(1), 'pred_regression')
        return data_samples
