"""Convolution and pooling as differentiable functions (Chapter 14: Convolutional networks).

A 2-D convolution layer (a cross-correlation, as in every deep-learning
library) with weights :math:`W` of shape ``(O, C, KH, KW)``, bias :math:`b`,
stride :math:`s`, dilation :math:`d` and zero padding computes

.. math::
    Y_{n,o,a,b} = b_o + \\sum_{c,i,j} W_{o,c,i,j}\\, X^{\\text{pad}}_{n,\\,c,\\,a s_h + i d_h,\\,b s_w + j d_w}.

Writing every window of :math:`X` as a column of :math:`\\mathrm{im2col}(X)`
(shape ``(C*KH*KW, OH*OW)`` per sample) turns it into a matrix product, and
Chapter 14 derives the backward pass from it:

.. math::
    Y = W\\,\\mathrm{im2col}(X) + b, \\quad
    \\frac{\\partial L}{\\partial W} = \\sum_n \\frac{\\partial L}{\\partial Y_n}\\,\\mathrm{im2col}(X_n)^\\top, \\quad
    \\frac{\\partial L}{\\partial b} = \\sum_{n,a,b} \\frac{\\partial L}{\\partial Y}, \\quad
    \\frac{\\partial L}{\\partial X} = \\mathrm{col2im}\\Big(W^\\top \\frac{\\partial L}{\\partial Y}\\Big),

the last one being a "full" correlation of :math:`\\partial L/\\partial Y` with the
flipped kernel.  1-D layers are the 2-D ones on inputs of height 1.

Three implementations compute the same numbers (the tests hold them to 1e-10):

* ``"naive"``: loops over samples, channels and output positions that read
  like the formula above (:func:`conv2d_forward_naive` and friends); the
  reference and the test oracle, far too slow to train with;
* ``"im2col"``: :func:`mlcore.kernels.im2col` / :func:`~mlcore.kernels.col2im`
  in NumPy and the products in BLAS (``np.matmul``);
* ``"numba"`` (the default, the fastest): the same products, with im2col,
  col2im and the pooling loops compiled by Numba (:mod:`mlcore.kernels`).

Choose one for every call with :func:`set_backend` (or temporarily with
:func:`use_backend`), or for one call with ``backend=``.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Iterator, Sequence

import numpy as np

from mlcore import kernels
from mlcore.ops import reshape
from mlcore.tensor import Context, Function, Tensor, as_tensor

__all__ = [
    "BACKENDS", "set_backend", "get_backend", "use_backend",
    "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "global_avg_pool",
    "Conv2dFunction", "MaxPool2dFunction", "AvgPool2dFunction", "GlobalAvgPoolFunction",
    "conv2d_forward_naive", "conv2d_backward_naive", "max_pool2d_forward_naive",
    "max_pool2d_backward_naive", "avg_pool2d_forward_naive", "avg_pool2d_backward_naive",
]

Pair = tuple[int, int]

# ---------------------------------------------------------------------------
# Choosing an implementation
# ---------------------------------------------------------------------------

BACKENDS = ("naive", "im2col", "numba")
_backend = "numba"


def set_backend(name: str) -> None:
    """Use implementation ``name`` (one of ``BACKENDS``) for every later call.

    Chapter 14: Convolutional networks.
    """
    global _backend
    _backend = _check_backend(name)


def get_backend() -> str:
    """The implementation in use: ``"numba"`` unless :func:`set_backend` changed it.

    Chapter 14: Convolutional networks.
    """
    return _backend


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Context manager: use implementation ``name`` inside the ``with`` block.

    Chapter 14: Convolutional networks.
    """
    previous = _backend
    set_backend(name)
    try:
        yield
    finally:
        set_backend(previous)


def _check_backend(name: str | None) -> str:
    if name is None:
        return _backend
    if name not in BACKENDS:
        raise ValueError(f"unknown convolution backend {name!r}; expected one of {BACKENDS}")
    return name


