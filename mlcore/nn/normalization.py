"""Batch normalisation and layer normalisation (Chapter 13: Normalisation).

Both standardise activations, :math:`\\hat x = (x - \\mu)/\\sqrt{\\sigma^2 + \\epsilon}`,
then apply a learnable affine map :math:`y = \\gamma \\hat x + \\beta`.  They differ
only in *which* entries share a mean and variance: batch norm pools each
channel over the batch (and any spatial axes), layer norm pools each sample
over its trailing feature axes.

The fused :class:`BatchNormFunction` and :class:`LayerNormFunction` compute the
backward pass in closed form.  With :math:`m` entries per statistic and
:math:`\\hat g = \\partial L/\\partial \\hat x = \\gamma\\, \\partial L/\\partial y`,

.. math::
    \\frac{\\partial L}{\\partial x} = \\frac{1}{m\\sqrt{\\sigma^2+\\epsilon}}
    \\Big(m\\,\\hat g - \\sum \\hat g - \\hat x \\sum \\hat g \\odot \\hat x\\Big),
    \\qquad
    \\frac{\\partial L}{\\partial \\gamma} = \\sum \\frac{\\partial L}{\\partial y}\\,\\hat x,
    \\qquad
    \\frac{\\partial L}{\\partial \\beta} = \\sum \\frac{\\partial L}{\\partial y}.

:func:`batch_norm_reference` and :func:`layer_norm_reference` build the same
forward pass from primitive :mod:`mlcore.ops` operations, so autograd
differentiates them through the whole computational graph: they are the
readable reference the tests compare the fused versions with.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from mlcore._checks import check_int
from mlcore.nn.module import Module, Parameter
from mlcore.tensor import Context, Function, Tensor, as_tensor, get_default_dtype

__all__ = [
    "batch_norm", "layer_norm", "batch_norm_reference", "layer_norm_reference",
    "BatchNormFunction", "LayerNormFunction", "BatchNorm1d", "BatchNorm2d", "LayerNorm",
]


def _standardise(x: np.ndarray, axes: tuple[int, ...], eps: float):
    """:math:`\\hat x`, the mean, the biased variance and :math:`1/\\sqrt{\\sigma^2+\\epsilon}` over ``axes``."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)  # biased (divides by m): what the forward pass uses
    inv_std = 1.0 / np.sqrt(var + eps)
    return (x - mean) * inv_std, mean, var, inv_std


def _standardise_backward(g_hat: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray,
                          axes: tuple[int, ...]) -> np.ndarray:
    """:math:`\\partial L/\\partial x` from :math:`\\hat g = \\partial L/\\partial \\hat x` (closed form above)."""
    m = int(np.prod([x_hat.shape[a] for a in axes]))
    return (inv_std / m) * (
        m * g_hat
        - g_hat.sum(axis=axes, keepdims=True)
        - x_hat * (g_hat * x_hat).sum(axis=axes, keepdims=True)
    )


# ---------------------------------------------------------------------------
# Batch normalisation
# ---------------------------------------------------------------------------


