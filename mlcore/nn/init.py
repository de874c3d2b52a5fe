"""Weight initialisers (Chapter 11: Vanishing and exploding gradients).

Each fills a :class:`~mlcore.nn.Parameter` (or any tensor) **in place** and
returns it, like PyTorch's ``torch.nn.init``.  The random ones take ``rng``: a
:class:`numpy.random.Generator` or an integer seed, so the same seed gives the
same weights.

Chapter 11 derives the scales: to keep the variance of activations (forward)
or of gradients (backward) constant from layer to layer, a layer with
:math:`n_\\text{in}` inputs and :math:`n_\\text{out}` outputs wants weights of variance

* :math:`\\mathrm{gain}^2 \\cdot 2/(n_\\text{in} + n_\\text{out})` -- Glorot & Bengio (2010), a
  compromise between the two directions;
* :math:`\\mathrm{gain}^2 / n` with :math:`n` = fan-in (forward) or fan-out (backward) --
  He et al. (2015), where :math:`\\mathrm{gain}^2 = 2` makes up for ReLU zeroing half its inputs.

**Fans in mlcore.** A :class:`~mlcore.nn.Linear` weight has shape
``(in_features, out_features)`` (PyTorch stores the transpose), so for a 2-D
weight fan-in is ``shape[0]`` and fan-out ``shape[1]``.  A convolution weight
``(out_channels, in_channels, *kernel)`` has fan-in ``in_channels * prod(kernel)``
and fan-out ``out_channels * prod(kernel)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlcore.tensor import Tensor

__all__ = [
    "calculate_gain", "compute_fans", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "zeros_", "ones_", "constant_", "normal_", "uniform_",
]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain by which to scale an initialiser's standard deviation for ``nonlinearity``.

    ================  ===========================================================
    nonlinearity      gain
    ================  ===========================================================
    linear, identity  :math:`1`
    sigmoid           :math:`1`
    tanh              :math:`5/3`
    relu              :math:`\\sqrt 2`
    leaky_relu        :math:`\\sqrt{2/(1 + a^2)}`, slope ``param`` (default 0.01)
    ================  ===========================================================

    The values follow PyTorch's ``calculate_gain`` so results transfer.

    Chapter 11: Vanishing and exploding gradients.
    """
    name = nonlinearity.lower()
    if name in ("linear", "identity", "sigmoid"):
        return 1.0
    if name == "tanh":
        return 5.0 / 3.0
    if name == "relu":
        return math.sqrt(2.0)
    if name == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of "
        f"'linear', 'identity', 'sigmoid', 'tanh', 'relu', 'leaky_relu'"
    )


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape``, with mlcore's layouts (see the module docstring).

    * ``(in_features, out_features)``: a :class:`~mlcore.nn.Linear` weight;
    * ``(out_channels, in_channels, k1, ...)``: a convolution weight.

    Chapter 11: Vanishing and exploding gradients.
    """
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(
            f"compute_fans: fan-in and fan-out need a weight with at least 2 dimensions, got shape {shape}"
        )
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _rng(rng: Any) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _fill(tensor: Any, values: Any) -> Any:
    """Write ``values`` into ``tensor`` in place, keeping its dtype; return ``tensor``."""
    data = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(data, np.ndarray):
        raise TypeError(f"init: expected a Tensor, Parameter or ndarray, got {type(tensor).__name__}")
    data[...] = values
    return tensor


def _fan(shape: tuple[int, ...], mode: str, fn: str) -> int:
    fan_in, fan_out = compute_fans(shape)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"{fn}: mode must be 'fan_in' or 'fan_out', got {mode!r}")


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0, rng: Any = None) -> Any:
    """Fill with :math:`\\mathcal U(a, b)`, variance :math:`(b-a)^2/12`.

    Chapter 11: Vanishing and exploding gradients.
    """
    if not a < b:
        raise ValueError(f"uniform_: need a < b, got a={a}, b={b}")
    return _fill(tensor, _rng(rng).uniform(a, b, size=tuple(tensor.shape)))


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0, rng: Any = None) -> Any:
    """Fill with :math:`\\mathcal N(\\text{mean}, \\text{std}^2)`.

    Chapter 11: Vanishing and exploding gradients.
    """
    if not std >= 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    return _fill(tensor, _rng(rng).normal(mean, std, size=tuple(tensor.shape)))


def constant_(tensor: Any, value: float) -> Any:
    """Fill with ``value``.

    Chapter 11: Vanishing and exploding gradients.
    """
    return _fill(tensor, value)


def zeros_(tensor: Any) -> Any:
    """Fill with 0 (the usual start for biases).

    Chapter 11: Vanishing and exploding gradients.
    """
    return _fill(tensor, 0.0)


def ones_(tensor: Any) -> Any:
    """Fill with 1 (e.g. a normalisation layer's scale :math:`\\gamma`).

    Chapter 11: Vanishing and exploding gradients.
    """
    return _fill(tensor, 1.0)


def xavier_uniform_(tensor: Any, gain: float = 1.0, rng: Any = None) -> Any:
    """Glorot/Xavier uniform: :math:`\\mathcal U(-a, a)` with :math:`a = \\mathrm{gain}\\sqrt{6/(n_\\text{in}+n_\\text{out})}`.

    The variance is :math:`a^2/3 = \\mathrm{gain}^2 \\cdot 2/(n_\\text{in}+n_\\text{out})`
    (Glorot & Bengio, 2010).  Chapter 11: Vanishing and exploding gradients.
    """
    fan_in, fan_out = compute_fans(tuple(tensor.shape))
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill(tensor, _rng(rng).uniform(-bound, bound, size=tuple(tensor.shape)))


def xavier_normal_(tensor: Any, gain: float = 1.0, rng: Any = None) -> Any:
    """Glorot/Xavier normal: :math:`\\mathcal N(0, \\sigma^2)` with :math:`\\sigma = \\mathrm{gain}\\sqrt{2/(n_\\text{in}+n_\\text{out})}`.

    Chapter 11: Vanishing and exploding gradients.
    """
    fan_in, fan_out = compute_fans(tuple(tensor.shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill(tensor, _rng(rng).normal(0.0, std, size=tuple(tensor.shape)))


def kaiming_uniform_(tensor: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     rng: Any = None) -> Any:
    """He/Kaiming uniform: :math:`\\mathcal U(-b, b)` with :math:`b = \\mathrm{gain}\\sqrt{3/n}`.

    The variance is :math:`\\mathrm{gain}^2/n`, :math:`n` the fan selected by ``mode``
    (``'fan_in'`` preserves the forward variance, ``'fan_out'`` the backward one);
    ``gain = calculate_gain(nonlinearity, a)``, :math:`\\sqrt2` for ReLU (the default,
    ``leaky_relu`` with slope ``a = 0``).  He et al. (2015); Chapter 11: Vanishing and
    exploding gradients.
    """
    fan = _fan(tuple(tensor.shape), mode, "kaiming_uniform_")
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return _fill(tensor, _rng(rng).uniform(-bound, bound, size=tuple(tensor.shape)))


def kaiming_normal_(tensor: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    rng: Any = None) -> Any:
    """He/Kaiming normal: :math:`\\mathcal N(0, \\mathrm{gain}^2/n)`, arguments as :func:`kaiming_uniform_`.

    Chapter 11: Vanishing and exploding gradients.
    """
    fan = _fan(tuple(tensor.shape), mode, "kaiming_normal_")
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return _fill(tensor, _rng(rng).normal(0.0, std, size=tuple(tensor.shape)))
