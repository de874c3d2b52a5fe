"""Primitive differentiable operations: arithmetic, reductions and reshaping.

Every operation is a small :class:`~mlcore.tensor.Function` whose ``forward``
and ``backward`` sit side by side.  ``backward`` receives the gradient of the
loss with respect to the operation's output and returns the gradient with
respect to each input, of that input's shape.  The rules are derived in
chapter 7 ("Automatic differentiation"); chapter 6 derives the ones a dense
layer needs by hand.
"""

from __future__ import annotations

from typing import Any, Sequence

import builtins

import numpy as np

from mlcore.tensor import Context, Function, Tensor, as_tensor, get_default_dtype, unbroadcast

__all__ = [
    "add", "sub", "mul", "div", "neg", "pow", "matmul", "exp", "log", "abs", "sqrt",
    "maximum", "minimum", "clip", "clamp", "where",
    "sum", "mean", "max", "logsumexp", "reshape", "transpose", "getitem", "split",
    "concatenate", "stack",
]


def _broadcast_shape(op: str, a: np.ndarray, b: np.ndarray) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"{op}: cannot broadcast shapes {a.shape} and {b.shape} (trailing dimensions "
            f"must be equal or 1)"
        ) from None


def _broadcasting(op: str, ufunc: np.ufunc, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``ufunc(a, b)`` with NumPy broadcasting; shapes that do not broadcast raise a ValueError naming ``op``.

    Checking the shapes only when NumPy fails costs nothing on the normal
    path (a pre-check with ``np.broadcast_shapes`` costs about 2 us per call).
    """
    try:
        return ufunc(a, b)
    except ValueError:
        _broadcast_shape(op, a, b)
        raise


def _as_operand(x: Any, like: Tensor) -> Tensor:
    """Wrap a Python number or array so that it takes ``like``'s float dtype."""
    if isinstance(x, Tensor):
        return x
    arr = np.asarray(x)
    if like.dtype.kind == "f" and arr.dtype.kind in "iubf":
        return Tensor(arr, dtype=like.dtype)
    return Tensor(arr)


def _pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        return a, _as_operand(b, a)
    if isinstance(b, Tensor):
        return _as_operand(a, b), b
    return as_tensor(a), as_tensor(b)


# ---------------------------------------------------------------------------
# Element-wise arithmetic (with broadcasting)
# ---------------------------------------------------------------------------


class Add(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.shapes = a.shape, b.shape
        return _broadcasting("add", np.add, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        sa, sb = ctx.shapes
        return unbroadcast(grad, sa), unbroadcast(grad, sb)


class Sub(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.shapes = a.shape, b.shape
        return _broadcasting("sub", np.subtract, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        sa, sb = ctx.shapes
        return unbroadcast(grad, sa), unbroadcast(-grad, sb)


class Mul(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return _broadcasting("mul", np.multiply, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, b = ctx.saved_arrays
        ga = unbroadcast(grad * b, a.shape) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(grad * a, b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return _broadcasting("div", np.divide, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, b = ctx.saved_arrays
        ga = unbroadcast(grad / b, a.shape) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(-grad * a / (b * b), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return -a

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return -grad


class Pow(Function):
    """``a ** b`` for a tensor base and tensor exponent (both may broadcast)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = _broadcasting("pow", np.power, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, b, out = ctx.saved_arrays
        ga = gb = None
        if ctx.needs_input_grad[0]:
            # d(a^b)/da = b a^(b-1)
            ga = unbroadcast(grad * b * a ** (b - 1), a.shape)
        if ctx.needs_input_grad[1]:
            # d(a^b)/db = a^b log a  (defined for a > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = unbroadcast(grad * out * np.log(a), b.shape)
        return ga, gb


class Cast(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        ctx.dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return grad.astype(ctx.dtype)


def add(a: Any, b: Any) -> Tensor:
    """Element-wise ``a + b`` with broadcasting.

    Chapter 7: Automatic differentiation.
    """
    return Add.apply(*_pair(a, b))


def sub(a: Any, b: Any) -> Tensor:
    """Element-wise ``a - b`` with broadcasting.

    Chapter 7: Automatic differentiation.
    """
    return Sub.apply(*_pair(a, b))


def mul(a: Any, b: Any) -> Tensor:
    """Element-wise ``a * b`` with broadcasting.

    Chapter 7: Automatic differentiation.
    """
    return Mul.apply(*_pair(a, b))


def div(a: Any, b: Any) -> Tensor:
    """Element-wise ``a / b`` with broadcasting.

    Chapter 7: Automatic differentiation.
    """
    return Div.apply(*_pair(a, b))


def neg(a: Any) -> Tensor:
    """``-a``.

    Chapter 7: Automatic differentiation.
    """
    return Neg.apply(a)


def pow(a: Any, b: Any) -> Tensor:
    """Element-wise ``a ** b``; the gradient for ``b`` needs ``a > 0``.

    Chapter 7: Automatic differentiation.
    """
    return Pow.apply(*_pair(a, b))


# ---------------------------------------------------------------------------
# Matrix product
# ---------------------------------------------------------------------------


class MatMul(Function):
    """``a @ b`` with NumPy's rules: 1-D operands are promoted, leading axes broadcast.

    For ``C = A B`` the backward pass is ``dA = dC B^T`` and ``dB = A^T dC``
    (chapter 6 derives it entry by entry).
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: operands must have at least one dimension, got shapes {a.shape} "
                f"and {b.shape} (use * for scalars)"
            )
        k_a = a.shape[-1]
        k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if k_a != k_b:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} are not aligned: "
                f"{k_a} (last axis of the first) != {k_b} "
                f"({'only' if b.ndim == 1 else 'second-to-last'} axis of the second)"
            )
        if a.ndim > 2 or b.ndim > 2:
            batch_a = a.shape[:-2] if a.ndim > 1 else ()
            batch_b = b.shape[:-2] if b.ndim > 1 else ()
            try:
                np.broadcast_shapes(batch_a, batch_b)
            except ValueError:
                raise ValueError(
                    f"matmul: batch dimensions of shapes {a.shape} and {b.shape} do not broadcast"
                ) from None
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, b = ctx.saved_arrays
        # Promote 1-D operands to matrices so that one rule covers every case.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1 and b.ndim == 1:
            g2 = grad.reshape(1, 1)
        elif a.ndim == 1:
            g2 = np.expand_dims(grad, -2)
        elif b.ndim == 1:
            g2 = np.expand_dims(grad, -1)
        else:
            g2 = grad
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = g2 @ np.swapaxes(b2, -1, -2)
            ga = unbroadcast(ga, a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            gb = np.swapaxes(a2, -1, -2) @ g2
            gb = unbroadcast(gb, b2.shape).reshape(b.shape)
        return ga, gb


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product ``a @ b`` (batched over leading axes, like :func:`numpy.matmul`).

    Chapter 7: Automatic differentiation.
    """
    return MatMul.apply(*_pair(a, b))


# ---------------------------------------------------------------------------
# Element-wise functions
# ---------------------------------------------------------------------------


class Exp(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (out,) = ctx.saved_arrays
        return grad * out


class Log(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (a,) = ctx.saved_arrays
        return grad / a


def exp(a: Any) -> Tensor:
    """Element-wise :math:`e^a`.

    Chapter 7: Automatic differentiation.
    """
    return Exp.apply(a)


def log(a: Any) -> Tensor:
    """Element-wise natural logarithm.

    Chapter 7: Automatic differentiation.
    """
    return Log.apply(a)


class Abs(Function):
    """:math:`|a|`; derivative :math:`\\operatorname{sign}(a)`, with the subgradient 0 at 0 (as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(np.sign(a))
        return np.abs(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (sign,) = ctx.saved_arrays
        return grad * sign


class Sqrt(Function):
    """:math:`\\sqrt a`; derivative :math:`1/(2\\sqrt a)` (infinite at 0, as in PyTorch)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (out,) = ctx.saved_arrays
        with np.errstate(divide="ignore"):
            return grad / (2 * out)


def _float_input(op: str, a: Any) -> Tensor:
    """``a`` as a tensor; integers and booleans are promoted to the default float dtype."""
    a = as_tensor(a)
    if a.dtype.kind != "f":
        a = Tensor(a.data, dtype=get_default_dtype())
    return a


def abs(a: Any) -> Tensor:
    """Element-wise :math:`|a|`; the gradient is :math:`\\operatorname{sign}(a)`, 0 at :math:`a = 0`.

    Chapter 7: Automatic differentiation.
    """
    return Abs.apply(a)


def sqrt(a: Any) -> Tensor:
    """Element-wise :math:`\\sqrt a` (NaN for negative entries); integer input is promoted to float.

    Chapter 7: Automatic differentiation.
    """
    return Sqrt.apply(_float_input("sqrt", a))


class Maximum(Function):
    """Element-wise :math:`\\max(a, b)` with broadcasting.

    The gradient goes to the larger input; at a tie :math:`a = b` each input
    receives half of it (PyTorch's choice, a valid subgradient).
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        _broadcast_shape("maximum", a, b)
        ctx.save_for_backward(np.where(a > b, 1.0, np.where(a == b, 0.5, 0.0)).astype(np.result_type(a, b)))
        ctx.shapes = a.shape, b.shape
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (share_a,) = ctx.saved_arrays
        sa, sb = ctx.shapes
        ga = unbroadcast(grad * share_a, sa) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(grad * (1 - share_a), sb) if ctx.needs_input_grad[1] else None
        return ga, gb


def maximum(a: Any, b: Any) -> Tensor:
    """Element-wise maximum of ``a`` and ``b`` (broadcasting); ties split the gradient half and half.

    Chapter 7: Automatic differentiation.
    """
    return Maximum.apply(*_pair(a, b))


class Minimum(Function):
    """Element-wise :math:`\\min(a, b)`: :class:`Maximum` with the comparison reversed (ties split too)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        _broadcast_shape("minimum", a, b)
        ctx.save_for_backward(np.where(a < b, 1.0, np.where(a == b, 0.5, 0.0)).astype(np.result_type(a, b)))
        ctx.shapes = a.shape, b.shape
        return np.minimum(a, b)

    backward = staticmethod(Maximum.backward)


def minimum(a: Any, b: Any) -> Tensor:
    """Element-wise minimum of ``a`` and ``b`` (broadcasting); the gradient goes to the smaller input.

    Ties split the gradient half and half, as in PyTorch.

    Chapter 7: Automatic differentiation.
    """
    return Minimum.apply(*_pair(a, b))


class Clip(Function):
    """Clamp into :math:`[\\mathrm{lo}, \\mathrm{hi}]`; the gradient passes where
    :math:`\\mathrm{lo} \\le a \\le \\mathrm{hi}` (boundaries included, as in PyTorch) and is 0 outside."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, lo: Any = None, hi: Any = None) -> np.ndarray:
        inside = np.ones(a.shape, dtype=bool)
        out = a
        if lo is not None:
            inside &= a >= lo
            out = np.maximum(out, np.asarray(lo, dtype=a.dtype))
        if hi is not None:
            inside &= a <= hi
            out = np.minimum(out, np.asarray(hi, dtype=a.dtype))
        ctx.save_for_backward(inside)
        return np.array(out, dtype=a.dtype, copy=True)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (inside,) = ctx.saved_arrays
        return grad * inside


def clip(a: Any, min: Any = None, max: Any = None) -> Tensor:
    """Clamp every entry into ``[min, max]`` (either bound may be ``None``, not both).

    ``min`` and ``max`` are numbers or arrays that broadcast against ``a``;
    they receive no gradient. The gradient with respect to ``a`` is 1 where
    ``min <= a <= max`` (including the boundaries, as in ``torch.clamp``)
    and 0 elsewhere. If ``min > max`` every entry becomes ``max``.

    Chapter 7: Automatic differentiation.
    """
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    bounds = []
    for name, bound in (("min", min), ("max", max)):
        if isinstance(bound, Tensor):
            bound = bound.data
        if bound is not None:
            bound = np.asarray(bound)
            if bound.dtype.kind not in "iuf":
                raise TypeError(f"clip: {name} must be a number or a numeric array, got dtype {bound.dtype}")
            a_shape = np.shape(a.data if isinstance(a, Tensor) else a)
            try:
                if np.broadcast_shapes(bound.shape, a_shape) != a_shape:
                    raise ValueError
            except ValueError:
                raise ValueError(f"clip: {name} of shape {bound.shape} does not broadcast to the input's "
                                 f"shape {a_shape}") from None
        bounds.append(bound)
    return Clip.apply(_float_input("clip", a), lo=bounds[0], hi=bounds[1])


clamp = clip


class Where(Function):
    """:math:`\\mathrm{cond} ? a : b`, element-wise with broadcasting; the gradient goes to the chosen input."""

    @staticmethod
    def forward(ctx: Context, cond: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            shape = np.broadcast_shapes(cond.shape, a.shape, b.shape)
        except ValueError:
            raise ValueError(f"where: cannot broadcast shapes {cond.shape} (condition), {a.shape} and "
                             f"{b.shape}") from None
        ctx.save_for_backward(cond)
        ctx.shapes = shape, a.shape, b.shape
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (cond,) = ctx.saved_arrays
        _, sa, sb = ctx.shapes
        zero = np.zeros((), dtype=grad.dtype)
        ga = unbroadcast(np.where(cond, grad, zero), sa) if ctx.needs_input_grad[1] else None
        gb = unbroadcast(np.where(cond, zero, grad), sb) if ctx.needs_input_grad[2] else None
        return None, ga, gb


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` is true, else ``other`` (all three broadcast), like ``torch.where``.

    ``condition`` must be boolean; it receives no gradient. The gradient of
    each output entry goes to the input it was taken from.

    Chapter 7: Automatic differentiation.
    """
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}")
    a, b = _pair(input, other)
    return Where.apply(cond, a, b)


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------


def _normalise_axis(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    try:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    except TypeError:
        axes = (axis,)
    out = []
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or isinstance(ax, bool):
            raise ValueError(f"{op}: axis must be None, an integer or a tuple of integers, got {axis!r}")
        if not -ndim <= ax < builtins.max(ndim, 1):
            raise ValueError(f"{op}: axis {ax} is out of range for a tensor with {ndim} dimensions")
        out.append(int(ax) % builtins.max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out))


def _expand_reduced(grad: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool):
    """Put back the reduced axes (as length 1) so ``grad`` broadcasts against the input."""
    if keepdims:
        return grad
    return grad.reshape(tuple([1 if i in axes else n for i, n in enumerate(shape)]))


def _spread(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A new array of ``shape`` filled by broadcasting ``grad`` (the backward of a sum)."""
    out = np.empty(shape, dtype=grad.dtype)
    out[...] = grad
    return out


class Sum(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        ctx.axes = _normalise_axis(axis, a.ndim, "sum")
        ctx.shape, ctx.keepdims = a.shape, keepdims
        return np.asarray(a.sum(axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        # Every input element contributes with weight 1: copy the gradient back.
        grad = _expand_reduced(grad, ctx.shape, ctx.axes, ctx.keepdims)
        return _spread(grad, ctx.shape)


class Mean(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        ctx.axes = _normalise_axis(axis, a.ndim, "mean")
        ctx.shape, ctx.keepdims = a.shape, keepdims
        if a.size == 0:
            raise ValueError("mean: cannot average an empty tensor")
        ctx.count = int(np.prod([a.shape[ax] for ax in ctx.axes])) if ctx.axes else 1
        return np.asarray(a.mean(axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        grad = _expand_reduced(grad, ctx.shape, ctx.axes, ctx.keepdims)
        return _spread(grad / ctx.count, ctx.shape)


class Max(Function):
    """Maximum along axes; ties share the gradient equally (a valid subgradient)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        if a.size == 0:
            raise ValueError("max: cannot take the maximum of an empty tensor")
        ctx.axes = _normalise_axis(axis, a.ndim, "max")
        ctx.keepdims = keepdims
        out = a.max(axis=ctx.axes, keepdims=True)
        mask = a == out
        ctx.save_for_backward(mask / mask.sum(axis=ctx.axes, keepdims=True))
        return out if keepdims else np.squeeze(out, axis=ctx.axes)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (share,) = ctx.saved_arrays
        grad = _expand_reduced(grad, share.shape, ctx.axes, ctx.keepdims)
        return (grad * share).astype(grad.dtype, copy=False)


def sum(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (all axes when ``None``).

    Chapter 7: Automatic differentiation.
    """
    return Sum.apply(a, axis=axis, keepdims=keepdims)


def mean(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (all axes when ``None``).

    Chapter 7: Automatic differentiation.
    """
    return Mean.apply(a, axis=axis, keepdims=keepdims)


def max(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis``; the gradient goes to the maximal entries.

    Chapter 7: Automatic differentiation.
    """
    return Max.apply(a, axis=axis, keepdims=keepdims)


class LogSumExp(Function):
    """:math:`\\log\\sum_i e^{a_i}` over axes, computed as :math:`m + \\log\\sum_i e^{a_i - m}`
    with :math:`m = \\max_i a_i`, so nothing overflows; the gradient is :math:`\\operatorname{softmax}(a)`."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        if a.size == 0:
            raise ValueError("logsumexp: cannot reduce an empty tensor")
        ctx.axes = _normalise_axis(axis, a.ndim, "logsumexp")
        ctx.keepdims = keepdims
        m = a.max(axis=ctx.axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)  # all -inf (or an inf): shift by 0 instead
        with np.errstate(divide="ignore"):
            out = m + np.log(np.exp(a - m).sum(axis=ctx.axes, keepdims=True))
        ctx.save_for_backward(a, out)
        return out if keepdims else np.squeeze(out, axis=ctx.axes)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, out = ctx.saved_arrays
        grad = _expand_reduced(grad, a.shape, ctx.axes, ctx.keepdims)
        return grad * np.exp(a - out)


def logsumexp(a: Any, dim: Any, keepdim: bool = False) -> Tensor:
    """:math:`\\log\\sum e^{a}` over ``dim`` (an int or a tuple of ints), stable for large entries.

    PyTorch's signature: ``dim`` is required, ``keepdim`` keeps the reduced
    axes with length 1. The gradient is the softmax of ``a`` along ``dim``.

    Chapter 8: Losses and the training loop.
    """
    return LogSumExp.apply(_float_input("logsumexp", a), axis=dim, keepdims=keepdim)


# ---------------------------------------------------------------------------
# Shape operations
# ---------------------------------------------------------------------------


class Reshape(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ctx.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {a.shape} into {tuple(shape)}") from None

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return grad.reshape(ctx.shape)


class Transpose(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: Sequence[int] | None = None) -> np.ndarray:
        if axes is not None and (
                not all(isinstance(x, (int, np.integer)) and -builtins.max(a.ndim, 1) <= x < builtins.max(a.ndim, 1)
                        for x in axes)
                or sorted(int(x) % builtins.max(a.ndim, 1) for x in axes) != list(range(a.ndim))):
            raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the {a.ndim} axes of shape {a.shape}")
        ctx.axes = axes
        return np.transpose(a, axes)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        if ctx.axes is None:
            return np.transpose(grad)
        return np.transpose(grad, np.argsort(ctx.axes))


def _is_basic_index(index: Any) -> bool:
    """True for NumPy *basic* indexing (ints, slices, ``...``, ``None``): a view, no entry twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(
        i is None or i is Ellipsis or isinstance(i, slice)
        or (isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)))
        for i in items
    )


class GetItem(Function):
    """Indexing and slicing.

    Basic indexing selects every entry at most once, so the backward pass
    writes the gradient into the selected view; advanced indexing (integer
    arrays, masks) may select an entry several times, and ``np.add.at``
    accumulates the repeated indices' gradients (a plain ``+=`` would keep
    only one of them).
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: Any) -> np.ndarray:
        ctx.shape, ctx.index, ctx.basic = a.shape, index, _is_basic_index(index)
        return np.asarray(a[index])

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        if ctx.basic:
            out[ctx.index] = grad
        else:
            np.add.at(out, ctx.index, grad)  # add.at, not +=, so repeated indices add up
        return out


def getitem_reference_backward(shape: tuple[int, ...], index: Any, grad: np.ndarray) -> np.ndarray:
    """The slow, always-correct backward of indexing (``np.add.at`` for every index), kept as the test oracle.

    Chapter 7: Automatic differentiation.
    """
    out = np.zeros(shape, dtype=grad.dtype)
    np.add.at(out, index, grad)
    return out


class Concatenate(Function):
    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
        ndim = arrays[0].ndim
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or not -ndim <= axis < ndim:
            raise ValueError(f"concatenate: axis must be an integer in [{-ndim}, {ndim}) for tensors with "
                             f"{ndim} dimensions, got {axis!r}")
        axis = int(axis) % ndim
        try:
            out = np.concatenate(arrays, axis=axis)
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"concatenate: shapes {shapes} do not match except along axis {axis}") from None
        ctx.splits = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return tuple(np.split(grad, ctx.splits, axis=ctx.axis))


def reshape(a: Any, shape: Sequence[int]) -> Tensor:
    """View ``a`` with a new shape (one entry may be -1).

    Chapter 7: Automatic differentiation.
    """
    return Reshape.apply(a, shape=tuple(shape))


def transpose(a: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute axes (reverse them when ``axes`` is ``None``).

    Chapter 7: Automatic differentiation.
    """
    return Transpose.apply(a, axes=None if axes is None else tuple(axes))


def getitem(a: Any, index: Any) -> Tensor:
    """``a[index]`` for any NumPy index: integers, slices, arrays, masks.

    Chapter 7: Automatic differentiation.
    """
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetItem.apply(a, index=index)


def split(tensor: Any, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Cut ``tensor`` along ``dim`` into pieces, as ``torch.split``; returns a tuple of tensors.

    An int gives pieces of that length (the last one shorter if the length
    does not divide evenly); a list gives the length of every piece and must
    sum to the length of ``dim``. Each piece is a slice, so its gradient
    flows back into its part of ``tensor``.

    Chapter 7: Automatic differentiation.
    """
    tensor = as_tensor(tensor)
    if not isinstance(dim, (int, np.integer)) or not -tensor.ndim <= dim < tensor.ndim:
        raise ValueError(f"split: dim {dim!r} is out of range for a tensor with {tensor.ndim} dimensions")
    dim = int(dim) % tensor.ndim
    n = tensor.shape[dim]
    if isinstance(split_size_or_sections, (int, np.integer)) and not isinstance(split_size_or_sections, bool):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: split_size must be a positive integer, got {size}")
        sizes = [builtins.min(size, n - start) for start in range(0, n, size)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if not all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 0 for k in sizes):
            raise ValueError(f"split: sections must be non-negative integers, got {sizes}")
        if builtins.sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} sum to {builtins.sum(sizes)}, but dim {dim} has length {n}")
    pieces, start = [], 0
    for k in sizes:
        index = (slice(None),) * dim + (slice(start, start + int(k)),)
        pieces.append(getitem(tensor, index))
        start += int(k)
    return tuple(pieces)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis.

    Chapter 7: Automatic differentiation.
    """
    if len(tensors) == 0:
        raise ValueError("concatenate: needs at least one tensor")
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along a new axis (built from :func:`reshape` and :func:`concatenate`).

    Chapter 7: Automatic differentiation.
    """
    if len(tensors) == 0:
        raise ValueError("stack: needs at least one tensor")
    tensors = [as_tensor(t) for t in tensors]
    shape = tensors[0].shape
    for t in tensors[1:]:
        if t.shape != shape:
            raise ValueError(f"stack: all tensors need the same shape, got {shape} and {t.shape}")
    nd = len(shape) + 1
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or not -nd <= axis < nd:
        raise ValueError(f"stack: axis must be an integer in [{-nd}, {nd}) for tensors with {nd - 1} "
                         f"dimensions, got {axis!r}")
    ax = int(axis) % nd
    expanded = [reshape(t, shape[:ax] + (1,) + shape[ax:]) for t in tensors]
    return concatenate(expanded, axis=ax)
