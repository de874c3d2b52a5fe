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

Three implementations (*backends*) compute the same numbers (the tests hold
them to 1e-10), each a class with the same six methods, the forward and
backward passes of convolution, max pooling and average pooling:

* ``"naive"`` (:class:`NaiveBackend`): the loops of :mod:`mlcore.conv_reference`,
  which read like the formula above; the reference and the test oracle, far
  too slow to train with;
* ``"im2col"`` (:class:`Im2colBackend`): :func:`mlcore.kernels.im2col` /
  :func:`~mlcore.kernels.col2im` in NumPy and the products in BLAS (``np.matmul``);
* ``"numba"`` (:class:`NumbaBackend`, the default, the fastest): the same
  products, with col2im and the pooling loops compiled by Numba (:mod:`mlcore.kernels`).

The differentiable functions (:class:`Conv2dFunction` and the pooling ones)
look their backend up in one table and hand it the work; the public functions
(:func:`conv2d`, :func:`max_pool2d`, ...) check their arguments first
(:mod:`mlcore._checks`).  Choose a backend for every call with
:func:`set_backend` (or temporarily with :func:`use_backend`), or for one call
with ``backend=``.

Integer or boolean input (and weights) are promoted to the default float
dtype, as in :mod:`mlcore.functional`, so an average pool of ``int64`` input
is the exact mean, not a truncated one; complex or string input raises
``TypeError``.  Float16 pooling runs on the NumPy path (the compiled loops
have float32 and float64 versions only), and a convolution of an empty batch
returns an empty output, as PyTorch does.  The compiled kernels in
:mod:`mlcore.kernels` check their geometry themselves, so a wrong stride or
an out-of-range index raises ``ValueError`` instead of reading or writing
past an array's end.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Iterator, Sequence

import numpy as np

from mlcore import kernels
from mlcore._checks import check_float_tensor, check_int, check_int_tuple
from mlcore.conv_reference import (
    Pair,
    _crop,
    _out_size,
    _pad,
    avg_pool2d_backward_naive,
    avg_pool2d_forward_naive,
    conv2d_backward_naive,
    conv2d_forward_naive,
    max_pool2d_backward_naive,
    max_pool2d_forward_naive,
)
from mlcore.ops import reshape
from mlcore.tensor import Context, Function, Tensor, as_tensor

__all__ = [
    "BACKENDS", "set_backend", "get_backend", "use_backend",
    "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "global_avg_pool",
    "Conv2dFunction", "MaxPool2dFunction", "AvgPool2dFunction", "GlobalAvgPoolFunction",
    "NaiveBackend", "Im2colBackend", "NumbaBackend",
]

# ---------------------------------------------------------------------------
# The backends: one class per implementation, the same six methods each
# ---------------------------------------------------------------------------