class BatchNormFunction(Function):
    """Fused batch norm over axis 1 (channels) of an ``(N, C, ...)`` input.

    In training, the statistics are the batch's (mean and biased variance over
    every axis but 1) and the backward pass is the closed form of the module
    docstring; the running averages, if given, are updated in place.  In
    evaluation the running statistics are constants, so the layer is the
    affine map :math:`y = \\gamma (x - \\hat\\mu)/\\sqrt{\\hat\\sigma^2+\\epsilon} + \\beta`
    and :math:`\\partial L/\\partial x = \\gamma\\, g / \\sqrt{\\hat\\sigma^2+\\epsilon}`.

    Chapter 13: Normalisation.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                running_mean: np.ndarray | None = None, running_var: np.ndarray | None = None,
                training: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray:
        axes = (0,) + tuple(range(2, x.ndim))         # every axis but the channels
        view = (1, -1) + (1,) * (x.ndim - 2)          # (C,) -> (1, C, 1, ...)
        if training:
            x_hat, mean, var, inv_std = _standardise(x, axes, eps)
            if running_mean is not None:
                m = x.size // x.shape[1]
                running_mean *= 1 - momentum
                running_mean += momentum * mean.reshape(-1)
                running_var *= 1 - momentum
                running_var += momentum * var.reshape(-1) * (m / (m - 1))  # unbiased
        else:
            inv_std = (1.0 / np.sqrt(running_var + eps)).astype(x.dtype).reshape(view)
            x_hat = (x - running_mean.astype(x.dtype).reshape(view)) * inv_std
        ctx.save_for_backward(x_hat, inv_std, gamma)
        ctx.axes, ctx.view, ctx.training = axes, view, training
        return gamma.reshape(view) * x_hat + beta.reshape(view)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        x_hat, inv_std, gamma = ctx.saved_arrays
        gx = gg = gb = None
        if ctx.needs_input_grad[0]:
            g_hat = grad * gamma.reshape(ctx.view)
            if ctx.training:
                gx = _standardise_backward(g_hat, x_hat, inv_std, ctx.axes)
            else:
                gx = g_hat * inv_std
        if ctx.needs_input_grad[1]:
            gg = (grad * x_hat).sum(axis=ctx.axes)
        if ctx.needs_input_grad[2]:
            gb = grad.sum(axis=ctx.axes)
        return gx, gg, gb


def batch_norm(x: Any, weight: Any = None, bias: Any = None,
               running_mean: np.ndarray | None = None, running_var: np.ndarray | None = None,
               training: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation of channel axis 1 (Chapter 13: Normalisation).

    .. math:: y = \\gamma\\,\\frac{x - \\mu_B}{\\sqrt{\\sigma_B^2 + \\epsilon}} + \\beta,

    with :math:`\\mu_B, \\sigma_B^2` the mean and biased variance of each
    channel over the batch and every axis after the channels (training), or
    the running estimates (evaluation).

    Parameters
    ----------
    x : Tensor, shape (N, C) or (N, C, L) or (N, C, H, W)
    weight, bias : Tensor, shape (C,), optional
        :math:`\\gamma` and :math:`\\beta`; ``None`` means 1 and 0.
    running_mean, running_var : ndarray, shape (C,), optional
        Running estimates. In training they are updated in place,
        :math:`r \\leftarrow (1-\\text{momentum})\\,r + \\text{momentum}\\cdot s`,
        with the *unbiased* batch variance :math:`s = \\sigma_B^2\\, m/(m-1)`;
        in evaluation they are required and used instead of the batch statistics.
    training : bool
    momentum, eps : float
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...), got {x.shape}")
    c = x.shape[1]
    weight = Tensor(np.ones(c), dtype=x.dtype) if weight is None else as_tensor(weight)
    bias = Tensor(np.zeros(c), dtype=x.dtype) if bias is None else as_tensor(bias)
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"batch_norm: {name} must have shape ({c},) for input {x.shape}, got {t.shape}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    if training and x.size // max(c, 1) < 2:
        raise ValueError(
            f"batch_norm: training needs more than one value per channel to estimate a variance, "
            f"got input shape {x.shape}; use a larger batch or evaluation mode"
        )
    if not training and running_mean is None:
        raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
    return BatchNormFunction.apply(x, weight, bias, running_mean=running_mean, running_var=running_var,
                                   training=training, momentum=momentum, eps=eps)


def batch_norm_reference(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    """Training-mode batch norm built from primitive ops, for autograd to differentiate.

    Every step is a node of the graph that Chapter 13 draws:
    mean, centre, square, mean again (the biased variance), add :math:`\\epsilon`,
    square root, divide, scale and shift.  Slower than :func:`batch_norm`; it is the
    reference the fused backward pass is tested against.

    Parameters
    ----------
    x : Tensor, shape (N, C, ...)
    weight, bias : Tensor, shape (C,)
    """
    axes = (0,) + tuple(range(2, x.ndim))
    view = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    x_hat = centred / (var + eps) ** 0.5
    return x_hat * weight.reshape(view) + bias.reshape(view)


class _BatchNorm(Module):
    """Shared code of :class:`BatchNorm1d` and :class:`BatchNorm2d`.

    ``running_mean`` and ``running_var`` are *buffers*: state saved with the
    model (``state_dict``) but not learned by gradient descent, so they are
    plain arrays listed in ``_buffer_names`` rather than :class:`Parameter`.
    """

    accepted = ""  # the accepted shapes in words, e.g. "(N, C) or (N, C, L)"
    accepted_ndims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True):
        name = type(self).__name__
        num_features = check_int(name, "num_features", num_features)
        if not 0 <= momentum <= 1:
            raise ValueError(f"{name}: momentum must lie in [0, 1], got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"{name}: eps must be positive, got {eps!r}")
        self.num_features, self.eps, self.momentum, self.affine = int(num_features), eps, momentum, affine
        self.weight = Parameter(np.ones(num_features)) if affine else None
        self.bias = Parameter(np.zeros(num_features)) if affine else None
        dtype = get_default_dtype()
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)
        self._buffer_names = ("running_mean", "running_var")

    def _expected(self) -> str:
        c = self.num_features
        return self.accepted.replace("C", str(c))

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        if x.ndim not in self.accepted_ndims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expected input of shape "
                f"{self._expected()}, got {x.shape}"
            )
        if self.training and x.size // self.num_features < 2:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): training needs more than one value per "
                f"channel to estimate a variance, got input shape {x.shape}; use a larger batch or eval()"
            )
        return batch_norm(x, self.weight, self.bias, self.running_mean, self.running_var,
                          training=self.training, momentum=self.momentum, eps=self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of features ``(N, C)`` or of channels of sequences ``(N, C, L)``.

    Parameters
    ----------
    num_features : int
        :math:`C`.
    eps : float
        Added to the variance before the square root.
    momentum : float
        Weight of the newest batch in the running averages (PyTorch's convention).
    affine : bool
        Learn :math:`\\gamma` (``weight``, initially 1) and :math:`\\beta` (``bias``, initially 0).

    In training mode each channel is standardised with its batch statistics and
    the running estimates are updated; after :meth:`eval` the running
    estimates are used.  Chapter 13: Normalisation.
    """

    accepted = "(N, C) or (N, C, L)"
    accepted_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of the channels of images ``(N, C, H, W)``.

    Each channel's statistics pool the batch and both spatial axes, so
    :math:`m = N H W`.  Arguments as for :class:`BatchNorm1d`.
    Chapter 13: Normalisation.
    """

    accepted = "(N, C, H, W)"
    accepted_ndims = (4,)


# ---------------------------------------------------------------------------
# Layer normalisation
# ---------------------------------------------------------------------------


class LayerNormFunction(Function):
    """Fused layer norm over the trailing ``k`` axes; :math:`\\gamma, \\beta` have those axes' shape.

    The backward pass is the closed form of the module docstring with the
    sums over the normalised (trailing) axes; :math:`\\partial L/\\partial\\gamma`
    and :math:`\\partial L/\\partial\\beta` sum over the leading axes instead.

    Chapter 13: Normalisation.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                normalized_ndim: int = 1, eps: float = 1e-5) -> np.ndarray:
        axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
        x_hat, _, _, inv_std = _standardise(x, axes, eps)
        ctx.save_for_backward(x_hat, inv_std, gamma)
        ctx.axes, ctx.lead = axes, tuple(range(x.ndim - normalized_ndim))
        return gamma * x_hat + beta

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        x_hat, inv_std, gamma = ctx.saved_arrays
        gx = gg = gb = None
        if ctx.needs_input_grad[0]:
            gx = _standardise_backward(grad * gamma, x_hat, inv_std, ctx.axes)
        if ctx.needs_input_grad[1]:
            gg = (grad * x_hat).sum(axis=ctx.lead)
        if ctx.needs_input_grad[2]:
            gb = grad.sum(axis=ctx.lead)
        return gx, gg, gb