# The "numba" backend gathers patches with NumPy's im2col, which measured as fast
# as or faster than the compiled gather (it copies whole strided blocks), and
# scatters them back with the compiled col2im, where loops win.
_UNFOLD = {
    "im2col": (kernels.im2col, kernels.col2im),
    "numba": (kernels.im2col, kernels.col2im_numba),
}

# ---------------------------------------------------------------------------
# Geometry shared by every implementation
# ---------------------------------------------------------------------------


def _out_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Number of windows along one axis: :math:`\\lfloor (n + 2p - d(k-1) - 1)/s \\rfloor + 1`."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _pad(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> (N, C, H + 2ph, W + 2pw), filled with ``value``."""
    ph, pw = padding
    if ph == pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _crop(xp: np.ndarray, padding: Pair) -> np.ndarray:
    """Undo :func:`_pad`: (N, C, H + 2ph, W + 2pw) -> (N, C, H, W)."""
    ph, pw = padding
    return xp[:, :, ph:xp.shape[2] - ph, pw:xp.shape[3] - pw]


def _window(a: int, b: int, kernel: Pair, stride: Pair, dilation: Pair) -> tuple[slice, slice]:
    """The slices of the padded input that output position ``(a, b)`` reads."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    return (slice(a * sh, a * sh + dh * (kh - 1) + 1, dh), slice(b * sw, b * sw + dw * (kw - 1) + 1, dw))


# ---------------------------------------------------------------------------
# The naive reference: loops that read like the math
# ---------------------------------------------------------------------------


def conv2d_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Pair = (1, 1),
                         padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1) -> np.ndarray:
    """Convolution computed one output at a time, as the formula reads (the reference).

    :math:`Y_{n,o,a,b} = b_o + \\sum_{c,i,j} W_{o,c,i,j} X^{\\text{pad}}_{n,c,as_h+id_h,bs_w+jd_w}`.

    ``x`` (N, C, H, W), ``w`` (O, C/groups, KH, KW), ``b`` (O,) or ``None`` -> (N, O, OH, OW).
    Output channel ``o`` of group ``g = o // (O/groups)`` sees input channels
    ``g*C/groups .. (g+1)*C/groups - 1``.  Chapter 14: Convolutional networks.
    """
    xp = _pad(x, padding)
    n, o_count, (cg, kh, kw) = x.shape[0], w.shape[0], w.shape[1:]
    oh = _out_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
    ow = _out_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
    og = o_count // groups
    y = np.empty((n, o_count, oh, ow), dtype=np.result_type(x, w))
    for s in range(n):
        for o in range(o_count):
            channels = slice(o // og * cg, (o // og + 1) * cg)
            for a in range(oh):
                for b_ in range(ow):
                    rows, cols = _window(a, b_, (kh, kw), stride, dilation)
                    y[s, o, a, b_] = np.sum(w[o] * xp[s, channels, rows, cols]) + (0 if b is None else b[o])
    return y


def conv2d_backward_naive(grad: np.ndarray, x: np.ndarray, w: np.ndarray, stride: Pair = (1, 1),
                          padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1):
    """Gradients ``(dx, dw, db)`` of :func:`conv2d_forward_naive`, by the chain rule term by term.

    Output ``Y[n, o, a, b]`` used the window ``X_pad[n, channels, rows, cols]`` and
    the filter ``W[o]``, so its gradient ``g`` adds ``g * W[o]`` to that window's
    gradient and ``g * window`` to the filter's.  Chapter 14: Convolutional networks.
    """
    xp = _pad(x, padding)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    n, o_count, oh, ow = grad.shape
    cg, kh, kw = w.shape[1:]
    og = o_count // groups
    for s in range(n):
        for o in range(o_count):
            channels = slice(o // og * cg, (o // og + 1) * cg)
            for a in range(oh):
                for b_ in range(ow):
                    rows, cols = _window(a, b_, (kh, kw), stride, dilation)
                    g = grad[s, o, a, b_]
                    dxp[s, channels, rows, cols] += g * w[o]
                    dw[o] += g * xp[s, channels, rows, cols]
    return _crop(dxp, padding), dw, grad.sum(axis=(0, 2, 3))


def max_pool2d_forward_naive(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair = (0, 0)) -> np.ndarray:
    """The maximum of each window of ``x`` (N, C, H, W) padded with :math:`-\\infty`.  Chapter 14."""
    xp = _pad(x, padding, -np.inf)
    n, c = x.shape[:2]
    oh, ow = (_out_size(x.shape[k + 2], kernel[k], stride[k], padding[k], 1) for k in (0, 1))
    y = np.empty((n, c, oh, ow), dtype=x.dtype)
    for s in range(n):
        for ch in range(c):
            for a in range(oh):
                for b in range(ow):
                    y[s, ch, a, b] = xp[s, ch][_window(a, b, kernel, stride, (1, 1))].max()
    return y


def max_pool2d_backward_naive(grad: np.ndarray, x: np.ndarray, kernel: Pair, stride: Pair,
                              padding: Pair = (0, 0)) -> np.ndarray:
    """Each output's gradient goes to the (first) maximal entry of its window.  Chapter 14."""
    xp = _pad(x, padding, -np.inf)
    dxp = np.zeros_like(xp)
    n, c, oh, ow = grad.shape
    for s in range(n):
        for ch in range(c):
            for a in range(oh):
                for b in range(ow):
                    rows, cols = _window(a, b, kernel, stride, (1, 1))
                    i, j = np.unravel_index(np.argmax(xp[s, ch, rows, cols]), kernel)
                    dxp[s, ch, rows.start + i, cols.start + j] += grad[s, ch, a, b]
    return _crop(dxp, padding)


