"""3-D convolution over (time, height, width), PyTorch's ``conv3d`` with NCDHW layout.

For an input ``x`` (N, C, D, H, W), a weight ``w`` (O, C, KD, KH, KW) and a bias
``b`` (O,), with stride ``s``, zero padding ``p`` and dilation ``q`` per axis,

.. math:: y_{n,o,t,i,j} = b_o + \\sum_{c,a,u,v} w_{o,c,a,u,v}\\,
          \\tilde x_{n,c,\\,s_0 t + q_0 a,\\; s_1 i + q_1 u,\\; s_2 j + q_2 v},

where :math:`\\tilde x` is the padded input.  The fast path
(:func:`conv3d_forward`) loops over the ``KD*KH*KW`` kernel offsets only: for
each offset the strided slice of the padded input is a (N, C, OD, OH, OW)
array and its contribution is one matrix product with ``w[:, :, a, u, v]``.
The backward pass follows from the same sum:

.. math:: \\frac{\\partial L}{\\partial w_{o,c,a,u,v}} = \\sum_{n,t,i,j} g_{n,o,t,i,j}\\,
          \\tilde x_{n,c,s_0t+q_0a,\\dots}, \\qquad
          \\frac{\\partial L}{\\partial \\tilde x_{n,c,\\dots}} \\mathrel{+}= \\sum_o g_{n,o,t,i,j}\\, w_{o,c,a,u,v},

one product per offset again, scattered back into the strided slice (and the
padding cropped off).  :func:`conv3d_loops` is the naive reference.
Chapter 26: Action recognition in videos derives and uses it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcore._checks import check_float_tensor, check_int, check_int_tuple
from mlcore.tensor import Context, Function, Tensor, as_tensor

__all__ = ["conv3d", "Conv3dFunction", "conv3d_forward", "conv3d_backward", "conv3d_loops", "conv3d_output_shape"]

Triple = tuple[int, int, int]


def conv3d_output_shape(shape: tuple[int, ...], kernel: Triple, stride: Triple, padding: Triple,
                        dilation: Triple) -> Triple:
    """Output (OD, OH, OW) for spatial ``shape`` (D, H, W): :math:`\\lfloor (L + 2p - q(k-1) - 1)/s \\rfloor + 1`.

    Chapter 26: Action recognition in videos.
    """
    return tuple((L + 2 * p - q * (k - 1) - 1) // s + 1
                 for L, k, s, p, q in zip(shape, kernel, stride, padding, dilation))


def _window(xp: np.ndarray, offset: Triple, out: Triple, stride: Triple, dilation: Triple) -> tuple:
    """Index of the slice of the padded input that kernel offset ``offset`` meets, (N, C, OD, OH, OW)."""
    return (slice(None), slice(None)) + tuple(
        slice(q * a, q * a + s * (o - 1) + 1, s) for a, o, s, q in zip(offset, out, stride, dilation))


def conv3d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Triple, padding: Triple,
                   dilation: Triple) -> np.ndarray:
    """Fast 3-D convolution: one (N*OD*OH*OW, C) x (C, O) product per kernel offset (module docstring).

    Chapter 26: Action recognition in videos.
    """
    N, C = x.shape[:2]
    O, _, KD, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in padding))
    out = conv3d_output_shape(x.shape[2:], (KD, KH, KW), stride, padding, dilation)
    y = np.zeros((N,) + out + (O,), dtype=np.result_type(x, w))          # channels last while summing
    for a in range(KD):
        for u in range(KH):
            for v in range(KW):
                patch = xp[_window(xp, (a, u, v), out, stride, dilation)]  # (N, C, OD, OH, OW)
                y += np.tensordot(patch, w[:, :, a, u, v], axes=([1], [1]))    # (N, OD, OH, OW, O)
    y = y.transpose(0, 4, 1, 2, 3)                                         # (N, O, OD, OH, OW)
    if b is not None:
        y = y + b.reshape(1, O, 1, 1, 1)
    return np.ascontiguousarray(y)


def conv3d_backward(grad: np.ndarray, x: np.ndarray, w: np.ndarray, stride: Triple, padding: Triple,
                    dilation: Triple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``(dx, dw, db)`` of :func:`conv3d_forward` given ``grad`` (N, O, OD, OH, OW).

    Chapter 26: Action recognition in videos.
    """
    O, _, KD, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in padding))
    out = grad.shape[2:]
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for a in range(KD):
        for u in range(KH):
            for v in range(KW):
                index = _window(xp, (a, u, v), out, stride, dilation)
                dw[:, :, a, u, v] = np.tensordot(grad, xp[index], axes=([0, 2, 3, 4], [0, 2, 3, 4]))   # (O, C)
                dxp[index] += np.tensordot(grad, w[:, :, a, u, v], axes=([1], [0])).transpose(0, 4, 1, 2, 3)
    D, H, W = x.shape[2:]
    pd, ph, pw = padding
    dx = dxp[:, :, pd:pd + D, ph:ph + H, pw:pw + W]
    return np.ascontiguousarray(dx), dw, grad.sum(axis=(0, 2, 3, 4))


