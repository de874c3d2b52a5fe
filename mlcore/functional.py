"""Activations, softmax, losses and dropout as differentiable functions.

Each is a fused :class:`~mlcore.tensor.Function`: its backward pass is the
closed-form derivative rather than a chain of primitive operations, which is
both faster and numerically safer.  Where each is derived:

* activations -- Chapter 5: Neurons, layers and activations;
* losses -- Chapter 8: Losses and the training loop (the Gaussian KL
  divergence in Chapter 20: Autoencoders and variational autoencoders);
* dropout -- Chapter 12: Regularisation.

Batch and layer normalisation live in :mod:`mlcore.nn.normalization`
(Chapter 13: Normalisation).

Integer input: the activations and dropout promote an integer or boolean
tensor to the default float dtype (``sigmoid`` of ``[1, 2]`` is
``[0.731, 0.881]``, never integer zeros); complex, string and object input
raises ``TypeError``.  The losses, like PyTorch's, reject integer
predictions with a ``TypeError`` naming the argument (an integer prediction
is almost always a bug, e.g. labels passed where logits were meant).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlcore._checks import check_float_tensor
from mlcore._random import check_rng
from mlcore.tensor import Context, Function, Tensor, as_tensor, unbroadcast

__all__ = [
    # activations
    "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax",
    "identity",
    # losses
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "cross_entropy", "nll_loss", "binary_cross_entropy_with_logits",
    "kl_div_gaussian",
    # regularisation
    "dropout",
]


# ---------------------------------------------------------------------------
# Activations (Chapter 5: Neurons, layers and activations)
# ---------------------------------------------------------------------------


class ReLU(Function):
    """:math:`\\max(0, x)`; derivative 1 for :math:`x > 0`, else 0 (we take 0 at the kink)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x > 0)
        return np.maximum(x, 0).astype(x.dtype, copy=False)  # maximum keeps NaN: it must not hide

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (mask,) = ctx.saved_arrays
        return grad * mask


class LeakyReLU(Function):
    """:math:`x` for :math:`x > 0`, else :math:`a x`; derivative 1 or :math:`a`."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
        mask = x > 0
        ctx.save_for_backward(mask)
        ctx.negative_slope = negative_slope
        return np.where(mask, x, negative_slope * x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (mask,) = ctx.saved_arrays
        return np.where(mask, grad, ctx.negative_slope * grad).astype(grad.dtype, copy=False)


class ELU(Function):
    """:math:`x` for :math:`x > 0`, else :math:`\\alpha(e^x - 1)`.

    The derivative is 1 for :math:`x > 0`, else :math:`\\alpha e^x = y + \\alpha`,
    so the backward pass reuses the output.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
        mask = x > 0
        # expm1 of min(x, 0): accurate near 0 and never overflows for large positive x.
        out = np.where(mask, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)
        ctx.save_for_backward(mask, out)
        ctx.alpha = alpha
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        mask, out = ctx.saved_arrays
        return np.where(mask, grad, grad * (out + ctx.alpha)).astype(grad.dtype, copy=False)