class NaiveBackend:
    """The loops of :mod:`mlcore.conv_reference`, one output at a time: the oracle.

    Each method takes the :class:`~mlcore.tensor.Context` of the calling
    function (to save what the backward pass needs) and arrays; settings are
    pairs.  Chapter 14: Convolutional networks.
    """

    def conv2d_forward(self, ctx: Context, x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
                       stride: Pair, padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
        ctx.save_for_backward(x, w)
        return conv2d_forward_naive(x, w, b, stride, padding, dilation, groups)

    def conv2d_backward(self, ctx: Context, grad: np.ndarray):
        x, w = ctx.saved_arrays
        return conv2d_backward_naive(grad, x, w, *ctx.options)

    def max_pool2d_forward(self, ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair):
        ctx.save_for_backward(x)
        return max_pool2d_forward_naive(x, kernel, stride, padding)

    def max_pool2d_backward(self, ctx: Context, grad: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_arrays
        return max_pool2d_backward_naive(grad, x, *ctx.options)

    def avg_pool2d_forward(self, ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair):
        ctx.x_shape = x.shape
        return avg_pool2d_forward_naive(x, kernel, stride, padding)

    def avg_pool2d_backward(self, ctx: Context, grad: np.ndarray) -> np.ndarray:
        return avg_pool2d_backward_naive(grad, ctx.x_shape, *ctx.options)


class Im2colBackend:
    """Convolution as a matrix product of the weights with :math:`\\mathrm{im2col}(X)`, in NumPy and BLAS.

    The forward pass saves the columns; the backward pass reuses them for the
    weight gradient and sends :math:`W^\\top\\,\\partial L/\\partial Y` back
    through col2im.  Pooling reads its windows from im2col too.
    Chapter 14: Convolutional networks.
    """

    im2col = staticmethod(kernels.im2col)
    col2im = staticmethod(kernels.col2im)

    def conv2d_forward(self, ctx: Context, x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
                       stride: Pair, padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
        n, o = x.shape[0], w.shape[0]
        kh, kw = w.shape[2:]
        oh = _out_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
        ow = _out_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
        xp = _pad(x, padding)
        cols = self.im2col(xp, kh, kw, stride, dilation, oh, ow)  # (N, C, Hp, Wp) -> (N, C*KH*KW, OH*OW)
        cols = cols.reshape(n, groups, -1, oh * ow)               # -> (N, G, C/G*KH*KW, OH*OW)
        w3 = w.reshape(groups, o // groups, -1)                   # (O, C/G, KH, KW) -> (G, O/G, C/G*KH*KW)
        y = np.matmul(w3, cols).reshape(n, o, oh, ow)             # (N, G, O/G, OH*OW) -> (N, O, OH, OW)
        if b is not None:
            y += b.reshape(o, 1, 1)
        ctx.save_for_backward(cols, w3)
        ctx.geometry = xp.shape, (kh, kw), (oh, ow)
        return y

    def conv2d_backward(self, ctx: Context, grad: np.ndarray):
        cols, w3 = ctx.saved_arrays
        padded_shape, (kh, kw), (oh, ow) = ctx.geometry
        stride, padding, dilation, _ = ctx.options
        n, groups = grad.shape[0], w3.shape[0]
        g4 = grad.reshape(n, groups, -1, oh * ow)  # (N, O, OH, OW) -> (N, G, O/G, OH*OW)
        dx = dw = db = None
        if ctx.needs_input_grad[0]:
            dcols = np.matmul(w3.transpose(0, 2, 1), g4)  # (N, G, C/G*KH*KW, OH*OW)
            dxp = self.col2im(dcols.reshape(n, -1, oh * ow), padded_shape, kh, kw, stride, dilation, oh, ow)
            dx = _crop(dxp, padding)
        if ctx.needs_input_grad[1]:
            # The sum over samples of dY_n im2col(X_n)^T: (N, G, O/G, C/G*KH*KW) -> (O, C/G, KH, KW).
            dw = np.matmul(g4, cols.transpose(0, 1, 3, 2)).sum(axis=0)
            dw = dw.reshape(-1, cols.shape[2] // (kh * kw), kh, kw)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            db = grad.sum(axis=(0, 2, 3))
        return dx, dw, db

    def _pool_columns(self, ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair,
                      fill: float) -> np.ndarray:
        """Every channel as its own one-channel image: (N, C, H, W) -> columns (N*C, KH*KW, OH*OW)."""
        n, c = x.shape[:2]
        oh, ow = (_out_size(x.shape[k + 2], kernel[k], stride[k], padding[k], 1) for k in (0, 1))
        xp = _pad(x, padding, fill)
        ctx.padded_shape, ctx.out_size = xp.shape, (oh, ow)
        return self.im2col(xp.reshape(n * c, 1, *xp.shape[2:]), *kernel, stride, (1, 1), oh, ow)

    def _pool_backward(self, ctx: Context, dcols: np.ndarray) -> np.ndarray:
        """Add the columns' gradients back onto the input: (N*C, KH*KW, OH*OW) -> (N, C, H, W)."""
        kernel, stride, padding = ctx.options
        n, c, hp, wp = ctx.padded_shape
        dxp = self.col2im(dcols, (n * c, 1, hp, wp), *kernel, stride, (1, 1), *ctx.out_size)
        return _crop(dxp.reshape(n, c, hp, wp), padding)

    def max_pool2d_forward(self, ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair):
        cols = self._pool_columns(ctx, x, kernel, stride, padding, -np.inf)
        argmax = cols.argmax(axis=1)[:, None, :]  # (N*C, 1, OH*OW): which tap of each window
        ctx.save_for_backward(argmax)
        ctx.cols_shape = cols.shape
        return np.take_along_axis(cols, argmax, axis=1).reshape(*x.shape[:2], *ctx.out_size)

    def max_pool2d_backward(self, ctx: Context, grad: np.ndarray) -> np.ndarray:
        (argmax,) = ctx.saved_arrays
        dcols = np.zeros(ctx.cols_shape, dtype=grad.dtype)
        np.put_along_axis(dcols, argmax, grad.reshape(argmax.shape), axis=1)
        return self._pool_backward(ctx, dcols)

    def avg_pool2d_forward(self, ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair):
        cols = self._pool_columns(ctx, x, kernel, stride, padding, 0.0)
        return cols.mean(axis=1).reshape(*x.shape[:2], *ctx.out_size)  # (N*C, KH*KW, OH*OW) -> (N, C, OH, OW)

    def avg_pool2d_backward(self, ctx: Context, grad: np.ndarray) -> np.ndarray:
        (kh, kw), _, _ = ctx.options
        n, c = grad.shape[:2]
        share = grad.reshape(n * c, 1, -1) / (kh * kw)
        return self._pool_backward(ctx, np.broadcast_to(share, (n * c, kh * kw, share.shape[2])))


class NumbaBackend(Im2colBackend):
    """:class:`Im2colBackend` with col2im and the pooling loops compiled by Numba (the default).

    The gather stays NumPy's :func:`~mlcore.kernels.im2col`, which measured as
    fast as the compiled one or faster (it copies whole strided blocks); the
    scatter-add col2im and the pooling loops, where loops win, are compiled.
    Chapter 14: Convolutional networks.
    """

    col2im = staticmethod(kernels.col2im_numba)

    def max_pool2d_forward(self, ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair):
        ctx.fallback = x.dtype not in (np.float32, np.float64)  # float16: the compiled loops have no such type
        if ctx.fallback:
            return super().max_pool2d_forward(ctx, x, kernel, stride, padding)
        oh, ow = (_out_size(x.shape[k + 2], kernel[k], stride[k], padding[k], 1) for k in (0, 1))
        xp = np.ascontiguousarray(_pad(x, padding, -np.inf))
        ctx.padded_shape = xp.shape
        y, argmax = kernels.max_pool_forward_numba(xp, *kernel, *stride, oh, ow)
        ctx.save_for_backward(argmax)
        return y

    def max_pool2d_backward(self, ctx: Context, grad: np.ndarray) -> np.ndarray:
        if ctx.fallback:
            return super().max_pool2d_backward(ctx, grad)
        (argmax,) = ctx.saved_arrays
        hp, wp = ctx.padded_shape[2:]
        return _crop(kernels.max_pool_backward_numba(np.ascontiguousarray(grad), argmax, hp, wp), ctx.options[2])

    def avg_pool2d_forward(self, ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair):
        ctx.fallback = x.dtype not in (np.float32, np.float64)  # float16: the compiled loops have no such type
        if ctx.fallback:
            return super().avg_pool2d_forward(ctx, x, kernel, stride, padding)
        oh, ow = (_out_size(x.shape[k + 2], kernel[k], stride[k], padding[k], 1) for k in (0, 1))
        xp = np.ascontiguousarray(_pad(x, padding))
        ctx.padded_shape = xp.shape
        return kernels.avg_pool_forward_numba(xp, *kernel, *stride, oh, ow)

    def avg_pool2d_backward(self, ctx: Context, grad: np.ndarray) -> np.ndarray:
        if ctx.fallback:
            return super().avg_pool2d_backward(ctx, grad)
        kernel, stride, padding = ctx.options
        hp, wp = ctx.padded_shape[2:]
        dxp = kernels.avg_pool_backward_numba(np.ascontiguousarray(grad), *kernel, *stride, hp, wp)
        return _crop(dxp, padding)


#: The backend table: name -> implementation.  Every function dispatches through it.
_BACKENDS = {"naive": NaiveBackend(), "im2col": Im2colBackend(), "numba": NumbaBackend()}
BACKENDS = tuple(_BACKENDS)
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
    if not isinstance(name, str) or name not in _BACKENDS:
        raise ValueError(f"unknown convolution backend {name!r}; expected one of {BACKENDS}")
    return name


# ---------------------------------------------------------------------------
# Differentiable functions: each hands the work to its backend
# ---------------------------------------------------------------------------


class Conv2dFunction(Function):
    """2-D convolution with a closed-form backward pass (module docstring; Chapter 14).

    Inputs ``x`` (N, C, H, W), ``w`` (O, C/G, KH, KW) and optionally ``b`` (O,);
    options ``stride``, ``padding``, ``dilation`` (pairs), ``groups`` and
    ``backend`` (a name in ``BACKENDS``), whose methods do the work.  With
    groups, channels split into ``G`` independent convolutions.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Pair,
                padding: Pair, dilation: Pair, groups: int, backend: str) -> np.ndarray:
        ctx.backend, ctx.has_bias = _BACKENDS[backend], b is not None
        ctx.options = (stride, padding, dilation, groups)
        return ctx.backend.conv2d_forward(ctx, x, w, b, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        dx, dw, db = ctx.backend.conv2d_backward(ctx, grad)
        return (dx, dw, db) if ctx.has_bias else (dx, dw)


class MaxPool2dFunction(Function):
    """Max pooling over ``kernel`` windows of an (N, C, H, W) input padded with :math:`-\\infty`.

    The derivative of a maximum is 1 for the entry that attains it and 0
    elsewhere, so the backward pass routes each output gradient to the
    position of its window's (first) maximum.  Chapter 14: Convolutional networks.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, kernel: Pair, stride: Pair, padding: Pair, backend: str) -> np.ndarray:
        ctx.backend, ctx.options = _BACKENDS[backend], (kernel, stride, padding)
        return ctx.backend.max_pool2d_forward(ctx, x, kernel, stride, padding)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return ctx.backend.max_pool2d_backward(ctx, grad)


class AvgPool2dFunction(Function):
    """Average pooling over ``kernel`` windows of a zero-padded (N, C, H, W) input.

    Each output is :math:`\\frac{1}{KH\\,KW}\\sum` of its window, so each entry
    of the window receives :math:`1/(KH\\,KW)` of the output's gradient.
    Chapter 14: Convolutional networks.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, kernel: Pair, stride: Pair, padding: Pair, backend: str) -> np.ndarray:
        ctx.backend, ctx.options = _BACKENDS[backend], (kernel, stride, padding)
        return ctx.backend.avg_pool2d_forward(ctx, x, kernel, stride, padding)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return ctx.backend.avg_pool2d_backward(ctx, grad)


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
# Checking arguments (the generic checks are mlcore._checks')
# ---------------------------------------------------------------------------


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


def _check_pool_padding(name: str, padding: tuple[int, ...], kernel: tuple[int, ...]) -> None:
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel size {kernel}")


def _lift(t: tuple[int, ...], fill: int) -> Pair:
    """A 1-D setting ``(k,)`` as the 2-D one ``(fill, k)``: a 1-D signal is an image of height 1."""
    return (fill,) + t if len(t) == 1 else t


# ---------------------------------------------------------------------------
# The functional API
# ---------------------------------------------------------------------------


def _conv(x: Any, weight: Any, bias: Any, stride: Any, padding: Any, dilation: Any, groups: int,
          backend: str | None, d: int, name: str) -> Tensor:
    """Check the arguments of a ``d``-dimensional convolution and run :class:`Conv2dFunction`."""
    x, weight = check_float_tensor(name, "input", x), check_float_tensor(name, "weight", weight)
    if weight.ndim != d + 2:
        raise ValueError(f"{name}: weight must have shape (out_channels, in_channels/groups, "
                         f"{'K' if d == 1 else 'KH, KW'}), got {weight.shape}")
    o, cg = weight.shape[:2]
    try:
        groups = check_int(name, "groups", groups)
        if o % groups:
            raise ValueError
    except ValueError:
        raise ValueError(f"{name}: groups must be a positive integer dividing out_channels={o}, got {groups!r}") from None
    _check_input(name, x, d, cg * groups)
    if bias is not None:
        bias = check_float_tensor(name, "bias", bias)
        if bias.shape != (o,):
            raise ValueError(f"{name}: bias must have shape ({o},), got {bias.shape}")
    stride = check_int_tuple(name, "stride", stride, d, 1)
    padding = check_int_tuple(name, "padding", padding, d, 0)
    dilation = check_int_tuple(name, "dilation", dilation, d, 1)
    backend = _check_backend(backend)
    kernel = weight.shape[2:]
    _check_fits(name, x, tuple(q * (k - 1) + 1 for k, q in zip(kernel, dilation)), padding)
    if x.shape[0] == 0:  # an empty batch gives an empty output, as in PyTorch
        out = tuple(_out_size(n, k, s, p, q) for n, k, s, p, q in zip(x.shape[2:], kernel, stride, padding, dilation))
        return Tensor(np.zeros((0, o) + out, dtype=np.result_type(x.dtype, weight.dtype)))
    if d == 1:  # (N, C, L) -> (N, C, 1, L), (O, C, K) -> (O, C, 1, K)
        x, weight = reshape(x, (x.shape[0], x.shape[1], 1, x.shape[2])), reshape(weight, (o, cg, 1, kernel[0]))
    inputs = (x, weight) if bias is None else (x, weight, bias)
    y = Conv2dFunction.apply(*inputs, stride=_lift(stride, 1), padding=_lift(padding, 0),
                             dilation=_lift(dilation, 1), groups=groups, backend=backend)
    return reshape(y, (y.shape[0], o, y.shape[3])) if d == 1 else y


def _pool(function: type[Function], x: Any, kernel_size: Any, stride: Any, padding: Any,
          backend: str | None, d: int, name: str) -> Tensor:
    """Check the arguments of a ``d``-dimensional pooling and run ``function``."""
    x = check_float_tensor(name, "input", x)
    _check_input(name, x, d)
    kernel = check_int_tuple(name, "kernel_size", kernel_size, d, 1)
    stride = kernel if stride is None else check_int_tuple(name, "stride", stride, d, 1)
    padding = check_int_tuple(name, "padding", padding, d, 0)
    _check_pool_padding(name, padding, kernel)
    _check_fits(name, x, kernel, padding)
    backend = _check_backend(backend)
    n, c = x.shape[:2]
    if d == 1:  # (N, C, L) -> (N, C, 1, L)
        x = reshape(x, (n, c, 1, x.shape[2]))
    y = function.apply(x, kernel=_lift(kernel, 1), stride=_lift(stride, 1), padding=_lift(padding, 0),
                       backend=backend)
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