def avg_pool2d_forward_naive(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair = (0, 0)) -> np.ndarray:
    """The mean of each window of ``x`` zero-padded (padding counts in the mean).  Chapter 14."""
    xp = _pad(x, padding)
    n, c = x.shape[:2]
    oh, ow = (_out_size(x.shape[k + 2], kernel[k], stride[k], padding[k], 1) for k in (0, 1))
    y = np.empty((n, c, oh, ow), dtype=x.dtype)
    for s in range(n):
        for ch in range(c):
            for a in range(oh):
                for b in range(ow):
                    y[s, ch, a, b] = xp[s, ch][_window(a, b, kernel, stride, (1, 1))].mean()
    return y


def avg_pool2d_backward_naive(grad: np.ndarray, x_shape: tuple[int, ...], kernel: Pair, stride: Pair,
                              padding: Pair = (0, 0)) -> np.ndarray:
    """Each output's gradient is shared equally, ``g / (KH*KW)``, by its window.  Chapter 14."""
    n, c, h, w = x_shape
    dxp = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), dtype=grad.dtype)
    _, _, oh, ow = grad.shape
    for s in range(n):
        for ch in range(c):
            for a in range(oh):
                for b in range(ow):
                    dxp[s, ch][_window(a, b, kernel, stride, (1, 1))] += grad[s, ch, a, b] / (kernel[0] * kernel[1])
    return _crop(dxp, padding)


# ---------------------------------------------------------------------------
# Differentiable functions
# ---------------------------------------------------------------------------


