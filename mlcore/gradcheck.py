"""Gradient checking by central finite differences (chapter 6).

For a function :math:`f` of tensors, we compare the gradient that
backpropagation computes with the numerical estimate

.. math:: \\frac{\\partial f}{\\partial x_i} \\approx \\frac{f(x + h e_i) - f(x - h e_i)}{2h},

whose error is :math:`O(h^2)`. To check a function with a non-scalar output we
check the scalar :math:`\\langle f(x), r\\rangle` for a fixed random ``r``,
which exercises every entry of the Jacobian.  All arithmetic is float64.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from mlcore._checks import check_number
from mlcore.tensor import Tensor

__all__ = ["gradcheck", "numerical_gradient", "relative_error", "GradcheckResult"]


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """:math:`\\|a-b\\| / \\max(\\|a\\|, \\|b\\|)`, and 0 when both are zero.

    Chapter 6: Backpropagation.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function of one float64 array.

    Chapter 6: Backpropagation.
    """
    eps = check_number("numerical_gradient", "eps", eps, 0, low_open=True)
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f(x)
        flat[i] = old - eps
        f_minus = f(x)
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


@dataclass
class GradcheckResult:
    """What :func:`gradcheck` found: one relative error per input.

    Chapter 6: Backpropagation.
    """

    errors: list[float]
    analytic: list[np.ndarray] = field(repr=False)
    numeric: list[np.ndarray] = field(repr=False)
    tol: float = 1e-6

    @property
    def max_error(self) -> float:
        return max(self.errors) if self.errors else 0.0

    @property
    def passed(self) -> bool:
        return self.max_error < self.tol

    def __bool__(self) -> bool:
        return self.passed


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    tol: float = 1e-6,
    seed: int = 0,
    raise_on_failure: bool = False,
) -> GradcheckResult:
    """Compare autograd's gradients of ``fn(*inputs)`` with finite differences.

    Parameters
    ----------
    fn : callable
        Takes one :class:`Tensor` per input and returns a :class:`Tensor` of any shape.
    inputs : sequence of array_like
        Points at which to check; each is converted to a float64 tensor that
        requires a gradient.
    eps : float
        Finite-difference step.
    tol : float
        Largest acceptable relative error (see :func:`relative_error`).
    seed : int
        Seed of the random projection used when ``fn`` returns more than one value.
    raise_on_failure : bool
        Raise ``AssertionError`` with the errors instead of returning a failing result.

    Returns
    -------
    GradcheckResult
        ``errors[i]`` is the relative error of the gradient for ``inputs[i]``;
        the result is truthy when every error is below ``tol``.

    Chapter 6: Backpropagation.
    """
    eps = check_number("gradcheck", "eps", eps, 0, low_open=True)
    tol = check_number("gradcheck", "tol", tol, 0, low_open=True)
    arrays = [np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64) for x in inputs]
    if not arrays:
        raise ValueError("gradcheck: needs at least one input")
    tensors = [Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]
    out = fn(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    if out.dtype != np.float64:
        raise TypeError(f"gradcheck: fn returned dtype {out.dtype}; it must stay in float64 for the check to mean anything")
    projection = np.random.default_rng(seed).standard_normal(out.shape)
    (out * Tensor(projection, dtype=np.float64)).sum().backward()
    analytic = [t.grad if t.grad is not None else np.zeros_like(t.data) for t in tensors]

    def scalar(i: int) -> Callable[[np.ndarray], float]:
        def f(xi: np.ndarray) -> float:
            args = [Tensor(xi if j == i else arrays[j], dtype=np.float64) for j in range(len(arrays))]
            return float(np.sum(fn(*args).data * projection))

        return f

    numeric = [numerical_gradient(scalar(i), arrays[i], eps) for i in range(len(arrays))]
    errors = [relative_error(a, n) for a, n in zip(analytic, numeric)]
    result = GradcheckResult(errors, analytic, numeric, tol)
    if raise_on_failure and not result.passed:
        raise AssertionError(f"gradcheck failed: relative errors {errors} (tolerance {tol})")
    return result
