"""What every optimiser of :mod:`mlcore.optimize` shares: the result record,
evaluation counting under a budget, and input checks.

Chapter 10: Global and local optimisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from mlcore._random import check_rng  # noqa: F401  (re-exported)

__all__ = ["OptimizeResult", "Objective", "BudgetExhausted", "check_x0", "check_bounds", "check_budget", "check_rng"]


@dataclass
class OptimizeResult:
    """The outcome of a minimisation.

    Chapter 10: Global and local optimisation.

    Attributes
    ----------
    x : ndarray, shape (d,), the best point found
    fun : float, f(x)
    nfev : int, evaluations of f (finite-difference gradients included)
    nit : int, iterations (generations for population methods)
    fun_history : ndarray, shape (nit + 1,), best value so far after each iteration
        (entry 0: after the initial evaluations)
    x_history : ndarray, shape (nit + 1, d), best point so far after each iteration
    path : ndarray, shape (nit + 1, d), the method's current point after each
        iteration (the accepted state of a random walk, the best vertex of a
        simplex, the best member of a population) - what to plot as a trajectory
    success : bool, the method's own stopping test was met (not the budget)
    message : str
    njev : int, calls of a supplied gradient (0 if none)
    """

    x: np.ndarray
    fun: float
    nfev: int
    nit: int
    fun_history: np.ndarray
    x_history: np.ndarray
    path: np.ndarray
    success: bool
    message: str
    njev: int = 0


class BudgetExhausted(Exception):
    """Raised by :class:`Objective` when one more evaluation would exceed the budget."""


class Objective:
    """Wraps f: counts evaluations, enforces the budget, keeps the best point and the histories.

    Non-finite values count as ``+inf``, so a NaN never becomes the best point.
    """

    def __init__(self, f: Callable[[np.ndarray], float], max_fev: int) -> None:
        self.f = f
        self.max_fev = max_fev
        self.nfev = 0
        self.njev = 0
        self.best_x: np.ndarray | None = None
        self.best_f = np.inf
        self.fun_history: list[float] = []
        self.x_history: list[np.ndarray] = []
        self.path: list[np.ndarray] = []

    def __call__(self, x: np.ndarray) -> float:
        if self.nfev >= self.max_fev:
            raise BudgetExhausted
        self.nfev += 1
        value = float(self.f(x))
        if not np.isfinite(value):
            value = np.inf
        if value < self.best_f or self.best_x is None:
            self.best_f, self.best_x = value, np.array(x, dtype=np.float64)
        return value

    def many(self, points: np.ndarray) -> np.ndarray:
        """Evaluate each row of points (m, d); shape (m,)."""
        return np.array([self(p) for p in points])

    def record(self, current: np.ndarray) -> None:
        """Close an iteration: store the best so far and the method's current point."""
        self.fun_history.append(self.best_f)
        self.x_history.append(self.best_x.copy())
        self.path.append(np.array(current, dtype=np.float64))

    def result(self, success: bool, message: str) -> OptimizeResult:
        return OptimizeResult(
            x=self.best_x.copy(),
            fun=self.best_f,
            nfev=self.nfev,
            nit=max(len(self.fun_history) - 1, 0),
            fun_history=np.array(self.fun_history),
            x_history=np.array(self.x_history),
            path=np.array(self.path),
            success=success,
            message=message,
            njev=self.njev,
        )


def check_x0(x0: np.ndarray) -> np.ndarray:
    """x0 as a finite, non-empty float64 vector of shape (d,)."""
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.ndim != 1 or x0.size == 0:
        raise ValueError(f"x0 must be a non-empty 1-D array; got shape {x0.shape}")
    if not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be finite; got {x0}")
    return x0


def check_bounds(bounds: np.ndarray, dim: int | None = None) -> np.ndarray:
    """Bounds as a float64 array of shape (d, 2) with finite low < high in each row."""
    b = np.asarray(bounds, dtype=np.float64)
    if b.ndim != 2 or b.shape[1] != 2 or b.shape[0] == 0:
        raise ValueError(f"bounds must have shape (d, 2), one (low, high) row per coordinate; got shape {b.shape}")
    if dim is not None and b.shape[0] != dim:
        raise ValueError(f"bounds has {b.shape[0]} rows but x0 has {dim} coordinates")
    if not np.all(np.isfinite(b)) or np.any(b[:, 0] >= b[:, 1]):
        raise ValueError(f"bounds must be finite with low < high in every row; got {b.tolist()}")
    return b


def check_budget(max_fev: int) -> int:
    """max_fev as a positive int."""
    if isinstance(max_fev, bool) or not isinstance(max_fev, (int, np.integer)) or max_fev < 1:
        raise ValueError(f"max_fev must be a positive integer; got {max_fev!r}")
    return int(max_fev)