class Conv2dFunction(Function):
    """2-D convolution with a closed-form backward pass (module docstring; Chapter 14).

    Inputs ``x`` (N, C, H, W), ``w`` (O, C/G, KH, KW) and optionally ``b`` (O,);
    options ``stride``, ``padding``, ``dilation`` (pairs), ``groups`` and ``backend``.
    With groups, channels split into ``G`` independent convolutions, which the
    products below batch over.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Pair,
                padding: Pair, dilation: Pair, groups: int, backend: str) -> np.ndarray:
        ctx.has_bias, ctx.backend = b is not None, backend
        ctx.options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        if backend == "naive":
            ctx.save_for_backward(x, w)
            return conv2d_forward_naive(x, w, b, **ctx.options)
        n, o = x.shape[0], w.shape[0]
        kh, kw = w.shape[2:]
        oh = _out_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
        ow = _out_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
        xp = _pad(x, padding)
        im2col = _UNFOLD[backend][0]
        cols = im2col(xp, kh, kw, stride, dilation, oh, ow)  # (N, C, Hp, Wp) -> (N, C*KH*KW, OH*OW)
        cols = cols.reshape(n, groups, -1, oh * ow)          # -> (N, G, C/G*KH*KW, OH*OW)
        w3 = w.reshape(groups, o // groups, -1)              # (O, C/G, KH, KW) -> (G, O/G, C/G*KH*KW)
        y = np.matmul(w3, cols).reshape(n, o, oh, ow)        # (N, G, O/G, OH*OW) -> (N, O, OH, OW)
        if b is not None:
            y += b.reshape(o, 1, 1)
        ctx.save_for_backward(cols, w3)
        ctx.geometry = xp.shape, (kh, kw), (oh, ow)
        return y

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        if ctx.backend == "naive":
            x, w = ctx.saved_arrays
            dx, dw, db = conv2d_backward_naive(grad, x, w, **ctx.options)
            return (dx, dw, db) if ctx.has_bias else (dx, dw)
        cols, w3 = ctx.saved_arrays
        padded_shape, (kh, kw), (oh, ow) = ctx.geometry
        n, groups = grad.shape[0], w3.shape[0]
        g4 = grad.reshape(n, groups, -1, oh * ow)  # (N, O, OH, OW) -> (N, G, O/G, OH*OW)
        dx = dw = db = None
        if ctx.needs_input_grad[0]:
            dcols = np.matmul(w3.transpose(0, 2, 1), g4)  # (N, G, C/G*KH*KW, OH*OW)
            col2im = _UNFOLD[ctx.backend][1]
            dxp = col2im(dcols.reshape(n, -1, oh * ow), padded_shape, kh, kw,
                         ctx.options["stride"], ctx.options["dilation"], oh, ow)
            dx = _crop(dxp, ctx.options["padding"])
        if ctx.needs_input_grad[1]:
            # The sum over samples of dY_n im2col(X_n)^T: (N, G, O/G, C/G*KH*KW) -> (O, C/G, KH, KW).
            dw = np.matmul(g4, cols.transpose(0, 1, 3, 2)).sum(axis=0)
            dw = dw.reshape(-1, cols.shape[2] // (kh * kw), kh, kw)
        if ctx.has_bias:
            db = grad.sum(axis=(0, 2, 3)) if ctx.needs_input_grad[2] else None
            return dx, dw, db
        return dx, dw


class MaxPool2dFunction(Function):
    """Max pooling over ``kernel`` windows of an (N, C, H, W) input padded with :math:`-\\infty`.

    The derivative of a maximum is 1 for the entry that attains it and 0
    elsewhere, so the backward pass routes each output gradient to the
    position of its window's (first) maximum.  Chapter 14: Convolutional networks.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, kernel: Pair, stride: Pair, padding: Pair, backend: str) -> np.ndarray:
        ctx.options, ctx.backend = dict(kernel=kernel, stride=stride, padding=padding), backend
        if backend == "naive":
            ctx.save_for_backward(x)
            return max_pool2d_forward_naive(x, kernel, stride, padding)
        n, c = x.shape[:2]
        oh, ow = (_out_size(x.shape[k + 2], kernel[k], stride[k], padding[k], 1) for k in (0, 1))
        xp = _pad(x, padding, -np.inf)
        ctx.padded_shape = xp.shape
        if backend == "numba":
            y, argmax = kernels.max_pool_forward_numba(np.ascontiguousarray(xp), *kernel, *stride, oh, ow)
            ctx.save_for_backward(argmax)
            return y
        # Every channel is its own one-channel image: (N*C, 1, Hp, Wp) -> (N*C, KH*KW, OH*OW).
        cols = kernels.im2col(xp.reshape(n * c, 1, *xp.shape[2:]), *kernel, stride, (1, 1), oh, ow)
        argmax = cols.argmax(axis=1)[:, None, :]  # (N*C, 1, OH*OW): which tap of each window
        ctx.save_for_backward(argmax)
        ctx.geometry = cols.shape, (oh, ow)
        return np.take_along_axis(cols, argmax, axis=1).reshape(n, c, oh, ow)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        kernel, stride, padding = ctx.options["kernel"], ctx.options["stride"], ctx.options["padding"]
        if ctx.backend == "naive":
            (x,) = ctx.saved_arrays
            return max_pool2d_backward_naive(grad, x, kernel, stride, padding)
        (argmax,) = ctx.saved_arrays
        n, c, hp, wp = ctx.padded_shape
        if ctx.backend == "numba":
            return _crop(kernels.max_pool_backward_numba(np.ascontiguousarray(grad), argmax, hp, wp), padding)
        cols_shape, (oh, ow) = ctx.geometry
        dcols = np.zeros(cols_shape, dtype=grad.dtype)
        np.put_along_axis(dcols, argmax, grad.reshape(n * c, 1, oh * ow), axis=1)
        dxp = kernels.col2im(dcols, (n * c, 1, hp, wp), *kernel, stride, (1, 1), oh, ow)
        return _crop(dxp.reshape(n, c, hp, wp), padding)


