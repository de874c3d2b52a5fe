"""Activations, softmax and losses as differentiable functions.

Each is a fused :class:`~mlcore.tensor.Function`: its backward pass is the
closed-form derivative (derived in chapters 5, 6 and 8) rather than a chain of
primitive operations, which is both faster and numerically safer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcore.tensor import Context, Function, Tensor, as_tensor

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "mse_loss", "cross_entropy",
]


class ReLU(Function):
    """:math:`\\max(0, x)`; derivative 1 for :math:`x > 0`, else 0 (we take 0 at the kink)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        mask = x > 0
        ctx.save_for_backward(mask)
        return np.where(mask, x, 0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (mask,) = ctx.saved_arrays
        return grad * mask


def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a non-positive number never overflows: use e^{-|x|} on both branches.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(Function):
    """:math:`\\sigma(x) = 1/(1+e^{-x})`; derivative :math:`\\sigma(x)(1-\\sigma(x))`."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        out = _stable_sigmoid(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (s,) = ctx.saved_arrays
        return grad * s * (1 - s)


class Tanh(Function):
    """:math:`\\tanh(x)`; derivative :math:`1-\\tanh^2(x)`."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (t,) = ctx.saved_arrays
        return grad * (1 - t * t)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    # log softmax(x)_i = x_i - m - log sum_j exp(x_j - m), with m = max_j x_j: no overflow.
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """:math:`s_i = e^{x_i}/\\sum_j e^{x_j}`; backward :math:`s \\odot (g - \\langle g, s\\rangle)`."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = -1) -> np.ndarray:
        out = np.exp(_log_softmax(x, axis))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (s,) = ctx.saved_arrays
        return s * (grad - (grad * s).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """:math:`\\log s_i`; backward :math:`g - s \\sum_j g_j`."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = -1) -> np.ndarray:
        out = _log_softmax(x, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (log_s,) = ctx.saved_arrays
        return grad - np.exp(log_s) * grad.sum(axis=ctx.axis, keepdims=True)


class MSELoss(Function):
    """Mean squared error :math:`\\frac{1}{n}\\sum_i (p_i - t_i)^2` over all entries."""

    @staticmethod
    def forward(ctx: Context, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        if pred.shape != target.shape:
            raise ValueError(
                f"mse_loss: prediction shape {pred.shape} and target shape {target.shape} differ "
                f"(no broadcasting here, it usually hides a bug)"
            )
        if pred.size == 0:
            raise ValueError("mse_loss: empty input")
        diff = pred - target
        ctx.save_for_backward(diff)
        return np.asarray(np.mean(diff * diff), dtype=pred.dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (diff,) = ctx.saved_arrays
        g = grad * 2 * diff / diff.size
        return g, -g


class CrossEntropy(Function):
    """Mean cross-entropy of integer labels under ``softmax(logits)``.

    :math:`L = -\\frac{1}{N}\\sum_n \\log \\mathrm{softmax}(z_n)_{y_n}`, with
    gradient :math:`(\\mathrm{softmax}(z_n) - \\mathrm{onehot}(y_n))/N` (chapter 8).
    """

    @staticmethod
    def forward(ctx: Context, logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
        log_p = _log_softmax(logits, axis=1)
        n = logits.shape[0]
        ctx.save_for_backward(log_p, labels)
        return np.asarray(-log_p[np.arange(n), labels].mean(), dtype=logits.dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        log_p, labels = ctx.saved_arrays
        n = log_p.shape[0]
        g = np.exp(log_p)
        g[np.arange(n), labels] -= 1
        return grad * g / n, None


def relu(x: Any) -> Tensor:
    """Rectified linear unit, element-wise."""
    return ReLU.apply(x)


def sigmoid(x: Any) -> Tensor:
    """Logistic sigmoid, computed without overflow for large ``|x|``."""
    return Sigmoid.apply(x)


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent, element-wise."""
    return Tanh.apply(x)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Softmax along ``axis``; stable for logits as large as 1e4 (max subtracted first)."""
    return Softmax.apply(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """Logarithm of the softmax along ``axis``, by the log-sum-exp trick."""
    return LogSoftmax.apply(x, axis=axis)


def mse_loss(pred: Any, target: Any) -> Tensor:
    """Mean squared error between two tensors of the same shape."""
    pred = as_tensor(pred)
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=pred.dtype)
    return MSELoss.apply(pred, target)


def cross_entropy(logits: Any, labels: Any) -> Tensor:
    """Mean cross-entropy loss from raw scores.

    Parameters
    ----------
    logits : Tensor, shape (N, C)
        Unnormalised class scores.
    labels : array_like of int, shape (N,)
        The true class of each sample, in ``0 .. C-1``.
    """
    logits = as_tensor(logits)
    y = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {logits.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: labels must be integers (class indices), got dtype {y.dtype}")
    if y.shape != (logits.shape[0],):
        raise ValueError(
            f"cross_entropy: labels must have shape ({logits.shape[0]},) to match logits "
            f"{logits.shape}, got {y.shape}"
        )
    if y.size == 0:
        raise ValueError("cross_entropy: empty batch")
    if y.min() < 0 or y.max() >= logits.shape[1]:
        raise ValueError(
            f"cross_entropy: labels must lie in 0..{logits.shape[1] - 1}, got values from "
            f"{y.min()} to {y.max()}"
        )
    return CrossEntropy.apply(logits, Tensor(y))
