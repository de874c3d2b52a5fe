"""Scaled dot-product attention and sinusoidal positional encoding.

Chapter 18: Attention and transformers derives everything here.  For queries
:math:`Q` (L, E), keys :math:`K` (S, E) and values :math:`V` (S, E_v),

.. math:: \\mathrm{Attention}(Q, K, V) = \\mathrm{softmax}\\!\\big(c\\,QK^\\top + M\\big)\\,V,
   \\qquad c = 1/\\sqrt{E},

with an additive mask :math:`M` (0 where a query may look at a key,
:math:`-\\infty` where it may not).  Two implementations sit side by side:

* :class:`ScaledDotProductAttention`, one fused :class:`~mlcore.tensor.Function`
  whose backward pass is the closed form of the chapter (the fast path);
* :func:`scaled_dot_product_attention_reference`, the same computation built from
  primitive operations (matmul, softmax), which autograd differentiates; the
  tests check that the two agree.

The masks follow PyTorch's ``scaled_dot_product_attention``: a **boolean** mask
is ``True`` where a query *may* attend to a key, a **float** mask is added to
the scores.  (:class:`mlcore.nn.MultiheadAttention` follows PyTorch's module,
whose boolean masks mean the opposite: ``True`` = *do not* attend.)

A query row whose keys are all masked attends to nothing: its weights are
zero and its output is zero, as in PyTorch's function (a plain softmax would
give NaN there; the reference does).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlcore import ops
from mlcore.tensor import Context, Function, Tensor, as_tensor, unbroadcast

__all__ = [
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_reference",
    "ScaledDotProductAttention",
    "causal_mask",
    "sinusoidal_positional_encoding",
]


def _swap_last(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def _safe_softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis; rows that are all :math:`-\\infty` give zeros, not NaN."""
    top = scores.max(axis=-1, keepdims=True)
    top = np.where(np.isneginf(top), 0.0, top).astype(scores.dtype, copy=False)
    e = np.exp(scores - top)
    total = e.sum(axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


class ScaledDotProductAttention(Function):
    """Fused :math:`O = \\mathrm{drop}(\\mathrm{softmax}(c\\,QK^\\top + B))\\,V` and its backward pass.

    With :math:`P` the attention weights, :math:`\\tilde P = P \\odot D/(1-p)` after
    dropout (:math:`D` the 0/1 keep mask; :math:`\\tilde P = P` without dropout) and
    :math:`G = \\partial L/\\partial O`:

    .. math::
       \\bar V = \\tilde P^\\top G, \\quad
       \\bar P = (G V^\\top) \\odot D/(1-p), \\quad
       \\bar S = P \\odot \\big(\\bar P - \\mathrm{rowsum}(\\bar P \\odot P)\\big),

    .. math::
       \\bar Q = c\\,\\bar S K, \\quad \\bar K = c\\,\\bar S^\\top Q, \\quad \\bar B = \\bar S,

    each summed back over broadcast batch axes.  Shapes: Q (..., L, E),
    K (..., S, E), V (..., S, E_v), B broadcastable to (..., L, S).

    Chapter 18: Attention and transformers.
    """

    @staticmethod
    def forward(ctx: Context, q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: np.ndarray,
                scale: float = 1.0, keep: np.ndarray | None = None, keep_scale: float = 1.0) -> np.ndarray:
        scores = (q @ _swap_last(k)) * scale + bias  # (..., L, S)
        p = _safe_softmax(scores)
        dropped = p if keep is None else p * keep * keep_scale
        ctx.save_for_backward(q, k, v, p, dropped)
        ctx.bias_shape, ctx.scale, ctx.keep, ctx.keep_scale = bias.shape, scale, keep, keep_scale
        return (dropped @ v).astype(q.dtype, copy=False)  # (..., L, E_v)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        q, k, v, p, dropped = ctx.saved_arrays
        need_q, need_k, need_v, need_b = ctx.needs_input_grad
        gv = unbroadcast(_swap_last(dropped) @ grad, v.shape) if need_v else None
        gq = gk = gb = None
        if need_q or need_k or need_b:
            g_dropped = grad @ _swap_last(v)  # (..., L, S)
            g_p = g_dropped if ctx.keep is None else g_dropped * ctx.keep * ctx.keep_scale
            g_s = p * (g_p - (g_p * p).sum(axis=-1, keepdims=True))  # softmax backward, row by row
            if need_q:
                gq = unbroadcast((g_s @ k) * ctx.scale, q.shape)
            if need_k:
                gk = unbroadcast((_swap_last(g_s) @ q) * ctx.scale, k.shape)
            if need_b:
                gb = unbroadcast(g_s, ctx.bias_shape)
        return gq, gk, gv, gb


def causal_mask(length: int, source_length: int | None = None) -> np.ndarray:
    """Boolean (L, S) mask, ``True`` on and below the diagonal: query ``i`` may look at keys ``j <= i``.

    PyTorch's ``is_causal=True`` convention (aligned at the top left).
    Chapter 18: Attention and transformers.
    """
    s = length if source_length is None else source_length
    if not (isinstance(length, (int, np.integer)) and isinstance(s, (int, np.integer)) and length > 0 and s > 0):
        raise ValueError(f"causal_mask: lengths must be positive integers, got {length!r} and {source_length!r}")
    return np.tril(np.ones((int(length), int(s)), dtype=bool))


def _check_qkv(fn: str, query: Any, key: Any, value: Any) -> tuple[Tensor, Tensor, Tensor, tuple[int, ...]]:
    """Validate (..., L, E), (..., S, E), (..., S, E_v); return the tensors and the broadcast batch shape."""
    q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
    for name, t in (("query", q), ("key", k), ("value", v)):
        if t.dtype.kind != "f":
            raise TypeError(f"{fn}: {name} must be floating point, got dtype {t.dtype}")
        if t.ndim < 2:
            raise ValueError(f"{fn}: {name} must have shape (..., length, features), got {t.shape}")
    if not q.dtype == k.dtype == v.dtype:
        raise TypeError(f"{fn}: query, key and value must share a dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"{fn}: query {q.shape} and key {k.shape} must have the same last dimension E")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{fn}: key {k.shape} and value {v.shape} must have the same length S (axis -2)")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"{fn}: the batch dimensions of query {q.shape}, key {k.shape} and value {v.shape} do not broadcast"
        ) from None
    return q, k, v, batch


