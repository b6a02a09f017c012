"""A three-stage (any-stage) temporal convolution network over feature
sequences; one output per stage, i.e. one CLCR level each."""
from typing import List, Optional, Sequence, Tuple

import torch.nn.functional as F
from torch import Tensor, nn


class TemporalBlock(nn.Module):
    """Residual block of two dilated 'same' 1-D convolutions.

    Padded steps are zeroed before every convolution, so valid outputs never
    see them (padding acts like the sequence's end); outputs at padded steps
    are 0. LayerNorm over channels keeps padding out of any statistics.

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels.
        kernel_size (int): odd kernel size.
        dilation (int): dilation of both convolutions.
        dropout (float): dropout after the first convolution.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 dilation: int, dropout: float) -> None:
        super().__init__()
        padding = (kernel_size - 1) // 2 * dilation
        self.conv1 = nn.Conv1d(
            in_channels,
            out_channels,
            kernel_size,
            padding=padding,
            dilation=dilation)
        self.conv2 = nn.Conv1d(
            out_channels,
            out_channels,
            kernel_size,
            padding=padding,
            dilation=dilation)
        self.norm1 = nn.LayerNorm(out_channels)
        self.norm2 = nn.LayerNorm(out_channels)
        self.dropout = nn.Dropout(dropout)
        self.skip = (
            nn.Conv1d(in_channels, out_channels, 1)
            if in_channels != out_channels else nn.Identity())

    @staticmethod
    def _norm(norm: nn.LayerNorm, x: Tensor) -> Tensor:
        return norm(x.transpose(1, 2)).transpose(1, 2)

    def forward(self, x: Tensor, valid: Tensor) -> Tensor:
        """(N, C_in, T) and (N, 1, T) float 0/1 -> (N, C_out, T)."""
        h = F.gelu(self._norm(self.norm1, self.conv1(x * valid)))
        h = self._norm(self.norm2, self.conv2(self.dropout(h) * valid))
        return F.gelu(h + self.skip(x)) * valid


class TemporalConvNet(nn.Module):
    """Stages of residual dilated convolutions over ``(N, T, D)`` sequences.

    Stage ``s`` uses dilation ``dilations[s]``; with growing dilations each
    stage sees a wider window (see :meth:`receptive_fields`), shallow to
    deep. The time axis is kept (stride 1), so a padding mask holds at every
    stage.

    Args:
        in_channels (int): feature width ``D`` of the input.
        channels (Sequence[int]): output channels per stage.
            Default (64, 64, 64).
        dilations (Sequence[int]): dilation per stage. Default (1, 2, 4).
        kernel_size (int): odd kernel size. Default 3.
        blocks_per_stage (int): residual blocks per stage. Default 1.
        dropout (float): dropout inside each block. Default 0.1.
    """

    def __init__(self,
                 in_channels: int,
                 channels: Sequence[int] = (64, 64, 64),
                 dilations: Sequence[int] = (1, 2, 4),
                 kernel_size: int = 3,
                 blocks_per_stage: int = 1,
                 dropout: float = 0.1) -> None:
        super().__init__()
        if len(channels) != len(dilations) or not channels:
            raise ValueError(
                f'channels {tuple(channels)} and dilations '
                f'{tuple(dilations)} need one entry per stage each')
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(
                f'kernel_size must be odd and positive, got {kernel_size}')
        if blocks_per_stage < 1 or min(dilations) < 1:
            raise ValueError('blocks_per_stage and dilations must be >= 1, '
                             f'got {blocks_per_stage}, {tuple(dilations)}')
        self.in_channels = int(in_channels)
        self.kernel_size = kernel_size
        self.dilations = tuple(int(d) for d in dilations)
        self.blocks_per_stage = blocks_per_stage
        self.stages = nn.ModuleList()
        width = self.in_channels
        for out, dilation in zip(channels, self.dilations):
            blocks = []
            for _ in range(blocks_per_stage):
                blocks.append(
                    TemporalBlock(width, out, kernel_size, dilation, dropout))
                width = out
            self.stages.append(nn.ModuleList(blocks))
        # One input for the build-time dry run of MultiModalRecognizer.
        self.dry_run_shape = (8, self.in_channels)

    def receptive_fields(self) -> List[int]:
        """Input steps each stage's output sees, per stage (grows with s)."""
        fields, rf = [], 1
        for dilation in self.dilations:
            rf += 2 * self.blocks_per_stage * (self.kernel_size - 1) * dilation
            fields.append(rf)
        return fields

    def forward(self,
                x: Tensor,
                mask: Optional[Tensor] = None) -> Tuple[Tensor, ...]:
        """``x`` (N, T, D), ``mask`` (N, T) bool (True = valid) ->
        one (N, T, C_s) output per stage."""
        N, T, D = x.shape
        if D != self.in_channels:
            raise ValueError(f'TemporalConvNet has in_channels='
                             f'{self.in_channels}, got input of shape '
                             f'{tuple(x.shape)}')
        if mask is None:
            valid = x.new_ones(N, 1, T)
        elif mask.shape != (N, T):
            raise ValueError(f'mask must have shape {(N, T)}, got '
                             f'{tuple(mask.shape)}')
        else:
            valid = mask.to(x.dtype).unsqueeze(1)
        h = x.transpose(1, 2)  # (N, D, T)
        outs = []
        for stage in self.stages:
            for block in stage:
                h = block(h, valid)
            outs.append(h.transpose(1, 2))  # (N, T, C_s)
        return tuple(outs)