class GELU(Function):
    """Gaussian error linear unit :math:`x\\,\\Phi(x) = \\tfrac12 x (1 + \\mathrm{erf}(x/\\sqrt2))`.

    Derivative: :math:`\\Phi(x) + x\\,\\varphi(x)` with
    :math:`\\varphi(x) = e^{-x^2/2}/\\sqrt{2\\pi}` the standard normal density.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        from scipy.special import erf  # imported on first use: SciPy is slow to import

        cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
        ctx.save_for_backward(x, cdf)
        return (x * cdf).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        x, cdf = ctx.saved_arrays
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return (grad * (cdf + x * pdf)).astype(grad.dtype, copy=False)


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


def _check_number(fn: str, name: str, value: Any, low: float, inclusive: bool) -> float:
    """``value`` as a float, if it is a real number above ``low`` (or equal, when ``inclusive``)."""
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    if not ok or not (value >= low if inclusive else value > low):
        raise ValueError(f"{fn}: {name} must be a number {'>=' if inclusive else '>'} {low}, got {value!r}")
    return float(value)


def _check_axis(fn: str, axis: Any, x: Any) -> int:
    """``axis`` as an ``int`` in ``[-ndim, ndim)`` for the input ``x``."""
    ndim = np.ndim(x.data if isinstance(x, Tensor) else x)
    if not (isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)) or not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"{fn}: axis must be an integer in [{-max(ndim, 1)}, {max(ndim, 1)}) for an input "
                         f"with {ndim} dimensions, got {axis!r}")
    return int(axis)


def relu(x: Any) -> Tensor:
    """Rectified linear unit :math:`\\max(0, x)`, element-wise, any shape.

    Chapter 5: Neurons, layers and activations.
    """
    return ReLU.apply(check_float_tensor("relu", "x", x))


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """Leaky ReLU: :math:`x` for :math:`x > 0`, else ``negative_slope`` :math:`\\cdot x`.

    Parameters
    ----------
    x : Tensor, any shape
    negative_slope : float
        Slope :math:`a \\ge 0` of the negative half; keeps a gradient flowing
        for negative inputs (Chapter 5: Neurons, layers and activations).
    """
    return LeakyReLU.apply(check_float_tensor("leaky_relu", "x", x), negative_slope=_check_number("leaky_relu", "negative_slope", negative_slope, 0, True))


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: :math:`x` for :math:`x > 0`, else :math:`\\alpha(e^x - 1)`.

    Parameters
    ----------
    x : Tensor, any shape
    alpha : float
        Value :math:`\\alpha > 0` the output tends to as :math:`x \\to -\\infty`
        (Chapter 5: Neurons, layers and activations).
    """
    return ELU.apply(check_float_tensor("elu", "x", x), alpha=_check_number("elu", "alpha", alpha, 0, False))


def gelu(x: Any) -> Tensor:
    """Gaussian error linear unit, exact form :math:`\\tfrac12 x(1 + \\mathrm{erf}(x/\\sqrt2))`.

    Element-wise, any shape (Chapter 5: Neurons, layers and activations).
    """
    return GELU.apply(check_float_tensor("gelu", "x", x))


def sigmoid(x: Any) -> Tensor:
    """Logistic sigmoid :math:`1/(1+e^{-x})`, without overflow for large ``|x|``.

    Chapter 5: Neurons, layers and activations.
    """
    return Sigmoid.apply(check_float_tensor("sigmoid", "x", x))


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent, element-wise (Chapter 5: Neurons, layers and activations)."""
    return Tanh.apply(check_float_tensor("tanh", "x", x))


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Softmax along ``axis``; stable for logits as large as 1e4 (max subtracted first).

    Chapter 5: Neurons, layers and activations.
    """
    return Softmax.apply(check_float_tensor("softmax", "x", x), axis=_check_axis("softmax", axis, x))


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """Logarithm of the softmax along ``axis``, by the log-sum-exp trick.

    Chapter 8: Losses and the training loop.
    """
    return LogSoftmax.apply(check_float_tensor("log_softmax", "x", x), axis=_check_axis("log_softmax", axis, x))


def identity(x: Any) -> Tensor:
    """The linear ("no") activation :math:`f(x) = x`, derivative 1: returns ``x`` itself.

    Chapter 5: Neurons, layers and activations.
    """
    return as_tensor(x)


# ---------------------------------------------------------------------------
# Losses (Chapter 8: Losses and the training loop)
# ---------------------------------------------------------------------------

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(fn: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(values: np.ndarray, reduction: str, count: int) -> np.ndarray:
    """Per-element (or per-sample) losses -> the loss; ``mean`` divides the sum by ``count``."""
    if reduction == "none":
        return values
    total = values.sum()
    return np.asarray(total / count if reduction == "mean" else total, dtype=values.dtype)


def _unreduce(grad: np.ndarray, reduction: str, count: int) -> np.ndarray:
    """Gradient of the loss -> gradient of each per-element loss (it broadcasts)."""
    return grad / count if reduction == "mean" else grad


def _float_tensor(fn: str, what: str, x: Any) -> Tensor:
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: {what} must be floating point, got dtype {x.dtype}")
    return x


def _target_like(fn: str, target: Any, pred: Tensor) -> Tensor:
    """The target as a tensor of ``pred``'s dtype and shape (no broadcasting: it hides bugs)."""
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=pred.dtype)
    if target.shape != pred.shape:
        raise ValueError(
            f"{fn}: prediction shape {pred.shape} and target shape {target.shape} differ "
            f"(no broadcasting here, it usually hides a bug)"
        )
    if pred.size == 0:
        raise ValueError(f"{fn}: empty input")
    return target


