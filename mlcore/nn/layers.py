"""Layers: a dense (fully connected) layer and activation modules."""

from __future__ import annotations

import numpy as np

from mlcore import functional as F
from mlcore.nn.module import Module, Parameter
from mlcore.tensor import Tensor, as_tensor

__all__ = ["Linear", "ReLU", "Sigmoid", "Tanh"]


class Linear(Module):
    """Dense layer :math:`y = xW + b` (chapter 6 derives its backward pass).

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output sample.
    bias : bool
        Whether to add the learnable bias ``b``.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights, drawn uniformly from
        :math:`[-1/\\sqrt{\\text{in}}, 1/\\sqrt{\\text{in}}]`.

    Notes
    -----
    ``weight`` has shape ``(in_features, out_features)``, so that a batch
    ``x`` of shape ``(N, in_features)`` maps to ``x @ weight`` of shape
    ``(N, out_features)``, the convention of the book's derivations.
    (PyTorch stores the transpose.)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng=None):
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear: sizes must be positive, got {in_features} -> {out_features}")
        rng = np.random.default_rng(rng)
        bound = 1.0 / np.sqrt(in_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(rng.uniform(-bound, bound, size=(in_features, out_features)))
        self.bias = Parameter(rng.uniform(-bound, bound, size=out_features)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}): expected input with last "
                f"dimension {self.in_features}, got shape {x.shape}"
            )
        y = x @ self.weight
        return y + self.bias if self.bias is not None else y

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    """Module form of :func:`mlcore.functional.relu`."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class Sigmoid(Module):
    """Module form of :func:`mlcore.functional.sigmoid`."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """Module form of :func:`mlcore.functional.tanh`."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)
