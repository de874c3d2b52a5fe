"""The hot loops of convolution and pooling: im2col/col2im and pooling kernels.

Chapter 14: Convolutional networks.  A convolution layer correlates every
``KH x KW`` window of its (padded) input with every filter.  *im2col* copies
each window into a column, so that the whole layer becomes one matrix
product that BLAS computes fast; *col2im* is its adjoint, adding every
column back onto the window it came from (windows overlap, so entries
accumulate).  The backward pass of a convolution needs exactly that:
:math:`\\partial L/\\partial X = \\mathrm{col2im}(W^\\top \\,\\partial L/\\partial Y)`.

Two versions of each transform live here, with the same arguments and results:

* :func:`im2col` / :func:`col2im` in NumPy: a loop over the ``KH*KW`` kernel
  offsets, each moving one strided slice for all samples and channels at once;
* :func:`im2col_numba` / :func:`col2im_numba`: the element loops compiled by
  Numba, one pass over memory.  The default ``"numba"`` backend of
  :mod:`mlcore.conv` uses :func:`col2im_numba` (the scatter-add, where loops
  win) but NumPy's :func:`im2col`, which measured as fast as the compiled
  gather or faster; :func:`im2col_numba` stays as the tested alternative that
  chapter 14 times against it.

and the pooling kernels, compiled by Numba: max pooling that records where
each maximum was (its backward pass sends the gradient only there) and
average pooling (its backward pass spreads the gradient evenly).

Every function takes an already *padded* input ``xp`` of shape
``(N, C, Hp, Wp)`` and returns the gradient for that padded input; the caller
(:mod:`mlcore.conv`) pads and crops.  Compiled code is cached on disk
(``cache=True``), so a new process does not compile again.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "im2col", "col2im", "im2col_numba", "col2im_numba",
    "max_pool_forward_numba", "max_pool_backward_numba",
    "avg_pool_forward_numba", "avg_pool_backward_numba",
]


def _last_start(offset: int, step: int, count: int) -> int:
    """One past the last index of ``offset, offset + step, ...`` (``count`` terms): a slice end."""
    return offset + step * (count - 1) + 1

# ---------------------------------------------------------------------------
# Geometry checks: the compiled loops do not check bounds, so every public
# function checks its arguments first (a wrong stride must raise, not crash)
# ---------------------------------------------------------------------------


def _positive_ints(fn: str, **values: object) -> None:
    for name, v in values.items():
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{fn}: {name} must be a positive integer, got {v!r}")


def _check_array(fn: str, name: str, a: object, ndim: int, floating: bool = True) -> None:
    if not isinstance(a, np.ndarray) or a.ndim != ndim:
        raise ValueError(f"{fn}: {name} must be a {ndim}-D NumPy array, got "
                         f"{getattr(a, 'shape', type(a).__name__)}")
    if floating and a.dtype not in (np.float32, np.float64):
        raise TypeError(f"{fn}: {name} must be float32 or float64, got dtype {a.dtype}")


def _check_windows(fn: str, padded_shape: tuple, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
                   oh: int, ow: int) -> None:
    """Every window of the ``oh x ow`` grid must lie inside the padded ``(Hp, Wp)`` plane."""
    _positive_ints(fn, kh=kh, kw=kw, sh=sh, sw=sw, dh=dh, dw=dw, oh=oh, ow=ow)
    hp, wp = padded_shape[2:]
    if (oh - 1) * sh + (kh - 1) * dh >= hp or (ow - 1) * sw + (kw - 1) * dw >= wp:
        raise ValueError(f"{fn}: an output grid of {oh}x{ow} windows of {kh}x{kw} (stride ({sh}, {sw}), "
                         f"dilation ({dh}, {dw})) reaches past the padded input of {hp}x{wp}")



# ---------------------------------------------------------------------------
# im2col / col2im in NumPy: a loop over kernel offsets, never over samples
# ---------------------------------------------------------------------------


def im2col(xp: np.ndarray, kh: int, kw: int, stride: tuple[int, int], dilation: tuple[int, int],
           oh: int, ow: int) -> np.ndarray:
    """Copy every ``kh x kw`` window of ``xp`` into a column.

    Chapter 14: Convolutional networks.

    Parameters
    ----------
    xp : ndarray, shape (N, C, Hp, Wp)
        The padded input.
    kh, kw : int
        Kernel size.
    stride, dilation : (int, int)
        Step between windows; step between the taps of one window.
    oh, ow : int
        Number of windows down and across.

    Returns
    -------
    ndarray, shape (N, C*kh*kw, oh*ow)
        ``cols[n, (c, i, j), (a, b)] = xp[n, c, a*sh + i*dh, b*sw + j*dw]``.
    """
    (sh, sw), (dh, dw) = stride, dilation
    n, c = xp.shape[:2]
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=xp.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            cols[:, :, i, j] = xp[:, :, top:_last_start(top, sh, oh):sh, left:_last_start(left, sw, ow):sw]
    return cols.reshape(n, c * kh * kw, oh * ow)  # (N, C, kh, kw, oh, ow) -> (N, C*kh*kw, oh*ow)


def col2im(cols: np.ndarray, padded_shape: tuple[int, int, int, int], kh: int, kw: int,
           stride: tuple[int, int], dilation: tuple[int, int], oh: int, ow: int) -> np.ndarray:
    """Adjoint of :func:`im2col`: add every column back onto its window.

    Chapter 14: Convolutional networks.

    Parameters
    ----------
    cols : ndarray, shape (N, C*kh*kw, oh*ow)
    padded_shape : (N, C, Hp, Wp)
        Shape of the padded input the columns were taken from.
    kh, kw, stride, dilation, oh, ow
        As for :func:`im2col`.

    Returns
    -------
    ndarray, shape (N, C, Hp, Wp)
        Where windows overlap, their contributions are summed.
    """
    (sh, sw), (dh, dw) = stride, dilation
    n, c = padded_shape[:2]
    cols = cols.reshape(n, c, kh, kw, oh, ow)  # (N, C*kh*kw, oh*ow) -> (N, C, kh, kw, oh, ow)
    xp = np.zeros(padded_shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            xp[:, :, top:_last_start(top, sh, oh):sh, left:_last_start(left, sw, ow):sw] += cols[:, :, i, j]
    return xp


# ---------------------------------------------------------------------------
# im2col / col2im compiled by Numba: one gather (scatter-add) pass over memory
#
# The large arrays are allocated by NumPy and passed in: NumPy asks the kernel
# for huge pages on big arrays, which makes the first write to a fresh
# 40 MB column matrix several times cheaper than Numba's own allocation.
# ---------------------------------------------------------------------------


@njit(cache=True)
def _im2col_kernel(xp, cols, sh, sw, dh, dw):
    n, c, kh, kw, oh, ow = cols.shape
    for s in range(n):
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    for a in range(oh):
                        row = xp[s, ch, a * sh + i * dh]
                        for b in range(ow):
                            cols[s, ch, i, j, a, b] = row[b * sw + j * dw]
    return cols


@njit(cache=True)
def _col2im_kernel(cols, xp, sh, sw, dh, dw):
    n, c, kh, kw, oh, ow = cols.shape
    for s in range(n):
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    for a in range(oh):
                        row = xp[s, ch, a * sh + i * dh]
                        for b in range(ow):
                            row[b * sw + j * dw] += cols[s, ch, i, j, a, b]
    return xp


def im2col_numba(xp: np.ndarray, kh: int, kw: int, stride: tuple[int, int], dilation: tuple[int, int],
                 oh: int, ow: int) -> np.ndarray:
    """:func:`im2col` as one compiled gather loop (same arguments, same result).

    Chapter 14: Convolutional networks.
    """
    _check_array("im2col_numba", "xp", xp, 4)
    _check_windows("im2col_numba", xp.shape, kh, kw, *stride, *dilation, oh, ow)
    n, c = xp.shape[:2]
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=xp.dtype)
    _im2col_kernel(np.ascontiguousarray(xp), cols, *stride, *dilation)
    return cols.reshape(n, c * kh * kw, oh * ow)  # (N, C, kh, kw, oh, ow) -> (N, C*kh*kw, oh*ow)


def col2im_numba(cols: np.ndarray, padded_shape: tuple[int, int, int, int], kh: int, kw: int,
                 stride: tuple[int, int], dilation: tuple[int, int], oh: int, ow: int) -> np.ndarray:
    """:func:`col2im` as one compiled scatter-add loop (same arguments, same result).

    Chapter 14: Convolutional networks.
    """
    _check_array("col2im_numba", "cols", cols, 3)
    if len(tuple(padded_shape)) != 4:
        raise ValueError(f"col2im_numba: padded_shape must be (N, C, Hp, Wp), got {padded_shape!r}")
    padded_shape = tuple(int(v) for v in padded_shape)
    _check_windows("col2im_numba", padded_shape, kh, kw, *stride, *dilation, oh, ow)
    n, c = padded_shape[:2]
    if cols.shape != (n, c * kh * kw, oh * ow):
        raise ValueError(f"col2im_numba: cols must have shape {(n, c * kh * kw, oh * ow)} for these arguments, "
                         f"got {cols.shape}")
    cols = np.ascontiguousarray(cols).reshape(n, c, kh, kw, oh, ow)
    return _col2im_kernel(cols, np.zeros(padded_shape, dtype=cols.dtype), *stride, *dilation)


# ---------------------------------------------------------------------------
# Pooling kernels compiled by Numba
# ---------------------------------------------------------------------------


@njit(cache=True)
def _max_pool_forward_kernel(xp, kh, kw, sh, sw, oh, ow):
    """Max over each ``kh x kw`` window of ``xp`` (N, C, Hp, Wp), and where it was.

    Chapter 14: Convolutional networks.

    Returns ``y`` (N, C, oh, ow) and ``argmax`` (N, C, oh, ow): the flat index
    ``row * Wp + col`` of the maximum in its ``(Hp, Wp)`` plane (the first one on ties).
    """
    n, c, _, wp = xp.shape
    y = np.empty((n, c, oh, ow), dtype=xp.dtype)
    argmax = np.empty((n, c, oh, ow), dtype=np.int64)
    for s in range(n):
        for ch in range(c):
            plane = xp[s, ch]
            for a in range(oh):
                for b in range(ow):
                    best_r, best_c = a * sh, b * sw
                    best = plane[best_r, best_c]
                    for i in range(kh):
                        for j in range(kw):
                            v = plane[a * sh + i, b * sw + j]
                            if v > best:
                                best, best_r, best_c = v, a * sh + i, b * sw + j
                    y[s, ch, a, b] = best
                    argmax[s, ch, a, b] = best_r * wp + best_c
    return y, argmax


@njit(cache=True)
def _max_pool_backward_kernel(grad, argmax, hp, wp):
    """Send each output gradient to the input entry that was the maximum (adding on overlaps).

    Chapter 14: Convolutional networks.

    ``grad`` and ``argmax`` have shape (N, C, oh, ow); returns (N, C, hp, wp).
    """
    n, c, oh, ow = grad.shape
    dxp = np.zeros((n, c, hp * wp), dtype=grad.dtype)
    for s in range(n):
        for ch in range(c):
            for a in range(oh):
                for b in range(ow):
                    dxp[s, ch, argmax[s, ch, a, b]] += grad[s, ch, a, b]
    return dxp.reshape(n, c, hp, wp)


@njit(cache=True)
def _avg_pool_forward_kernel(xp, kh, kw, sh, sw, oh, ow):
    """Mean of each ``kh x kw`` window of ``xp`` (N, C, Hp, Wp) -> (N, C, oh, ow).

    Chapter 14: Convolutional networks.
    """
    n, c = xp.shape[0], xp.shape[1]
    y = np.empty((n, c, oh, ow), dtype=xp.dtype)
    scale = 1.0 / (kh * kw)
    for s in range(n):
        for ch in range(c):
            plane = xp[s, ch]
            for a in range(oh):
                for b in range(ow):
                    total = 0.0
                    for i in range(kh):
                        for j in range(kw):
                            total += plane[a * sh + i, b * sw + j]
                    y[s, ch, a, b] = total * scale
    return y


@njit(cache=True)
def _avg_pool_backward_kernel(grad, kh, kw, sh, sw, hp, wp):
    """Spread each output gradient evenly, ``grad / (kh*kw)``, over its window -> (N, C, hp, wp).

    Chapter 14: Convolutional networks.
    """
    n, c, oh, ow = grad.shape
    dxp = np.zeros((n, c, hp, wp), dtype=grad.dtype)
    scale = 1.0 / (kh * kw)
    for s in range(n):
        for ch in range(c):
            for a in range(oh):
                for b in range(ow):
                    share = grad[s, ch, a, b] * scale
                    for i in range(kh):
                        for j in range(kw):
                            dxp[s, ch, a * sh + i, b * sw + j] += share
    return dxp


# ---------------------------------------------------------------------------
# The public pooling functions: check the geometry, then run the compiled loop
# ---------------------------------------------------------------------------


def max_pool_forward_numba(xp: np.ndarray, kh: int, kw: int, sh: int, sw: int, oh: int, ow: int):
    """Max over each ``kh x kw`` window of ``xp`` (N, C, Hp, Wp), and where it was.

    Chapter 14: Convolutional networks.

    Returns ``y`` (N, C, oh, ow) and ``argmax`` (N, C, oh, ow): the flat index
    ``row * Wp + col`` of the maximum in its ``(Hp, Wp)`` plane (the first one
    on ties).  The geometry is checked first: every window must fit in ``xp``.
    """
    _check_array("max_pool_forward_numba", "xp", xp, 4)
    _check_windows("max_pool_forward_numba", xp.shape, kh, kw, sh, sw, 1, 1, oh, ow)
    return _max_pool_forward_kernel(np.ascontiguousarray(xp), kh, kw, sh, sw, oh, ow)


def max_pool_backward_numba(grad: np.ndarray, argmax: np.ndarray, hp: int, wp: int) -> np.ndarray:
    """Send each output gradient to the input entry that was the maximum (adding on overlaps).

    Chapter 14: Convolutional networks.

    ``grad`` and ``argmax`` have shape (N, C, oh, ow); returns (N, C, hp, wp).
    Every ``argmax`` entry must be a flat index in ``[0, hp * wp)`` (checked).
    """
    fn = "max_pool_backward_numba"
    _check_array(fn, "grad", grad, 4)
    _check_array(fn, "argmax", argmax, 4, floating=False)
    _positive_ints(fn, hp=hp, wp=wp)
    if argmax.shape != grad.shape or argmax.dtype.kind not in "iu":
        raise ValueError(f"{fn}: argmax must be an integer array of grad's shape {grad.shape}, "
                         f"got {argmax.dtype} {argmax.shape}")
    if argmax.size and (argmax.min() < 0 or argmax.max() >= hp * wp):
        raise ValueError(f"{fn}: argmax entries must lie in [0, hp*wp) = [0, {hp * wp}), "
                         f"got [{argmax.min()}, {argmax.max()}]")
    return _max_pool_backward_kernel(np.ascontiguousarray(grad), np.ascontiguousarray(argmax, dtype=np.int64),
                                     int(hp), int(wp))


def avg_pool_forward_numba(xp: np.ndarray, kh: int, kw: int, sh: int, sw: int, oh: int, ow: int) -> np.ndarray:
    """Mean of each ``kh x kw`` window of ``xp`` (N, C, Hp, Wp) -> (N, C, oh, ow).

    Chapter 14: Convolutional networks.  Every window must fit in ``xp`` (checked).
    """
    _check_array("avg_pool_forward_numba", "xp", xp, 4)
    _check_windows("avg_pool_forward_numba", xp.shape, kh, kw, sh, sw, 1, 1, oh, ow)
    return _avg_pool_forward_kernel(np.ascontiguousarray(xp), kh, kw, sh, sw, oh, ow)


def avg_pool_backward_numba(grad: np.ndarray, kh: int, kw: int, sh: int, sw: int, hp: int, wp: int) -> np.ndarray:
    """Spread each output gradient evenly, ``grad / (kh*kw)``, over its window -> (N, C, hp, wp).

    Chapter 14: Convolutional networks.  Every window must fit in ``(hp, wp)`` (checked).
    """
    _check_array("avg_pool_backward_numba", "grad", grad, 4)
    _positive_ints("avg_pool_backward_numba", hp=hp, wp=wp)
    n, c, oh, ow = grad.shape
    _check_windows("avg_pool_backward_numba", (n, c, hp, wp), kh, kw, sh, sw, 1, 1, oh, ow)
    return _avg_pool_backward_kernel(np.ascontiguousarray(grad), kh, kw, sh, sw, int(hp), int(wp))