def _prepare(fn: str, query: Any, key: Any, value: Any, attn_mask: Any, dropout_p: Any, is_causal: bool,
             scale: Any, rng: Any):
    """Check every argument; return q, k, v, the additive mask tensor, the scale and the dropout keep mask."""
    q, k, v, batch = _check_qkv(fn, query, key, value)
    L, S = q.shape[-2], k.shape[-2]
    if isinstance(dropout_p, bool) or not isinstance(dropout_p, (int, float, np.floating)) or not 0 <= dropout_p < 1:
        raise ValueError(f"{fn}: dropout_p must be a probability in [0, 1), got {dropout_p!r}")
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    elif isinstance(scale, bool) or not isinstance(scale, (int, float, np.floating)) or not math.isfinite(scale):
        raise ValueError(f"{fn}: scale must be a finite number or None, got {scale!r}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{fn}: give either attn_mask or is_causal=True, not both")
    if is_causal:
        attn_mask = causal_mask(L, S)
    if attn_mask is None:
        bias = Tensor(np.zeros((), dtype=q.dtype))
    else:
        mask = attn_mask if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        kind = mask.dtype.kind
        if kind not in "bf":
            raise TypeError(f"{fn}: attn_mask must be boolean (True = attend) or float (added), got dtype {mask.dtype}")
        try:
            fits = np.broadcast_shapes(mask.shape, batch + (L, S)) == batch + (L, S)
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{fn}: attn_mask of shape {mask.shape} does not broadcast to {batch + (L, S)}")
        if kind == "b":
            data = mask.data if isinstance(mask, Tensor) else mask
            bias = Tensor(np.where(data, 0.0, -np.inf).astype(q.dtype))
        elif isinstance(mask, Tensor):
            bias = mask if mask.dtype == q.dtype else mask.astype(q.dtype)
        else:
            bias = Tensor(mask, dtype=q.dtype)
    keep, keep_scale = None, 1.0
    if dropout_p > 0:
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        keep = rng.random(batch + (L, S)) >= dropout_p
        keep_scale = 1.0 / (1.0 - dropout_p)
    return q, k, v, bias, float(scale), keep, keep_scale


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None, rng: Any = None) -> Tensor:
    """Attention :math:`\\mathrm{softmax}(QK^\\top/\\sqrt{E} + M)\\,V`, PyTorch's signature and masks.

    Parameters
    ----------
    query : Tensor, shape (..., L, E)
    key : Tensor, shape (..., S, E)
    value : Tensor, shape (..., S, E_v)
        Leading (batch, head) dimensions broadcast against each other.
    attn_mask : array_like or Tensor, broadcastable to (..., L, S), optional
        Boolean: ``True`` where query ``i`` may attend to key ``j``.  Float: added
        to the scores (``-inf`` forbids; a float mask that requires a gradient gets one).
    dropout_p : float in [0, 1)
        Probability of dropping each attention weight (inverted dropout, always
        applied when positive, as in PyTorch's function).
    is_causal : bool
        Use the lower-triangular :func:`causal_mask`; do not also give ``attn_mask``.
    scale : float, optional
        Factor :math:`c` of the scores, default :math:`1/\\sqrt{E}`.
    rng : numpy.random.Generator or int, optional
        Source of the dropout mask.

    Returns
    -------
    Tensor of shape (..., L, E_v).  A query whose keys are all masked gets zeros.

    One fused :class:`ScaledDotProductAttention` Function; Chapter 18: Attention
    and transformers derives its backward pass.
    """
    q, k, v, bias, scale, keep, keep_scale = _prepare(
        "scaled_dot_product_attention", query, key, value, attn_mask, dropout_p, is_causal, scale, rng)
    return ScaledDotProductAttention.apply(q, k, v, bias, scale=scale, keep=keep, keep_scale=keep_scale)