class AvgPool2dFunction(Function):
    """Average pooling over ``kernel`` windows of a zero-padded (N, C, H, W) input.

    Each output is :math:`\\frac{1}{KH\\,KW}\\sum` of its window, so each entry
    of the window receives :math:`1/(KH\\,KW)` of the output's gradient.
    Chapter 14: Convolutional networks.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, kernel: Pair, stride: Pair, padding: Pair, backend: str) -> np.ndarray:
        ctx.options, ctx.backend, ctx.x_shape = dict(kernel=kernel, stride=stride, padding=padding), backend, x.shape
        if backend == "naive":
            return avg_pool2d_forward_naive(x, kernel, stride, padding)
        n, c = x.shape[:2]
        oh, ow = (_out_size(x.shape[k + 2], kernel[k], stride[k], padding[k], 1) for k in (0, 1))
        xp = _pad(x, padding)
        ctx.padded_shape, ctx.out_size = xp.shape, (oh, ow)
        if backend == "numba":
            return kernels.avg_pool_forward_numba(np.ascontiguousarray(xp), *kernel, *stride, oh, ow)
        cols = kernels.im2col(xp.reshape(n * c, 1, *xp.shape[2:]), *kernel, stride, (1, 1), oh, ow)
        return cols.mean(axis=1).reshape(n, c, oh, ow)  # (N*C, KH*KW, OH*OW) -> (N, C, OH, OW)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        kernel, stride, padding = ctx.options["kernel"], ctx.options["stride"], ctx.options["padding"]
        if ctx.backend == "naive":
            return avg_pool2d_backward_naive(grad, ctx.x_shape, kernel, stride, padding)
        n, c, hp, wp = ctx.padded_shape
        oh, ow = ctx.out_size
        if ctx.backend == "numba":
            dxp = kernels.avg_pool_backward_numba(np.ascontiguousarray(grad), *kernel, *stride, hp, wp)
            return _crop(dxp, padding)
        share = grad.reshape(n * c, 1, oh * ow) / (kernel[0] * kernel[1])
        dcols = np.broadcast_to(share, (n * c, kernel[0] * kernel[1], oh * ow))
        dxp = kernels.col2im(dcols, (n * c, 1, hp, wp), *kernel, stride, (1, 1), oh, ow)
        return _crop(dxp.reshape(n, c, hp, wp), padding)


class GlobalAvgPoolFunction(Function):
    """The mean of each channel over all its positions: (N, C, ...) -> (N, C).

    Backward: each of the :math:`m` positions receives :math:`1/m` of its
    channel's gradient.  Chapter 14: Convolutional networks.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.x_shape = x.shape
        return x.mean(axis=tuple(range(2, x.ndim)))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        shape = ctx.x_shape
        m = math.prod(shape[2:])
        return np.broadcast_to((grad / m).reshape(shape[:2] + (1,) * (len(shape) - 2)), shape).copy()


