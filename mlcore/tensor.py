"""The :class:`Tensor` and the machinery of reverse-mode automatic differentiation.

A :class:`Tensor` wraps a NumPy array.  When it is the result of a
differentiable operation it also remembers *how* it was made: the
:class:`Function` that produced it, the :class:`Context` in which that
function saved what its backward pass needs, and the input tensors (its
*parents*).  Together these records form a directed acyclic graph, and
:meth:`Tensor.backward` walks that graph from the output back to the leaves,
applying the chain rule at every node.

The derivation of every step is in chapter 7 ("Automatic differentiation").
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

import numpy as np

__all__ = [
    "Tensor",
    "Function",
    "Context",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "get_default_dtype",
    "set_default_dtype",
    "as_tensor",
    "unbroadcast",
]

# ---------------------------------------------------------------------------
# Global switches: gradient recording and the default floating-point type
# ---------------------------------------------------------------------------

_grad_enabled = True
_default_dtype = np.dtype(np.float32)


def is_grad_enabled() -> bool:
    """Return ``True`` when operations record the graph for :meth:`Tensor.backward`.

    Chapter 7: Automatic differentiation.
    """
    return _grad_enabled


@contextlib.contextmanager
def _set_grad_enabled(mode: bool) -> Iterator[None]:
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = mode
    try:
        yield
    finally:
        _grad_enabled = previous


def no_grad() -> contextlib.AbstractContextManager:
    """Context manager in which operations build no graph.

    Use it for evaluation and for parameter updates::

        with no_grad():
            prediction = model(x)

    Chapter 7: Automatic differentiation.
    """
    return _set_grad_enabled(False)


def enable_grad() -> contextlib.AbstractContextManager:
    """Context manager that turns graph recording back on inside :func:`no_grad`.

    Chapter 7: Automatic differentiation.
    """
    return _set_grad_enabled(True)


def get_default_dtype() -> np.dtype:
    """The floating-point type given to new tensors built from float data (float32 unless changed).

    Chapter 7: Automatic differentiation.
    """
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the floating-point type of new tensors: ``np.float32`` (default) or ``np.float64``.

    Chapter 7: Automatic differentiation.
    """
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"default dtype must be float32 or float64, got {dtype}")
    _default_dtype = dtype


# ---------------------------------------------------------------------------
# Functions: the nodes of the graph
# ---------------------------------------------------------------------------


class Context:
    """Scratch space shared by the forward and the backward pass of one operation.

    ``forward`` stores what ``backward`` will need with :meth:`save_for_backward`
    (or as plain attributes, for non-array values such as an axis).

    Chapter 7: Automatic differentiation.
    """

    def __init__(self) -> None:
        self.saved_arrays: tuple[np.ndarray, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *arrays: np.ndarray) -> None:
        """Keep ``arrays`` for the backward pass, as ``ctx.saved_arrays`` (chapter 7)."""
        self.saved_arrays = arrays


class Function:
    """Base class of a differentiable operation.

    A subclass implements two static methods that sit side by side:

    ``forward(ctx, *arrays, **options) -> np.ndarray``
        computes the result from NumPy arrays and saves on ``ctx`` what the
        backward pass will need;
    ``backward(ctx, grad) -> np.ndarray | tuple``
        receives :math:`\\partial L/\\partial \\text{output}` and returns one
        gradient :math:`\\partial L/\\partial \\text{input}_i` per tensor input
        (``None`` for an input that needs none), each of that input's shape.

    :meth:`apply` runs ``forward`` and, when gradients are being recorded,
    links the result into the graph.

    Chapter 7: Automatic differentiation.
    """

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Any:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> "Tensor":
        """Run ``forward`` on the inputs' arrays and record the result in the graph (chapter 7).

        Inputs that are not tensors are wrapped with :func:`as_tensor`; the
        result requires a gradient when gradients are enabled and any input
        requires one.
        """
        tensors = tuple([as_tensor(x) for x in inputs])
        ctx = Context()
        ctx.needs_input_grad = tuple([t.requires_grad for t in tensors])
        # np.asarray: NumPy returns scalars, not 0-d arrays, from operations on 0-d arrays.
        data = np.asarray(cls.forward(ctx, *[t.data for t in tensors], **options))
        out = Tensor._from_array(data)
        if _grad_enabled and any(ctx.needs_input_grad):
            out.requires_grad = True
            out._node = _Node(cls, ctx, tensors)
        return out


