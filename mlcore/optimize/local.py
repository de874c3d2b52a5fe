r"""Deterministic local methods: Nelder-Mead, and BFGS with a strong-Wolfe line search.

Chapter 10: Global and local optimisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from mlcore._checks import check_number

from ._common import BudgetExhausted, Objective, OptimizeResult, check_budget, check_x0

__all__ = ["nelder_mead", "bfgs", "line_search_wolfe", "LineSearchResult", "numerical_gradient"]


# -- Nelder-Mead -----------------------------------------------------------------
def nelder_mead(
    f: Callable[[np.ndarray], float],
    x0: np.ndarray,
    *,
    max_fev: int = 2000,
    xatol: float = 1e-8,
    fatol: float = 1e-8,
    initial_step: float = 0.05,
) -> OptimizeResult:
    r"""Minimise f with the Nelder-Mead simplex method (no derivatives).

    Chapter 10: Global and local optimisation.

    A simplex of d + 1 points, sorted :math:`f(v_0) \le \dots \le f(v_d)`, moves
    by replacing its worst vertex.  With :math:`c` the centroid of the best d,
    try the reflection :math:`r = c + (c - v_d)`; if it beats the best, try the
    expansion :math:`c + 2(c - v_d)`; if it is no better than the second worst,
    contract towards :math:`c` (outside, :math:`c + \frac12(r - c)`, or inside,
    :math:`c - \frac12(c - v_d)`); if that fails too, shrink every vertex
    halfway to :math:`v_0`.

    The initial simplex adds ``initial_step`` times each coordinate of x0 to
    that coordinate (0.00025 for a zero coordinate).  Stops when all vertices
    are within ``xatol`` of the best (max norm) and their values within
    ``fatol`` of its value.

    Parameters
    ----------
    f : callable, (d,) -> float
    x0 : ndarray, shape (d,)
    max_fev : int, evaluation budget
    xatol, fatol : float

    Returns
    -------
    OptimizeResult; ``path`` holds the best vertex after each iteration.
    """
    x0 = check_x0(x0)
    initial_step = check_number("nelder_mead", "initial_step", initial_step, 0, low_open=True)
    xatol = check_number("nelder_mead", "xatol", xatol, 0)
    fatol = check_number("nelder_mead", "fatol", fatol, 0)
    obj = Objective(f, check_budget(max_fev))
    d = x0.size
    simplex = np.tile(x0, (d + 1, 1))  # (d + 1, d)
    for i in range(d):
        simplex[i + 1, i] = x0[i] * (1 + initial_step) if x0[i] != 0 else 0.00025
    try:
        values = obj.many(simplex)
        order = np.argsort(values, kind="stable")
        simplex, values = simplex[order], values[order]
        obj.record(simplex[0])
        while True:
            if np.max(np.abs(simplex[1:] - simplex[0])) <= xatol and np.max(np.abs(values[1:] - values[0])) <= fatol:
                return obj.result(True, "simplex converged")
            centroid = simplex[:-1].mean(axis=0)
            worst = simplex[-1]
            reflected = centroid + (centroid - worst)
            f_r = obj(reflected)
            if f_r < values[0]:
                expanded = centroid + 2.0 * (centroid - worst)
                f_e = obj(expanded)
                simplex[-1], values[-1] = (expanded, f_e) if f_e < f_r else (reflected, f_r)
            elif f_r < values[-2]:
                simplex[-1], values[-1] = reflected, f_r
            else:
                if f_r < values[-1]:
                    candidate = centroid + 0.5 * (reflected - centroid)  # outside contraction
                    threshold = f_r
                else:
                    candidate = centroid - 0.5 * (centroid - worst)  # inside contraction
                    threshold = values[-1]
                f_c = obj(candidate)
                if f_c <= threshold:
                    simplex[-1], values[-1] = candidate, f_c
                else:  # shrink towards the best vertex
                    simplex[1:] = simplex[0] + 0.5 * (simplex[1:] - simplex[0])
                    values[1:] = obj.many(simplex[1:])
            order = np.argsort(values, kind="stable")
            simplex, values = simplex[order], values[order]
            obj.record(simplex[0])
    except BudgetExhausted:
        if not obj.fun_history:
            obj.record(obj.best_x)
        return obj.result(False, f"budget of max_fev={max_fev} evaluations used")


# -- line search -----------------------------------------------------------------------
@dataclass
class LineSearchResult:
    """A step length along p and what was computed there.

    Chapter 10: Global and local optimisation.

    Attributes
    ----------
    alpha : float, the step
    f_new : float, f(x + alpha p)
    g_new : ndarray, shape (d,), gradient at x + alpha p
    success : bool, the strong Wolfe conditions hold at alpha (when False, a positive
        alpha still satisfies sufficient decrease: the search stopped at alpha_max or its
        interval collapsed)
    """

    alpha: float
    f_new: float
    g_new: np.ndarray
    success: bool


def line_search_wolfe(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    p: np.ndarray,
    f0: float,
    g0: np.ndarray,
    c1: float = 1e-4,
    c2: float = 0.9,
    alpha_init: float = 1.0,
    alpha_max: float = 100.0,
    max_iter: int = 40,
) -> LineSearchResult:
    r"""Find a step satisfying the strong Wolfe conditions (Nocedal & Wright, Alg. 3.5 and 3.6).

    Chapter 10: Global and local optimisation.

    With :math:`\phi(\alpha) = f(x + \alpha p)` and a descent direction
    (:math:`\phi'(0) < 0`), the step must satisfy

    .. math:: \phi(\alpha) \le \phi(0) + c_1 \alpha \phi'(0) \quad\text{(sufficient decrease)},\qquad
              |\phi'(\alpha)| \le c_2 |\phi'(0)| \quad\text{(curvature)}.

    Bracketing: :math:`\alpha` doubles until it overshoots (no sufficient
    decrease, or :math:`\phi` rose, or :math:`\phi' \ge 0`), which traps an
    acceptable step in an interval.  Zoom: the interval shrinks around the
    minimiser of the quadratic through :math:`\phi(\alpha_{lo}), \phi'(\alpha_{lo}),
    \phi(\alpha_{hi})` (bisection if that falls too close to an end) until a
    trial point satisfies both conditions.

    Parameters
    ----------
    f, grad : callables, (d,) -> float and (d,) -> (d,)
    x, p : ndarray, shape (d,), the point and a descent direction
    f0, g0 : f(x) and grad(x)
    c1, c2 : 0 < c1 < c2 < 1

    Returns
    -------
    LineSearchResult
    """
    if not 0 < c1 < c2 < 1:
        raise ValueError(f"need 0 < c1 < c2 < 1; got c1={c1}, c2={c2}")
    dphi0 = float(g0 @ p)
    if dphi0 >= 0:
        raise ValueError(f"p is not a descent direction: grad.p = {dphi0}")

    def phi(alpha: float) -> float:
        return f(x + alpha * p)

    def dphi(alpha: float) -> tuple[float, np.ndarray]:
        g = grad(x + alpha * p)
        return float(g @ p), g

    def zoom(lo: float, hi: float, phi_lo: float, dphi_lo: float, g_lo: np.ndarray, phi_hi: float) -> LineSearchResult:
        for _ in range(max_iter):
            width = hi - lo
            if abs(width) <= 1e-14 * max(1.0, abs(lo)):
                break  # the interval has collapsed: nothing more to gain
            denominator = 2.0 * (phi_hi - phi_lo - dphi_lo * width)
            alpha = lo - dphi_lo * width**2 / denominator if denominator != 0 else lo + 0.5 * width
            if not (min(lo, hi) + 0.1 * abs(width) <= alpha <= max(lo, hi) - 0.1 * abs(width)):
                alpha = lo + 0.5 * width  # safeguard: bisect
            phi_a = phi(alpha)
            if phi_a > f0 + c1 * alpha * dphi0 or phi_a >= phi_lo:
                hi, phi_hi = alpha, phi_a
            else:
                dphi_a, g_a = dphi(alpha)
                if abs(dphi_a) <= -c2 * dphi0:
                    return LineSearchResult(alpha, phi_a, g_a, True)
                if dphi_a * (hi - lo) >= 0:
                    hi, phi_hi = lo, phi_lo
                lo, phi_lo, dphi_lo, g_lo = alpha, phi_a, dphi_a, g_a
        return LineSearchResult(lo, phi_lo, g_lo, False)

    alpha_prev, phi_prev, dphi_prev, g_prev = 0.0, f0, dphi0, g0
    alpha = alpha_init
    for i in range(max_iter):
        phi_a = phi(alpha)
        if phi_a > f0 + c1 * alpha * dphi0 or (i > 0 and phi_a >= phi_prev):
            return zoom(alpha_prev, alpha, phi_prev, dphi_prev, g_prev, phi_a)
        dphi_a, g_a = dphi(alpha)
        if abs(dphi_a) <= -c2 * dphi0:
            return LineSearchResult(alpha, phi_a, g_a, True)
        if dphi_a >= 0:
            return zoom(alpha, alpha_prev, phi_a, dphi_a, g_a, phi_prev)
        if alpha >= alpha_max:
            # Still descending at the largest allowed step: stop there (Nocedal & Wright,
            # Alg. 3.5). Sufficient decrease holds; the curvature condition does not.
            return LineSearchResult(alpha, phi_a, g_a, False)
        alpha_prev, phi_prev, dphi_prev, g_prev = alpha, phi_a, dphi_a, g_a
        alpha = min(2.0 * alpha, alpha_max)
    return LineSearchResult(alpha_prev, phi_prev, g_prev, False)


# -- BFGS -----------------------------------------------------------------------------
def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, step: float | None = None) -> np.ndarray:
    r"""Central differences :math:`\partial_i f \approx (f(x + h_i e_i) - f(x - h_i e_i)) / (2 h_i)`.

    Chapter 10: Global and local optimisation.

    :math:`h_i = \epsilon^{1/3}\max(1, |x_i|)` by default, which balances the
    :math:`O(h^2)` truncation error against the :math:`O(\epsilon/h)` rounding
    error.  Costs 2d evaluations; x has shape (d,), so does the result.
    """
    h = (np.finfo(np.float64).eps ** (1 / 3) if step is None else step) * np.maximum(1.0, np.abs(x))
    g = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h[i]
        g[i] = (f(x + e) - f(x - e)) / (2.0 * h[i])
    return g


def bfgs(
    f: Callable[[np.ndarray], float],
    x0: np.ndarray,
    *,
    jac: Callable[[np.ndarray], np.ndarray] | None = None,
    gtol: float = 1e-6,
    max_fev: int = 5000,
    c1: float = 1e-4,
    c2: float = 0.9,
) -> OptimizeResult:
    r"""Minimise a smooth f by the BFGS quasi-Newton method with a strong-Wolfe line search.

    Chapter 10: Global and local optimisation.

    BFGS keeps an approximation :math:`H_k` of the *inverse* Hessian, steps
    along :math:`p_k = -H_k \nabla f_k` by :func:`line_search_wolfe`, and with
    :math:`s = x_{k+1} - x_k`, :math:`y = \nabla f_{k+1} - \nabla f_k`,
    :math:`\rho = 1 / y^\top s` updates

    .. math:: H_{k+1} = (I - \rho s y^\top) H_k (I - \rho y s^\top) + \rho s s^\top .

    The curvature condition of the line search guarantees :math:`y^\top s > 0`,
    so :math:`H` stays positive definite.  :math:`H_0` is the identity, rescaled
    by :math:`y^\top s / y^\top y` after the first step (Nocedal & Wright, eq. 6.20).

    Parameters
    ----------
    f : callable, (d,) -> float
    x0 : ndarray, shape (d,)
    jac : callable (d,) -> (d,), optional; central differences (2d evaluations
        of f, counted in ``nfev``) when omitted
    gtol : float, stop when :math:`\|\nabla f\|_\infty \le` gtol
    max_fev : int, budget of evaluations of f
    c1, c2 : float, the Wolfe constants

    Returns
    -------
    OptimizeResult; ``path`` holds the iterates.
    """
    x = check_x0(x0)
    gtol = check_number("bfgs", "gtol", gtol, 0, low_open=True)
    c1 = check_number("bfgs", "c1", c1, 0, 1, low_open=True, high_open=True)
    c2 = check_number("bfgs", "c2", c2, c1, 1, low_open=True, high_open=True)
    if jac is not None and not callable(jac):
        raise TypeError(f"bfgs: jac must be a callable returning the gradient, or None; got {type(jac).__name__}")
    obj = Objective(f, check_budget(max_fev))

    def gradient(point: np.ndarray) -> np.ndarray:
        if jac is None:
            g = numerical_gradient(obj, point)
        else:
            obj.njev += 1
            g = np.asarray(jac(point), dtype=np.float64)
            if g.shape != point.shape:
                raise ValueError(f"bfgs: jac returned shape {g.shape}, expected {point.shape}")
        if not np.all(np.isfinite(g)):
            raise _NonFinite(point)
        return g

    try:
        fx = obj(x)
        g = gradient(x)
        obj.record(x)
        H = np.eye(x.size)
        first = True
        while np.max(np.abs(g)) > gtol:
            p = -H @ g
            if g @ p >= 0:  # numerical trouble: restart along steepest descent
                H, p = np.eye(x.size), -g
            step = line_search_wolfe(obj, gradient, x, p, fx, g, c1=c1, c2=c2)
            # A step that only decreases f (the line search hit alpha_max or its
            # interval collapsed) is still taken; the update below is skipped if y's <= 0.
            if not step.success and not (step.alpha > 0 and step.f_new < fx):
                obj.record(x)
                return obj.result(False, "line search found no step satisfying the Wolfe conditions")
            s = step.alpha * p
            y = step.g_new - g
            x, fx, g = x + s, step.f_new, step.g_new
            ys = float(y @ s)
            if ys > 0:
                if first:
                    H = (ys / float(y @ y)) * np.eye(x.size)
                    first = False
                rho = 1.0 / ys
                V = np.eye(x.size) - rho * np.outer(s, y)
                H = V @ H @ V.T + rho * np.outer(s, s)
            obj.record(x)
        return obj.result(True, "gradient norm below gtol")
    except BudgetExhausted:
        if not obj.fun_history:
            obj.record(obj.best_x)
        return obj.result(False, f"budget of max_fev={max_fev} evaluations used")
    except _NonFinite as bad:
        obj.record(x)
        return obj.result(False, f"the gradient is not finite (NaN or infinity) at {bad.point}")


class _NonFinite(Exception):
    """Raised inside :func:`bfgs` when a gradient holds NaN or infinity (reported as a failure)."""

    def __init__(self, point: np.ndarray) -> None:
        super().__init__(point)
        self.point = np.array(point)