def conv3d_loops(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: Triple = (1, 1, 1),
                 padding: Triple = (0, 0, 0), dilation: Triple = (1, 1, 1)) -> np.ndarray:
    """Naive 3-D convolution, one output element at a time: the tests' oracle.

    Chapter 26: Action recognition in videos.
    """
    N, C = x.shape[:2]
    O, _, KD, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in padding))
    OD, OH, OW = conv3d_output_shape(x.shape[2:], (KD, KH, KW), stride, padding, dilation)
    (s0, s1, s2), (q0, q1, q2) = stride, dilation
    y = np.zeros((N, O, OD, OH, OW), dtype=np.result_type(x, w))
    for n in range(N):
        for o in range(O):
            for t in range(OD):
                for i in range(OH):
                    for j in range(OW):
                        patch = xp[n, :, s0 * t:s0 * t + q0 * (KD - 1) + 1:q0,
                                   s1 * i:s1 * i + q1 * (KH - 1) + 1:q1,
                                   s2 * j:s2 * j + q2 * (KW - 1) + 1:q2]
                        y[n, o, t, i, j] = np.sum(patch * w[o]) + (0.0 if b is None else b[o])
    return y


class Conv3dFunction(Function):
    """Differentiable 3-D convolution; inputs ``x``, ``w`` and optionally ``b``; options ``stride``,
    ``padding``, ``dilation`` (triples).  Chapter 26: Action recognition in videos."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Triple,
                padding: Triple, dilation: Triple) -> np.ndarray:
        ctx.save_for_backward(x, w)
        ctx.options, ctx.has_bias = (stride, padding, dilation), b is not None
        return conv3d_forward(x, w, b, stride, padding, dilation).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        x, w = ctx.saved_arrays
        dx, dw, db = conv3d_backward(grad, x, w, *ctx.options)
        return (dx, dw, db) if ctx.has_bias else (dx, dw)


def conv3d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1) -> Tensor:
    """3-D convolution with PyTorch's arguments: ``input`` (N, C, D, H, W), ``weight`` (O, C, KD, KH, KW).

    ``stride``, ``padding`` (zeros) and ``dilation`` are ints or triples;
    only ``groups=1`` is implemented.  Returns (N, O, OD, OH, OW), see
    :func:`conv3d_output_shape`.  Chapter 26: Action recognition in videos.
    """
    name = "conv3d"
    # Integer input is promoted to the default float dtype, as conv2d does; the weight must be float.
    x, w = check_float_tensor(name, "input", input), as_tensor(weight)
    if x.ndim != 5:
        raise ValueError(f"{name}: input must be 5-D (N, C, D, H, W), got shape {x.shape}")
    if w.ndim != 5:
        raise ValueError(f"{name}: weight must be 5-D (out_channels, in_channels, KD, KH, KW), got shape {w.shape}")
    if w.data.dtype.kind != "f":
        raise TypeError(f"{name}: weight must be floating point, got {w.data.dtype}")
    if check_int(name, "groups", groups) != 1:
        raise ValueError(f"{name}: groups must be 1 (grouped 3-D convolution is not implemented), got {groups}")
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"{name}: weight expects {w.shape[1]} input channels, got input of shape {x.shape}")
    stride = check_int_tuple(name, "stride", stride, 3, 1)
    padding = check_int_tuple(name, "padding", padding, 3, 0)
    dilation = check_int_tuple(name, "dilation", dilation, 3, 1)
    out = conv3d_output_shape(x.shape[2:], w.shape[2:], stride, padding, dilation)
    if min(out) < 1:
        raise ValueError(f"{name}: kernel {w.shape[2:]} (dilation {dilation}) does not fit input {x.shape[2:]} "
                         f"padded by {padding}")
    inputs = (x, w)
    if bias is not None:
        b = as_tensor(bias)
        if b.shape != (w.shape[0],):
            raise ValueError(f"{name}: bias must have shape ({w.shape[0]},), got {b.shape}")
        inputs = (x, w, b)
    return Conv3dFunction.apply(*inputs, stride=stride, padding=padding, dilation=dilation)
