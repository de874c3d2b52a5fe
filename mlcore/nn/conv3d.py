"""The 3-D convolution layer ``nn.Conv3d`` (NCDHW), built on :mod:`mlcore.conv3d`.

Chapter 26: Action recognition in videos.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcore import conv3d as C3
from mlcore._checks import check_int, check_int_tuple
from mlcore.nn import init
from mlcore.nn.module import Module, Parameter
from mlcore.tensor import Tensor

__all__ = ["Conv3d"]


class Conv3d(Module):
    """3-D convolution layer: (N, in_channels, D, H, W) -> (N, out_channels, OD, OH, OW).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, dilation : int or (int, int, int)
    groups : int
        Only 1 is implemented.
    bias : bool
    rng : numpy.random.Generator or int, optional
        Source of the He-uniform initial weights (as ``nn.Conv2d``); the bias starts at zero.

    ``weight`` has shape ``(out_channels, in_channels, KD, KH, KW)`` as in
    PyTorch.  Chapter 26: Action recognition in videos.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, rng: Any = None):
        name = "Conv3d"
        self.in_channels = check_int(name, "in_channels", in_channels)
        self.out_channels = check_int(name, "out_channels", out_channels)
        if check_int(name, "groups", groups) != 1:
            raise ValueError(f"{name}: groups must be 1 (grouped 3-D convolution is not implemented), got {groups}")
        self.groups = 1
        self.kernel_size = check_int_tuple(name, "kernel_size", kernel_size, 3, 1)
        self.stride = check_int_tuple(name, "stride", stride, 3, 1)
        self.padding = check_int_tuple(name, "padding", padding, 3, 0)
        self.dilation = check_int_tuple(name, "dilation", dilation, 3, 1)
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        self.weight = init.kaiming_uniform_(Parameter(np.zeros(shape)), nonlinearity="relu",
                                            rng=np.random.default_rng(rng))
        self.bias = Parameter(np.zeros(self.out_channels)) if bias else None

    def forward(self, x: Any) -> Tensor:
        return C3.conv3d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
                + (f", padding={self.padding}" if any(self.padding) else "")
                + (f", dilation={self.dilation}" if any(q != 1 for q in self.dilation) else "")
                + ("" if self.bias is not None else ", bias=False"))