def _attend(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, scale: float, keep: np.ndarray | None,
            keep_scale: float) -> tuple[Tensor, Tensor]:
    """The reference computation from primitive ops: ``(output, weights)``, both differentiable.

    The weights returned are the ones multiplied into ``v``: after dropout, if any (as PyTorch returns them).
    """
    from mlcore.functional import softmax

    axes = tuple(range(k.ndim - 2)) + (k.ndim - 1, k.ndim - 2)
    scores = ops.matmul(q, ops.transpose(k, axes)) * scale + bias  # (..., L, S)
    weights = softmax(scores, axis=-1)
    dropped = weights if keep is None else weights * Tensor(keep * keep_scale, dtype=weights.dtype)
    return ops.matmul(dropped, v), dropped


def scaled_dot_product_attention_reference(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                           dropout_p: float = 0.0, is_causal: bool = False,
                                           scale: float | None = None, rng: Any = None) -> Tensor:
    """The same attention as :func:`scaled_dot_product_attention`, built from primitive operations.

    The readable oracle for the fused Function: matmul, scale, add the mask,
    softmax, (dropout), matmul, each differentiated by autograd.  The same
    ``rng`` gives the same dropout mask as the fused version.  A fully masked
    query row gives NaN here (a plain softmax of :math:`-\\infty` everywhere).

    Chapter 18: Attention and transformers.
    """
    q, k, v, bias, scale, keep, keep_scale = _prepare(
        "scaled_dot_product_attention_reference", query, key, value, attn_mask, dropout_p, is_causal, scale, rng)
    return _attend(q, k, v, bias, scale, keep, keep_scale)[0]


def sinusoidal_positional_encoding(length: int, d_model: int, base: float = 10000.0, dtype: Any = None) -> np.ndarray:
    """The sinusoidal position codes of Vaswani et al. (2017), shape (length, d_model).

    .. math:: \\mathrm{PE}_{t, 2i} = \\sin(t\\,\\omega_i), \\quad
       \\mathrm{PE}_{t, 2i+1} = \\cos(t\\,\\omega_i), \\quad \\omega_i = \\mathrm{base}^{-2i/d},

    for positions :math:`t = 0 .. \\mathrm{length}-1`.  Each pair of columns turns
    at its own frequency, so a shift by :math:`\\Delta` positions is a fixed
    rotation of every pair: :math:`\\mathrm{PE}_{t+\\Delta}` is a linear function of
    :math:`\\mathrm{PE}_t`.  An odd ``d_model`` drops the last cosine column.

    Chapter 18: Attention and transformers.
    """
    for name, n in (("length", length), ("d_model", d_model)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise ValueError(f"sinusoidal_positional_encoding: {name} must be a positive integer, got {n!r}")
    if isinstance(base, bool) or not isinstance(base, (int, float, np.floating)) or not base > 1:
        raise ValueError(f"sinusoidal_positional_encoding: base must be a number > 1, got {base!r}")
    from mlcore.tensor import get_default_dtype

    positions = np.arange(length, dtype=np.float64)[:, None]  # (L, 1)
    freqs = float(base) ** (-np.arange(0, d_model, 2, dtype=np.float64) / d_model)  # (ceil(d/2),)
    angles = positions * freqs  # (L, ceil(d/2))
    pe = np.empty((length, d_model), dtype=np.float64)
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : d_model // 2])
    return pe.astype(get_default_dtype() if dtype is None else dtype)