# ---------------------------------------------------------------------------
# Checking arguments
# ---------------------------------------------------------------------------


def _tuple(name: str, argument: str, value: Any, d: int, minimum: int) -> tuple[int, ...]:
    """``value`` as a ``d``-tuple of integers ``>= minimum``, or a clear error."""
    values = (value,) * d if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != d or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum
                               for v in values):
        what = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name}: {argument} must be a {what} integer or a tuple of {d}, got {value!r}")
    return tuple(int(v) for v in values)


def _spatial(d: int) -> str:
    return "L" if d == 1 else "H, W"


def _check_input(name: str, x: Tensor, d: int, channels: int | None = None) -> None:
    if x.ndim != d + 2 or (channels is not None and x.shape[1] != channels):
        c = "C" if channels is None else str(channels)
        raise ValueError(f"{name}: expected input of shape (N, {c}, {_spatial(d)}), got {x.shape}")


def _check_fits(name: str, x: Tensor, extent: tuple[int, ...], padding: tuple[int, ...]) -> None:
    """The (dilated) kernel must fit inside the padded input."""
    padded = tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))
    if any(e > n for e, n in zip(extent, padded)):
        raise ValueError(f"{name}: kernel of extent {extent} is larger than the padded input {padded} "
                         f"(input {x.shape}, padding {padding})")


def _lift(t: tuple[int, ...], fill: int) -> Pair:
    """A 1-D setting ``(k,)`` as the 2-D one ``(fill, k)``: a 1-D signal is an image of height 1."""
    return (fill,) + t if len(t) == 1 else t


# ---------------------------------------------------------------------------
# The functional API
# ---------------------------------------------------------------------------


def _conv(x: Any, weight: Any, bias: Any, stride: Any, padding: Any, dilation: Any, groups: int,
          backend: str | None, d: int, name: str) -> Tensor:
    """Check the arguments of a ``d``-dimensional convolution and run :class:`Conv2dFunction`."""
    x, weight = as_tensor(x), as_tensor(weight)
    if weight.ndim != d + 2:
        raise ValueError(f"{name}: weight must have shape (out_channels, in_channels/groups, "
                         f"{'K' if d == 1 else 'KH, KW'}), got {weight.shape}")
    o, cg = weight.shape[:2]
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1 or o % groups:
        raise ValueError(f"{name}: groups must be a positive integer dividing out_channels={o}, got {groups!r}")
    _check_input(name, x, d, cg * groups)
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (o,):
            raise ValueError(f"{name}: bias must have shape ({o},), got {bias.shape}")
    stride = _tuple(name, "stride", stride, d, 1)
    padding = _tuple(name, "padding", padding, d, 0)
    dilation = _tuple(name, "dilation", dilation, d, 1)
    kernel = weight.shape[2:]
    _check_fits(name, x, tuple(q * (k - 1) + 1 for k, q in zip(kernel, dilation)), padding)
    if d == 1:  # (N, C, L) -> (N, C, 1, L), (O, C, K) -> (O, C, 1, K)
        x, weight = reshape(x, (x.shape[0], x.shape[1], 1, x.shape[2])), reshape(weight, (o, cg, 1, kernel[0]))
    inputs = (x, weight) if bias is None else (x, weight, bias)
    y = Conv2dFunction.apply(*inputs, stride=_lift(stride, 1), padding=_lift(padding, 0),
                             dilation=_lift(dilation, 1), groups=int(groups), backend=_check_backend(backend))
    return reshape(y, (y.shape[0], o, y.shape[3])) if d == 1 else y