def _class_labels(fn: str, scores: Tensor, labels: Any, what: str) -> np.ndarray:
    """Validate ``scores`` of shape (N, C) and integer ``labels`` of shape (N,) in 0..C-1."""
    if scores.ndim != 2:
        raise ValueError(f"{fn}: {what} must have shape (N, C), got {scores.shape}")
    if scores.dtype.kind != "f":
        raise TypeError(f"{fn}: {what} must be floating point, got dtype {scores.dtype}")
    y = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{fn}: labels must be integers (class indices), got dtype {y.dtype}")
    if y.shape != (scores.shape[0],):
        raise ValueError(
            f"{fn}: labels must have shape ({scores.shape[0]},) to match {what} "
            f"{scores.shape}, got {y.shape}"
        )
    if y.size == 0:
        raise ValueError(f"{fn}: empty batch")
    if y.min() < 0 or y.max() >= scores.shape[1]:
        raise ValueError(
            f"{fn}: labels must lie in 0..{scores.shape[1] - 1}, got values from "
            f"{y.min()} to {y.max()}"
        )
    return y


class MSELoss(Function):
    """Squared error :math:`(p_i - t_i)^2`, reduced; gradient :math:`2(p_i - t_i)`, scaled."""

    @staticmethod
    def forward(ctx: Context, pred: np.ndarray, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
        diff = pred - target
        ctx.save_for_backward(diff)
        ctx.reduction = reduction
        return _reduce(diff * diff, reduction, diff.size)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (diff,) = ctx.saved_arrays
        g = _unreduce(grad, ctx.reduction, diff.size) * 2 * diff
        return g, -g


class L1Loss(Function):
    """Absolute error :math:`|p_i - t_i|`, reduced; gradient :math:`\\mathrm{sign}(p_i - t_i)`, scaled.

    At :math:`p_i = t_i` the subgradient 0 is used.
    """

    @staticmethod
    def forward(ctx: Context, pred: np.ndarray, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
        diff = pred - target
        ctx.save_for_backward(np.sign(diff))
        ctx.reduction = reduction
        return _reduce(np.abs(diff), reduction, diff.size)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (sign,) = ctx.saved_arrays
        g = _unreduce(grad, ctx.reduction, sign.size) * sign
        return g, -g


class HuberLoss(Function):
    """Huber loss of :math:`d_i = p_i - t_i`: quadratic near 0, linear beyond :math:`\\delta`.

    :math:`\\ell_i = \\tfrac12 d_i^2` for :math:`|d_i| \\le \\delta`, else
    :math:`\\delta(|d_i| - \\tfrac12\\delta)`; gradient :math:`d_i` clipped to
    :math:`[-\\delta, \\delta]` (the two pieces meet with equal value and slope).
    """

    @staticmethod
    def forward(ctx: Context, pred: np.ndarray, target: np.ndarray, reduction: str = "mean",
                delta: float = 1.0) -> np.ndarray:
        diff = pred - target
        abs_diff = np.abs(diff)
        quadratic = abs_diff <= delta
        ctx.save_for_backward(np.clip(diff, -delta, delta))
        ctx.reduction = reduction
        values = np.where(quadratic, 0.5 * diff * diff, delta * (abs_diff - 0.5 * delta))
        return _reduce(values.astype(pred.dtype, copy=False), reduction, diff.size)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (clipped,) = ctx.saved_arrays
        g = _unreduce(grad, ctx.reduction, clipped.size) * clipped
        return g, -g


class CrossEntropy(Function):
    """Cross-entropy of integer labels under ``softmax(logits)``.

    :math:`\\ell_n = -\\log \\mathrm{softmax}(z_n)_{y_n}`, with gradient
    :math:`\\mathrm{softmax}(z_n) - \\mathrm{onehot}(y_n)` (chapter 8).
    """

    @staticmethod
    def forward(ctx: Context, logits: np.ndarray, labels: np.ndarray, reduction: str = "mean") -> np.ndarray:
        log_p = _log_softmax(logits, axis=1)
        n = logits.shape[0]
        ctx.save_for_backward(log_p, labels)
        ctx.reduction = reduction
        return _reduce(-log_p[np.arange(n), labels], reduction, n)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        log_p, labels = ctx.saved_arrays
        n = log_p.shape[0]
        g = np.exp(log_p)
        g[np.arange(n), labels] -= 1
        scale = _unreduce(grad, ctx.reduction, n)
        return (scale[:, None] if scale.ndim else scale) * g, None


class NLLLoss(Function):
    """Negative log-likelihood :math:`\\ell_n = -a_{n, y_n}` of log-probabilities ``a``.

    The gradient is :math:`-1` at :math:`(n, y_n)` and 0 elsewhere (scaled by the reduction).
    """

    @staticmethod
    def forward(ctx: Context, log_probs: np.ndarray, labels: np.ndarray, reduction: str = "mean") -> np.ndarray:
        n = log_probs.shape[0]
        ctx.shape, ctx.reduction = log_probs.shape, reduction
        ctx.save_for_backward(labels)
        return _reduce(-log_probs[np.arange(n), labels], reduction, n)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (labels,) = ctx.saved_arrays
        n = ctx.shape[0]
        g = np.zeros(ctx.shape, dtype=grad.dtype)
        g[np.arange(n), labels] = -np.broadcast_to(_unreduce(grad, ctx.reduction, n), (n,))
        return g, None


class BCEWithLogits(Function):
    """Binary cross-entropy of targets :math:`t \\in [0,1]` under :math:`\\sigma(z)`.

    :math:`\\ell = -t\\log\\sigma(z) - (1-t)\\log(1-\\sigma(z)) = \\max(z,0) - zt + \\log(1+e^{-|z|})`,
    the right-hand form never overflowing.  Gradients: :math:`\\partial\\ell/\\partial z =
    \\sigma(z) - t` and :math:`\\partial\\ell/\\partial t = -z`.
    """

    @staticmethod
    def forward(ctx: Context, logits: np.ndarray, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
        ctx.save_for_backward(logits, target)
        ctx.reduction = reduction
        values = np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))
        return _reduce(values.astype(logits.dtype, copy=False), reduction, logits.size)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        z, t = ctx.saved_arrays
        scale = _unreduce(grad, ctx.reduction, z.size)
        gz = (scale * (_stable_sigmoid(z) - t)) if ctx.needs_input_grad[0] else None
        gt = (scale * -z) if ctx.needs_input_grad[1] else None
        return gz, gt


class KLStandardNormal(Function):
    """:math:`\\mathrm{KL}(\\mathcal N(\\mu, \\mathrm{diag}\\,e^{v}) \\,\\|\\, \\mathcal N(0, I))`, per sample.

    :math:`\\mathrm{KL}_n = \\tfrac12\\sum_j (e^{v_{nj}} + \\mu_{nj}^2 - 1 - v_{nj})`, with
    :math:`\\partial/\\partial\\mu = \\mu` and :math:`\\partial/\\partial v = \\tfrac12(e^{v} - 1)`.
    """

    @staticmethod
    def forward(ctx: Context, mu: np.ndarray, logvar: np.ndarray, reduction: str = "mean") -> np.ndarray:
        var = np.exp(logvar)
        ctx.save_for_backward(mu, var)
        ctx.reduction = reduction
        per_sample = 0.5 * (var + mu * mu - 1 - logvar).sum(axis=1)
        return _reduce(per_sample, reduction, mu.shape[0])

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        mu, var = ctx.saved_arrays
        scale = _unreduce(grad, ctx.reduction, mu.shape[0])
        scale = scale[:, None] if scale.ndim else scale
        return scale * mu, scale * 0.5 * (var - 1)


class KLGaussians(Function):
    """:math:`\\mathrm{KL}(\\mathcal N(\\mu_q, \\mathrm{diag}\\,e^{v_q}) \\,\\|\\, \\mathcal N(\\mu_p, \\mathrm{diag}\\,e^{v_p}))`.

    Per sample, :math:`\\tfrac12\\sum_j \\big(v_p - v_q + (e^{v_q} + (\\mu_q-\\mu_p)^2)e^{-v_p} - 1\\big)`.
    With :math:`r = (e^{v_q} + (\\mu_q-\\mu_p)^2)e^{-v_p}`:
    :math:`\\partial/\\partial\\mu_q = (\\mu_q - \\mu_p)e^{-v_p} = -\\partial/\\partial\\mu_p`,
    :math:`\\partial/\\partial v_q = \\tfrac12(e^{v_q - v_p} - 1)`,
    :math:`\\partial/\\partial v_p = \\tfrac12(1 - r)`.
    The prior's parameters may broadcast against the posterior's ``(N, D)``.
    """

    @staticmethod
    def forward(ctx: Context, mu_q: np.ndarray, logvar_q: np.ndarray, mu_p: np.ndarray,
                logvar_p: np.ndarray, reduction: str = "mean") -> np.ndarray:
        inv_var_p = np.exp(-logvar_p)
        diff = mu_q - mu_p
        ratio = (np.exp(logvar_q) + diff * diff) * inv_var_p
        ctx.save_for_backward(diff, inv_var_p, np.exp(logvar_q - logvar_p), ratio)
        ctx.shapes, ctx.reduction = (mu_p.shape, logvar_p.shape), reduction
        per_sample = 0.5 * (logvar_p - logvar_q + ratio - 1).sum(axis=1)
        return _reduce(per_sample, reduction, mu_q.shape[0])

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        diff, inv_var_p, var_ratio, ratio = ctx.saved_arrays
        scale = _unreduce(grad, ctx.reduction, diff.shape[0])
        scale = scale[:, None] if scale.ndim else scale
        g_mu_q = scale * diff * inv_var_p
        g_logvar_q = scale * 0.5 * (var_ratio - 1)
        g_mu_p = unbroadcast(-g_mu_q, ctx.shapes[0])
        g_logvar_p = unbroadcast(scale * 0.5 * (1 - ratio), ctx.shapes[1])
        return g_mu_q, g_logvar_q, g_mu_p, g_logvar_p


def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error :math:`\\frac1n\\sum_i (p_i - t_i)^2` over all ``n`` entries.

    Parameters
    ----------
    pred : Tensor, any shape
    target : array_like, the same shape as ``pred``
    reduction : {'mean', 'sum', 'none'}
        Average over all entries (default), sum them, or return them unreduced.

    Chapter 8: Losses and the training loop.
    """
    _check_reduction("mse_loss", reduction)
    pred = _float_tensor("mse_loss", "prediction", pred)
    return MSELoss.apply(pred, _target_like("mse_loss", target, pred), reduction=reduction)


def l1_loss(pred: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Absolute error :math:`\\frac1n\\sum_i |p_i - t_i|` over all ``n`` entries.

    Parameters
    ----------
    pred : Tensor, any shape
    target : array_like, the same shape as ``pred``
    reduction : {'mean', 'sum', 'none'}

    Less sensitive to outliers than :func:`mse_loss` (Chapter 8: Losses and the training loop).
    """
    _check_reduction("l1_loss", reduction)
    pred = _float_tensor("l1_loss", "prediction", pred)
    return L1Loss.apply(pred, _target_like("l1_loss", target, pred), reduction=reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss, PyTorch's ``huber_loss``: squared error for small errors, absolute error for large ones.

    With :math:`d = \\text{input} - \\text{target}`, each entry contributes

    .. math::

        \\ell(d) = \\begin{cases} \\tfrac12 d^2 & |d| \\le \\delta, \\\\
                     \\delta\\,(|d| - \\tfrac12 \\delta) & |d| > \\delta, \\end{cases}
        \\qquad \\ell'(d) = \\operatorname{clip}(d, -\\delta, \\delta),

    so a gradient never exceeds :math:`\\delta` in size (DQN clips its
    temporal-difference errors this way).

    Parameters
    ----------
    input : Tensor, any shape
    target : array_like, the same shape as ``input``
    reduction : {'mean', 'sum', 'none'}
    delta : float
        :math:`\\delta > 0`, where the loss turns from quadratic to linear.

    Chapter 8: Losses and the training loop.
    """
    _check_reduction("huber_loss", reduction)
    delta = _check_number("huber_loss", "delta", delta, 0, False)
    pred = _float_tensor("huber_loss", "input", input)
    return HuberLoss.apply(pred, _target_like("huber_loss", target, pred), reduction=reduction, delta=delta)


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1 loss, PyTorch's ``smooth_l1_loss``: :func:`huber_loss` with :math:`\\delta = \\beta`, divided by :math:`\\beta`.

    Each entry contributes :math:`\\tfrac12 d^2/\\beta` for :math:`|d| < \\beta`,
    else :math:`|d| - \\tfrac12\\beta`; ``beta = 0`` gives :func:`l1_loss`.

    Parameters
    ----------
    input : Tensor, any shape
    target : array_like, the same shape as ``input``
    reduction : {'mean', 'sum', 'none'}
    beta : float
        :math:`\\beta \\ge 0`.

    Chapter 8: Losses and the training loop.
    """
    beta = _check_number("smooth_l1_loss", "beta", beta, 0, True)
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    return huber_loss(input, target, reduction=reduction, delta=beta) / beta


def cross_entropy(logits: Any, labels: Any, reduction: str = "mean") -> Tensor:
    """Cross-entropy loss from raw scores, :math:`-\\frac1N\\sum_n \\log\\mathrm{softmax}(z_n)_{y_n}`.

    Parameters
    ----------
    logits : Tensor, shape (N, C)
        Unnormalised class scores.
    labels : array_like of int, shape (N,)
        The true class of each sample, in ``0 .. C-1``.
    reduction : {'mean', 'sum', 'none'}
        Average over the batch (default), sum, or one loss per sample, shape (N,).

    Chapter 8: Losses and the training loop.
    """
    _check_reduction("cross_entropy", reduction)
    logits = as_tensor(logits)
    y = _class_labels("cross_entropy", logits, labels, "logits")
    return CrossEntropy.apply(logits, Tensor(y), reduction=reduction)


def nll_loss(log_probs: Any, labels: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood :math:`-\\frac1N\\sum_n a_{n, y_n}` of log-probabilities.

    ``nll_loss(log_softmax(z, axis=1), y)`` equals ``cross_entropy(z, y)``.

    Parameters
    ----------
    log_probs : Tensor, shape (N, C)
        Log-probabilities of each class, e.g. the output of :func:`log_softmax`.
    labels : array_like of int, shape (N,)
        The true class of each sample, in ``0 .. C-1``.
    reduction : {'mean', 'sum', 'none'}

    Chapter 8: Losses and the training loop.
    """
    _check_reduction("nll_loss", reduction)
    log_probs = as_tensor(log_probs)
    y = _class_labels("nll_loss", log_probs, labels, "log_probs")
    return NLLLoss.apply(log_probs, Tensor(y), reduction=reduction)


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of targets in [0, 1] given logits :math:`z` (before the sigmoid).

    .. math:: \\ell_i = \\max(z_i, 0) - z_i t_i + \\log(1 + e^{-|z_i|}),

    which equals :math:`-t\\log\\sigma(z) - (1-t)\\log(1-\\sigma(z))` but stays
    finite for logits as large as :math:`\\pm 10^4`.

    Parameters
    ----------
    logits : Tensor, any shape
    target : array_like, the same shape, values in [0, 1] (soft labels allowed)
    reduction : {'mean', 'sum', 'none'}

    Chapter 8: Losses and the training loop.
    """
    fn = "binary_cross_entropy_with_logits"
    _check_reduction(fn, reduction)
    logits = _float_tensor(fn, "logits", logits)
    target = _target_like(fn, target, logits)
    if target.dtype.kind != "f":
        target = Tensor(target.data, dtype=logits.dtype)
    if np.any((target.data < 0) | (target.data > 1)):
        raise ValueError(
            f"{fn}: targets must lie in [0, 1], got values from {target.data.min()} to {target.data.max()}"
        )
    return BCEWithLogits.apply(logits, target, reduction=reduction)


def kl_div_gaussian(mu: Any, logvar: Any, mu_prior: Any = None, logvar_prior: Any = None,
                    reduction: str = "mean") -> Tensor:
    """KL divergence between diagonal Gaussians, summed over latent dimensions.

    With no prior given, the prior is the standard normal:

    .. math:: \\mathrm{KL}_n = \\tfrac12 \\sum_j \\left(e^{v_{nj}} + \\mu_{nj}^2 - 1 - v_{nj}\\right),

    the VAE's regulariser.  With a prior :math:`\\mathcal N(\\mu_p, \\mathrm{diag}\\,e^{v_p})`:

    .. math:: \\mathrm{KL}_n = \\tfrac12 \\sum_j \\left(v_p - v_{nj} + \\frac{e^{v_{nj}} + (\\mu_{nj} - \\mu_p)^2}{e^{v_p}} - 1\\right).

    Parameters
    ----------
    mu, logvar : Tensor, shape (N, D)
        Mean and log-variance :math:`v = \\log\\sigma^2` of the posterior, one row per sample.
    mu_prior, logvar_prior : Tensor, broadcastable to (N, D), optional
        The prior's mean and log-variance; give both or neither.
    reduction : {'mean', 'sum', 'none'}
        ``'mean'`` averages over the **batch** (not over latent dimensions),
        ``'sum'`` sums over it, ``'none'`` returns shape (N,).

    Chapter 20: Autoencoders and variational autoencoders derives the closed form.
    """
    fn = "kl_div_gaussian"
    _check_reduction(fn, reduction)
    mu, logvar = _float_tensor(fn, "mu", mu), _float_tensor(fn, "logvar", logvar)
    if mu.ndim != 2:
        raise ValueError(f"{fn}: mu must have shape (N, D), got {mu.shape}")
    if logvar.shape != mu.shape:
        raise ValueError(f"{fn}: mu has shape {mu.shape} but logvar has shape {logvar.shape}")
    if mu.shape[0] == 0:
        raise ValueError(f"{fn}: empty batch")
    if (mu_prior is None) != (logvar_prior is None):
        raise ValueError(f"{fn}: give both mu_prior and logvar_prior, or neither")
    if mu_prior is None:
        return KLStandardNormal.apply(mu, logvar, reduction=reduction)
    mu_p = mu_prior if isinstance(mu_prior, Tensor) else Tensor(mu_prior, dtype=mu.dtype)
    logvar_p = logvar_prior if isinstance(logvar_prior, Tensor) else Tensor(logvar_prior, dtype=mu.dtype)
    for name, t in (("mu_prior", mu_p), ("logvar_prior", logvar_p)):
        try:
            fits = np.broadcast_shapes(t.shape, mu.shape) == mu.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{fn}: {name} of shape {t.shape} does not broadcast to mu's shape {mu.shape}")
    return KLGaussians.apply(mu, logvar, mu_p, logvar_p, reduction=reduction)


# ---------------------------------------------------------------------------
# Dropout (Chapter 12: Regularisation)
# ---------------------------------------------------------------------------


class Dropout(Function):
    """Inverted dropout: :math:`y = x \\odot m / (1-p)` for a fixed 0/1 mask :math:`m`.

    The backward pass is the same mask and scale: :math:`\\partial L/\\partial x =
    g \\odot m/(1-p)`, so only kept units receive a gradient.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, mask: np.ndarray, scale: float) -> np.ndarray:
        ctx.save_for_backward(mask)
        ctx.scale = scale
        return (x * mask * scale).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (mask,) = ctx.saved_arrays
        return (grad * mask * ctx.scale).astype(grad.dtype, copy=False)


def _check_dropout_p(fn: str, p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p < 1:
        raise ValueError(f"{fn}: p is the probability of dropping a unit and must lie in [0, 1), got {p!r}")
    return float(p)


def dropout(x: Any, p: float = 0.5, training: bool = True, rng: Any = None) -> Tensor:
    """Inverted dropout: zero each entry with probability ``p`` and scale the rest by :math:`1/(1-p)`.

    The scaling keeps :math:`\\mathbb E[y] = x`, so evaluation needs no
    correction: with ``training=False`` (or ``p == 0``) the input is returned unchanged.

    Parameters
    ----------
    x : Tensor, any shape
    p : float in [0, 1)
        Probability of dropping each unit.
    training : bool
        Drop only in training.
    rng : numpy.random.Generator or int, optional
        Source of the mask; pass a generator (or seed) for reproducible masks.

    Chapter 12: Regularisation.
    """
    p = _check_dropout_p("dropout", p)
    x = check_float_tensor("dropout", "x", x)
    if not training or p == 0.0:
        return x
    try:
        rng = check_rng(rng)
    except TypeError as err:
        raise TypeError(f"dropout: {err}") from None
    mask = rng.random(x.shape) >= p  # keep with probability 1 - p
    return Dropout.apply(x, mask=mask, scale=1.0 / (1.0 - p))
from mlcore.attention import scaled_dot_product_attention  # noqa: E402  (Chapter 18: Attention and transformers)
from mlcore.metric import (batch_hard_triplet_loss, contrastive_loss, distance_matrix,  # noqa: E402  (Chapter 23)
                           pairwise_distance, semi_hard_triplets, triplet_margin_loss)