class _Node:
    """How a non-leaf tensor was made: the function, its context and its inputs."""

    __slots__ = ("function", "ctx", "parents")

    def __init__(self, function: type[Function], ctx: Context, parents: tuple["Tensor", ...]):
        self.function = function
        self.ctx = ctx
        self.parents = parents


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting.

    If ``x`` of shape ``shape`` was broadcast to ``grad.shape`` in the forward
    pass, each element of ``x`` was used once for every copy, so its gradient
    is the *sum* of the gradients of its copies (chapter 7).
    """
    if grad.shape == tuple(shape):
        return grad
    # Leading axes that broadcasting added.
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    # Axes where the input had length 1 and was stretched.
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


# ---------------------------------------------------------------------------
# The tensor
# ---------------------------------------------------------------------------


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    arr = np.asarray(data)
    if arr.dtype.kind == "f":
        # Float data takes the default dtype unless the caller asked otherwise.
        return arr.astype(_default_dtype, copy=False) if arr.dtype != _default_dtype else arr
    if arr.dtype.kind in "iub":
        return arr
    if arr.dtype.kind == "O":
        raise TypeError("Tensor data must be numeric; got an object array (ragged nested lists?)")
    raise TypeError(f"Tensor data must be numeric, got dtype {arr.dtype}")


class Tensor:
    """A NumPy array that can record the operations applied to it.

    Parameters
    ----------
    data : array_like
        The values. Float data becomes :func:`get_default_dtype` (float32)
        unless ``dtype`` is given; integer and boolean data keep their type
        (they are used for labels and indices, and cannot require gradients).
    requires_grad : bool
        Whether gradients with respect to this tensor should be computed.
    dtype : numpy dtype, optional
        Force a dtype, e.g. ``np.float64`` for gradient checks.

    Notes
    -----
    **Gradients accumulate.** :meth:`backward` *adds* into ``.grad`` of every
    leaf tensor that requires gradients; it never overwrites.  Call
    :meth:`zero_grad` (or an optimiser's ``zero_grad``) between steps.
    Non-leaf tensors keep no ``.grad`` unless :meth:`retain_grad` was called.

    Chapter 7: Automatic differentiation.
    """

    __array_priority__ = 100  # so that ndarray <op> Tensor defers to Tensor

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None):
        self.data: np.ndarray = _to_array(data, dtype)
        self.grad: np.ndarray | None = None
        self._node: _Node | None = None
        self._retain_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_array(cls, data: np.ndarray) -> "Tensor":
        """A leaf tensor around the array ``data`` as it is (no copy, no dtype checks): for operation outputs."""
        out = object.__new__(Tensor)
        out.data, out.grad, out._node, out._retain_grad, out.requires_grad = data, None, None, False, False
        return out

    # -- autograd bookkeeping ------------------------------------------------

    def requires_grad_(self, flag: bool = True) -> "Tensor":
        """Turn gradient tracking on or off for this (leaf) tensor, in place."""
        if flag and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients; this one has dtype "
                f"{self.data.dtype}. Convert it first, e.g. Tensor(x, dtype=np.float32)."
            )
        self.requires_grad = bool(flag)
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by an operation."""
        return self._node is None

    def retain_grad(self) -> "Tensor":
        """Ask :meth:`backward` to store ``.grad`` on this non-leaf tensor too."""
        self._retain_grad = True
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to ``None``)."""
        self.grad = None

    def detach(self) -> "Tensor":
        """A new leaf tensor sharing this tensor's data, cut off from the graph."""
        return Tensor(self.data, dtype=self.data.dtype)

    def backward(self, grad: Any = None) -> None:
        """Compute gradients of this tensor with respect to every leaf that requires them.

        Parameters
        ----------
        grad : array_like, optional
            :math:`\\partial L/\\partial \\text{self}`. May be omitted only when this
            tensor holds a single value (a scalar loss); it then defaults to 1.

        The graph is visited in reverse topological order, found with an
        iterative depth-first search so that very deep graphs do not hit
        Python's recursion limit.  Each node's incoming gradients are summed
        before they are passed on, so a value used twice receives the sum of
        both paths.  Leaf gradients are *added* to ``.grad``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran inside no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient argument needs a scalar (one-element) "
                    f"tensor, but this tensor has shape {self.data.shape}. Reduce it first "
                    f"(e.g. .sum() or .mean()) or pass grad= of shape {self.data.shape}."
                )
            grad = np.ones_like(self.data)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
            if grad.shape != self.data.shape:
                raise ValueError(
                    f"backward(): gradient of shape {grad.shape} does not match tensor of "
                    f"shape {self.data.shape}"
                )

        order = _topological_order(self)
        grads: dict[int, np.ndarray] = {id(self): grad}
        for node in reversed(order):  # output first, leaves last
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node._node is None or node._retain_grad:
                node.grad = g.copy() if node.grad is None else node.grad + g
            if node._node is None:
                continue
            fn, ctx, parents = node._node.function, node._node.ctx, node._node.parents
            parent_grads = fn.backward(ctx, g)
            if not isinstance(parent_grads, tuple):
                parent_grads = (parent_grads,)
            if len(parent_grads) != len(parents):
                raise RuntimeError(
                    f"{fn.__name__}.backward returned {len(parent_grads)} gradients for "
                    f"{len(parents)} inputs"
                )
            for parent, pg in zip(parents, parent_grads):
                if pg is None or not parent.requires_grad:
                    continue
                if pg.shape != parent.data.shape:
                    raise RuntimeError(
                        f"{fn.__name__}.backward returned a gradient of shape {pg.shape} for an "
                        f"input of shape {parent.data.shape}"
                    )
                key = id(parent)
                grads[key] = grads[key] + pg if key in grads else pg

    # -- conveniences ----------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied); read-only for the output of a recorded operation.

        An operation's backward pass may reuse its output (``sigmoid`` and
        ``softmax`` do), so editing that output in place would silently give
        wrong gradients; the view returned for such a tensor cannot be
        written (NumPy raises ``ValueError: assignment destination is
        read-only``).  Copy it (``t.numpy().copy()``) to get an editable array.
        A leaf tensor (a parameter, an input) gives its array itself.
        """
        if self._node is None:
            return self.data
        view = self.data.view()
        view.flags.writeable = False
        return view

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.data.shape}")
        return self.data.item()

    def astype(self, dtype: Any) -> "Tensor":
        """A copy converted to ``dtype`` (differentiable between float types)."""
        from mlcore import ops

        return ops.Cast.apply(self, dtype=np.dtype(dtype))

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        return f"Tensor({body}, dtype={self.data.dtype}{grad})"

    # -- operators, all defined in mlcore.ops -----------------------------------

    def __add__(self, other: Any) -> "Tensor":
        return _ops().add(self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return _ops().add(other, self)

    def __sub__(self, other: Any) -> "Tensor":
        return _ops().sub(self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return _ops().sub(other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return _ops().mul(self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return _ops().mul(other, self)

    def __truediv__(self, other: Any) -> "Tensor":
        return _ops().div(self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _ops().div(other, self)

    def __neg__(self) -> "Tensor":
        return _ops().neg(self)

    def __pow__(self, exponent: Any) -> "Tensor":
        return _ops().pow(self, exponent)

    def __rpow__(self, base: Any) -> "Tensor":
        return _ops().pow(base, self)

    def __matmul__(self, other: Any) -> "Tensor":
        return _ops().matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _ops().matmul(other, self)

    def __getitem__(self, index: Any) -> "Tensor":
        return _ops().getitem(self, index)

    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops().sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops().mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops().max(self, axis=axis, keepdims=keepdims)

    def exp(self) -> "Tensor":
        return _ops().exp(self)

    def log(self) -> "Tensor":
        return _ops().log(self)

    def abs(self) -> "Tensor":
        return _ops().abs(self)

    def sqrt(self) -> "Tensor":
        return _ops().sqrt(self)

    def __abs__(self) -> "Tensor":
        return _ops().abs(self)

    def clip(self, min: Any = None, max: Any = None) -> "Tensor":
        return _ops().clip(self, min, max)

    def clamp(self, min: Any = None, max: Any = None) -> "Tensor":
        return _ops().clip(self, min, max)

    def maximum(self, other: Any) -> "Tensor":
        return _ops().maximum(self, other)

    def minimum(self, other: Any) -> "Tensor":
        return _ops().minimum(self, other)

    def where(self, condition: Any, other: Any) -> "Tensor":
        """``self`` where ``condition`` holds, else ``other`` (``torch.Tensor.where``)."""
        return _ops().where(condition, self, other)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> "Tensor":
        return _ops().logsumexp(self, dim, keepdim)

    def split(self, split_size: Any, dim: int = 0) -> tuple["Tensor", ...]:
        return _ops().split(self, split_size, dim)

    def reshape(self, *shape: Any) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops().reshape(self, shape)

    def transpose(self, *axes: Any) -> "Tensor":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops().transpose(self, axes or None)

    @property
    def T(self) -> "Tensor":
        return _ops().transpose(self, None)

    def relu(self) -> "Tensor":
        return _functional().relu(self)

    def sigmoid(self) -> "Tensor":
        return _functional().sigmoid(self)

    def tanh(self) -> "Tensor":
        return _functional().tanh(self)

    def argmax(self, axis: Any = None) -> np.ndarray:
        """Indices of the maxima (a plain array: argmax is not differentiable)."""
        return self.data.argmax(axis=axis)


_modules: dict[str, Any] = {}


def _ops():
    """mlcore.ops, imported on first use (it imports this module) and then cached."""
    if "ops" not in _modules:
        from mlcore import ops

        _modules["ops"] = ops
    return _modules["ops"]


def _functional():
    if "functional" not in _modules:
        from mlcore import functional

        _modules["functional"] = functional
    return _modules["functional"]


def as_tensor(x: Any) -> Tensor:
    """Return ``x`` if it is a :class:`Tensor`, else wrap it (no gradient).

    Chapter 7: Automatic differentiation.
    """
    return x if isinstance(x, Tensor) else Tensor(x)


def _topological_order(root: Tensor) -> list[Tensor]:
    """Tensors that ``root`` depends on (and that require grad), parents before children.

    An iterative post-order depth-first search: each stack entry is a tensor
    and a flag saying whether its parents have already been pushed.  A tensor
    is appended to the order only after all of its parents were appended.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, parents_done = stack.pop()
        if parents_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor._node is not None:
            for parent in tensor._node.parents:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order

