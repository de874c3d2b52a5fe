"""Small networks for the agents, and a cheap forward pass for acting.

An agent calls its network once per environment step on a single state.
Through :class:`~mlcore.Tensor` that call costs tens of microseconds of
bookkeeping (a graph node per operation) even under
:func:`~mlcore.no_grad`; :func:`numpy_forward` runs the same layers as
plain NumPy on the parameter arrays, several times faster, and falls back
to the ordinary forward pass for layers it does not know.
Chapter 25: Deep reinforcement learning.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcore import nn
from mlcore.rl._checks import check_hidden, check_positive_int
from mlcore.tensor import Tensor, no_grad

__all__ = ["mlp", "numpy_forward"]


def mlp(in_features: int, out_features: int, hidden: Any = (64,), rng: Any = None) -> nn.Sequential:
    """A ReLU multilayer perceptron ``in -> hidden... -> out`` with a linear output layer.

    Parameters
    ----------
    in_features, out_features : int
    hidden : int or sequence of int
        Widths of the hidden layers.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights (PyTorch's default uniform initialisation).

    Chapter 25: Deep reinforcement learning.
    """
    in_features = check_positive_int("mlp", "in_features", in_features)
    out_features = check_positive_int("mlp", "out_features", out_features)
    sizes = (in_features, *check_hidden("mlp", hidden), out_features)
    rng = np.random.default_rng(rng)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, rng=rng))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


_ELEMENTWISE = {nn.ReLU: lambda x: np.maximum(x, 0), nn.Tanh: np.tanh, nn.Identity: lambda x: x}


def numpy_forward(model: nn.Module, x: Any) -> np.ndarray:
    """The output of ``model`` on the array ``x``, with no gradient tracking.

    For a :class:`~mlcore.nn.Sequential` of :class:`~mlcore.nn.Linear`,
    ReLU, Tanh and Identity layers the layers are evaluated directly in
    NumPy, :math:`h \\leftarrow h W + b` and the activation; any other model
    runs its ordinary forward pass under :func:`~mlcore.no_grad`. Both
    give the same numbers (a test checks it).

    Chapter 25: Deep reinforcement learning.
    """
    if isinstance(model, nn.Sequential) and all(
            isinstance(layer, nn.Linear) or type(layer) in _ELEMENTWISE for layer in model.layers):
        h = np.asarray(x, dtype=model.layers[0].weight.data.dtype) if model.layers else np.asarray(x)
        for layer in model.layers:
            if isinstance(layer, nn.Linear):
                if h.shape[-1] != layer.in_features:
                    raise ValueError(f"numpy_forward: Linear({layer.in_features}, {layer.out_features}) "
                                     f"got input of shape {h.shape}")
                h = h @ layer.weight.data
                if layer.bias is not None:
                    h = h + layer.bias.data
            else:
                h = _ELEMENTWISE[type(layer)](h)
        return h
    with no_grad():
        return model(Tensor(x)).data