def _pool(function: type[Function], x: Any, kernel_size: Any, stride: Any, padding: Any,
          backend: str | None, d: int, name: str) -> Tensor:
    """Check the arguments of a ``d``-dimensional pooling and run ``function``."""
    x = as_tensor(x)
    _check_input(name, x, d)
    kernel = _tuple(name, "kernel_size", kernel_size, d, 1)
    stride = kernel if stride is None else _tuple(name, "stride", stride, d, 1)
    padding = _tuple(name, "padding", padding, d, 0)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel size {kernel}")
    _check_fits(name, x, kernel, padding)
    n, c = x.shape[:2]
    if d == 1:  # (N, C, L) -> (N, C, 1, L)
        x = reshape(x, (n, c, 1, x.shape[2]))
    y = function.apply(x, kernel=_lift(kernel, 1), stride=_lift(stride, 1), padding=_lift(padding, 0),
                       backend=_check_backend(backend))
    return reshape(y, (n, c, y.shape[3])) if d == 1 else y


def conv2d(x: Any, weight: Any, bias: Any = None, stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, groups: int = 1,
           backend: str | None = None) -> Tensor:
    """2-D convolution (cross-correlation) of images.  Chapter 14: Convolutional networks.

    Parameters
    ----------
    x : Tensor, shape (N, C, H, W)
    weight : Tensor, shape (O, C/groups, KH, KW)
    bias : Tensor, shape (O,), optional
    stride, padding, dilation : int or (int, int)
        Step between windows, zeros added on each side, step between kernel taps.
    groups : int
        Split the channels into this many independent convolutions.
    backend : {"naive", "im2col", "numba"}, optional
        Implementation for this call (default: :func:`get_backend`).

    Returns
    -------
    Tensor, shape (N, O, OH, OW)
        With :math:`OH = \\lfloor (H + 2p_h - d_h(KH-1) - 1)/s_h \\rfloor + 1`, likewise ``OW``.
    """
    return _conv(x, weight, bias, stride, padding, dilation, groups, backend, 2, "conv2d")


def conv1d(x: Any, weight: Any, bias: Any = None, stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, groups: int = 1,
           backend: str | None = None) -> Tensor:
    """1-D convolution of sequences: ``x`` (N, C, L), ``weight`` (O, C/groups, K) -> (N, O, OL).

    Computed as :func:`conv2d` on images of height 1; arguments as there.
    Chapter 14: Convolutional networks.
    """
    return _conv(x, weight, bias, stride, padding, dilation, groups, backend, 1, "conv1d")


def max_pool2d(x: Any, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, backend: str | None = None) -> Tensor:
    """Maximum of each window: (N, C, H, W) -> (N, C, OH, OW).  Chapter 14: Convolutional networks.

    ``stride`` defaults to ``kernel_size`` (windows side by side); ``padding``
    (at most half the kernel) adds :math:`-\\infty` on each side.
    """
    return _pool(MaxPool2dFunction, x, kernel_size, stride, padding, backend, 2, "max_pool2d")


def max_pool1d(x: Any, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, backend: str | None = None) -> Tensor:
    """Maximum of each window of a sequence: (N, C, L) -> (N, C, OL).  Chapter 14."""
    return _pool(MaxPool2dFunction, x, kernel_size, stride, padding, backend, 1, "max_pool1d")


def avg_pool2d(x: Any, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, backend: str | None = None) -> Tensor:
    """Mean of each window: (N, C, H, W) -> (N, C, OH, OW).  Chapter 14: Convolutional networks.

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the kernel)
    adds zeros that count in the mean (PyTorch's ``count_include_pad=True``).
    """
    return _pool(AvgPool2dFunction, x, kernel_size, stride, padding, backend, 2, "avg_pool2d")


def avg_pool1d(x: Any, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, backend: str | None = None) -> Tensor:
    """Mean of each window of a sequence: (N, C, L) -> (N, C, OL).  Chapter 14."""
    return _pool(AvgPool2dFunction, x, kernel_size, stride, padding, backend, 1, "avg_pool1d")


def global_avg_pool(x: Any) -> Tensor:
    """The mean of each channel over every position: (N, C, ...) -> (N, C).  Chapter 14."""
    x = as_tensor(x)
    if x.ndim < 3:
        raise ValueError(f"global_avg_pool: expected input of shape (N, C, L) or (N, C, H, W), got {x.shape}")
    return GlobalAvgPoolFunction.apply(x)