def _as_shape(normalized_shape: Any) -> tuple[int, ...]:
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(n) for n in normalized_shape)


def layer_norm(x: Any, normalized_shape: int | Sequence[int], weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the trailing axes of shape ``normalized_shape`` (Chapter 13).

    .. math:: y = \\gamma\\,\\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} + \\beta,

    with :math:`\\mu, \\sigma^2` the mean and biased variance of each sample
    over its last ``len(normalized_shape)`` axes.  The same in training and
    evaluation: no running statistics.

    Parameters
    ----------
    x : Tensor, shape (..., *normalized_shape)
    normalized_shape : int or tuple of int
    weight, bias : Tensor of shape ``normalized_shape``, optional
        :math:`\\gamma` and :math:`\\beta`; ``None`` means 1 and 0.
    eps : float
    """
    x = as_tensor(x)
    shape = _as_shape(normalized_shape)
    k = len(shape)
    if x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise ValueError(f"layer_norm: expected input of shape (..., {', '.join(map(str, shape))}), got {x.shape}")
    weight = Tensor(np.ones(shape), dtype=x.dtype) if weight is None else as_tensor(weight)
    bias = Tensor(np.zeros(shape), dtype=x.dtype) if bias is None else as_tensor(bias)
    for name, t in (("weight", weight), ("bias", bias)):
        if t.shape != shape:
            raise ValueError(f"layer_norm: {name} must have shape {shape}, got {t.shape}")
    return LayerNormFunction.apply(x, weight, bias, normalized_ndim=k, eps=eps)


def layer_norm_reference(x: Tensor, normalized_ndim: int, weight: Tensor, bias: Tensor,
                         eps: float = 1e-5) -> Tensor:
    """Layer norm built from primitive ops (the reference for :class:`LayerNormFunction`).

    Chapter 13: Normalisation.
    """
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    return centred / (var + eps) ** 0.5 * weight + bias


class LayerNorm(Module):
    """Layer normalisation of each sample over its trailing axes (Chapter 13: Normalisation).

    Parameters
    ----------
    normalized_shape : int or tuple of int
        Shape of the trailing axes to normalise, e.g. ``D`` for inputs ``(N, D)``
        or ``(N, T, D)``, or ``(C, H, W)`` for images.
    eps : float
    elementwise_affine : bool
        Learn :math:`\\gamma` (``weight``, ones) and :math:`\\beta` (``bias``, zeros),
        both of shape ``normalized_shape``.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True):
        shape = _as_shape(normalized_shape)
        if len(shape) == 0 or any(n <= 0 for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be positive sizes, got {normalized_shape!r}")
        if not eps > 0:
            raise ValueError(f"LayerNorm: eps must be positive, got {eps!r}")
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.weight = Parameter(np.ones(shape)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape)) if elementwise_affine else None

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[x.ndim - k:] != self.normalized_shape:
            raise ValueError(
                f"LayerNorm({self.normalized_shape}): expected input of shape "
                f"(..., {', '.join(map(str, self.normalized_shape))}), got {x.shape}"
            )
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, eps=self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
