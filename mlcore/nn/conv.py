"""Convolution and pooling layers (Chapter 14: Convolutional networks).

Thin modules over :mod:`mlcore.conv`: a layer holds its weights and settings,
checks its input (an error names the layer and both shapes), and calls the
functional form, which uses the implementation chosen with
:func:`mlcore.conv.set_backend`.  Layouts are PyTorch's: images
``(N, C, H, W)``, sequences ``(N, C, L)``, weights ``(out_channels,
in_channels/groups, *kernel)``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from mlcore import conv as C
from mlcore._checks import check_int, check_int_tuple
from mlcore.nn import init
from mlcore.nn.module import Module, Parameter
from mlcore.tensor import Function, Tensor, as_tensor

__all__ = [
    "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "GlobalAvgPool",
]

Size = int | Sequence[int]


class _ConvNd(Module):
    """Shared code of :class:`Conv1d` and :class:`Conv2d` (``d`` spatial axes)."""

    d = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Size, stride: Size = 1,
                 padding: Size = 0, dilation: Size = 1, groups: int = 1, bias: bool = True, rng: Any = None):
        name = type(self).__name__
        in_channels = check_int(name, "in_channels", in_channels)
        out_channels = check_int(name, "out_channels", out_channels)
        groups = check_int(name, "groups", groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: groups={groups} must divide in_channels={in_channels} "
                             f"and out_channels={out_channels}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = check_int_tuple(name, "kernel_size", kernel_size, self.d, 1)
        self.stride = check_int_tuple(name, "stride", stride, self.d, 1)
        self.padding = check_int_tuple(name, "padding", padding, self.d, 0)
        self.dilation = check_int_tuple(name, "dilation", dilation, self.d, 1)
        rng = np.random.default_rng(rng)
        shape = (out_channels, in_channels // groups) + self.kernel_size
        # He (Kaiming) uniform for ReLU networks: variance 2 / fan_in, fan_in = in/groups * prod(kernel).
        self.weight = init.kaiming_uniform_(Parameter(np.zeros(shape)), nonlinearity="relu", rng=rng)
        self.bias = Parameter(np.zeros(out_channels)) if bias else None

    def forward(self, x: Any) -> Tensor:
        return C._conv(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                       None, self.d, repr(self))

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if any(self.padding):
            text += f", padding={self.padding}"
        if any(q != 1 for q in self.dilation):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv2d(_ConvNd):
    """2-D convolution layer: (N, in_channels, H, W) -> (N, out_channels, OH, OW).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, dilation : int or (int, int)
    groups : int
        Split the channels into independent convolutions (``groups = in_channels``
        is a depthwise convolution).
    bias : bool
    rng : numpy.random.Generator or int, optional
        Source of the initial weights: He-uniform,
        :math:`\\mathcal U(-\\sqrt{6/n_\\text{in}}, \\sqrt{6/n_\\text{in}})` with
        :math:`n_\\text{in} = \\text{in\\_channels}/\\text{groups} \\cdot KH \\cdot KW`;
        the bias starts at zero.

    ``weight`` has shape ``(out_channels, in_channels/groups, KH, KW)``.
    Chapter 14: Convolutional networks.
    """

    d = 2


class Conv1d(_ConvNd):
    """1-D convolution layer: (N, in_channels, L) -> (N, out_channels, OL).

    Arguments as :class:`Conv2d`, with integer (or 1-tuple) sizes; ``weight``
    has shape ``(out_channels, in_channels/groups, K)``.  Chapter 14.
    """

    d = 1


class _PoolNd(Module):
    """Shared code of the pooling layers: ``kernel_size``, ``stride`` (default: the kernel), ``padding``."""

    d = 2
    function: type[Function]  # MaxPool2dFunction or AvgPool2dFunction

    def __init__(self, kernel_size: Size, stride: Size | None = None, padding: Size = 0):
        name = type(self).__name__
        self.kernel_size = check_int_tuple(name, "kernel_size", kernel_size, self.d, 1)
        self.stride = self.kernel_size if stride is None else check_int_tuple(name, "stride", stride, self.d, 1)
        self.padding = check_int_tuple(name, "padding", padding, self.d, 0)
        C._check_pool_padding(name, self.padding, self.kernel_size)

    def forward(self, x: Any) -> Tensor:
        return C._pool(self.function, x, self.kernel_size, self.stride, self.padding, None, self.d, repr(self))

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}"
        return text + (f", padding={self.padding}" if any(self.padding) else "")


class MaxPool2d(_PoolNd):
    """Max pooling of images: the largest value of each window.

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int)
        :math:`-\\infty` added on each side, at most half the kernel.

    Chapter 14: Convolutional networks.
    """

    d = 2
    function = C.MaxPool2dFunction


class MaxPool1d(_PoolNd):
    """Max pooling of sequences (N, C, L); arguments as :class:`MaxPool2d`.  Chapter 14."""

    d = 1
    function = C.MaxPool2dFunction


class AvgPool2d(_PoolNd):
    """Average pooling of images: the mean of each window (zero padding counts in the mean).

    Arguments as :class:`MaxPool2d`.  Chapter 14: Convolutional networks.
    """

    d = 2
    function = C.AvgPool2dFunction


class AvgPool1d(_PoolNd):
    """Average pooling of sequences (N, C, L); arguments as :class:`AvgPool2d`.  Chapter 14."""

    d = 1
    function = C.AvgPool2dFunction


class GlobalAvgPool(Module):
    """Average each channel over all its positions: (N, C, H, W) or (N, C, L) -> (N, C).

    PyTorch's ``AdaptiveAvgPool2d(1)`` followed by ``Flatten()``: the head of
    networks that classify from whole-image features.  Chapter 14: Convolutional networks.
    """

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        if x.ndim not in (3, 4):
            raise ValueError(f"GlobalAvgPool(): expected input of shape (N, C, L) or (N, C, H, W), got {x.shape}")
        return C.global_avg_pool(x)
