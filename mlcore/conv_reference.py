"""The naive convolution and pooling: loops that read like the formulas (Chapter 14: Convolutional networks).

The readable oracle, kept apart from the fast code as the CS231n assignments
keep ``layers.py`` apart from ``fast_layers.py``: every output is computed on
its own, from the window of the (padded) input that it reads,

.. math::
    Y_{n,o,a,b} = b_o + \\sum_{c,i,j} W_{o,c,i,j}\\, X^{\\text{pad}}_{n,\\,c,\\,a s_h + i d_h,\\,b s_w + j d_w},

and every backward pass applies the chain rule output by output.  Far too
slow to train with; :mod:`mlcore.conv` runs these functions as its
``"naive"`` backend, and the tests hold the fast backends to them (1e-10).
Only NumPy is needed.  Arrays in, arrays out: ``x`` is ``(N, C, H, W)``,
settings are pairs ``(height, width)``; checking arguments is the caller's job.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "conv2d_forward_naive", "conv2d_backward_naive", "max_pool2d_forward_naive",
    "max_pool2d_backward_naive", "avg_pool2d_forward_naive", "avg_pool2d_backward_naive",
]

Pair = tuple[int, int]

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
