"""Input checks shared by the estimators of :mod:`mlcore.classic`.

Every public ``fit``/``predict`` passes its arguments through these helpers so
that a wrong input fails early, with a message that names the argument and
its shape, instead of deep inside a NumPy expression.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from mlcore._random import check_rng  # noqa: F401  (re-exported)

__all__ = [
    "ConvergenceWarning",
    "NotFittedError",
    "check_array",
    "check_X_y",
    "check_is_fitted",
    "check_n_features",
    "check_rng",
    "check_positive",
    "warn_not_converged",
]


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped before it converged (or cannot converge).

    Chapter 2: Linear regression and k-nearest neighbours.
    """


class NotFittedError(ValueError):
    """A method that needs fitted parameters was called before ``fit``.

    Chapter 2: Linear regression and k-nearest neighbours.
    """


def check_array(X: Any, name: str = "X", ndim: int = 2) -> np.ndarray:
    """Return ``X`` as a finite, non-empty float64 array with ``ndim`` dimensions.

    Raises
    ------
    TypeError
        If ``X`` cannot be converted to a float array.
    ValueError
        If ``X`` has the wrong number of dimensions, no samples, no features,
        or contains NaN or infinity.
    """
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of numbers; got {type(X).__name__}") from err
    if arr.ndim != ndim:
        hint = " (reshape a single feature with X.reshape(-1, 1))" if ndim == 2 and arr.ndim == 1 else ""
        raise ValueError(f"{name} must be {ndim}-D; got an array of shape {arr.shape}{hint}")
    if arr.size == 0 or arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity (shape {arr.shape})")
    return arr


def check_X_y(X: Any, y: Any, y_numeric: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Validate a design matrix ``X`` of shape (n, d) and targets ``y`` of shape (n,).

    With ``y_numeric=False`` the labels keep their dtype (classes may be
    strings); otherwise ``y`` is converted to a finite float64 vector.
    """
    X = check_array(X, "X")
    if y_numeric:
        y = check_array(y, "y", ndim=1)
    else:
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D; got an array of shape {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y have different numbers of samples: X has shape {X.shape}, y has shape {y.shape}"
        )
    return X, y


def check_is_fitted(estimator: Any, attribute: str) -> None:
    """Raise :class:`NotFittedError` if ``estimator`` lacks the fitted ``attribute``."""
    if getattr(estimator, attribute, None) is None:
        name = type(estimator).__name__
        raise NotFittedError(f"this {name} is not fitted yet; call {name}.fit(X, y) first")


def check_n_features(X: Any, n_features: int, name: str = "X") -> np.ndarray:
    """Validate ``X`` for prediction: 2-D, finite, with ``n_features`` columns."""
    X = check_array(X, name)
    if X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features (shape {X.shape}) but the model was fitted "
            f"with {n_features} features"
        )
    return X


def check_positive(value: float, name: str, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, raising ValueError unless it is finite and > 0 (or >= 0)."""
    value = float(value)
    ok = np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}; got {value}")
    return value


def warn_not_converged(estimator: Any, max_iter: int, extra: str = "") -> None:
    """Issue a :class:`ConvergenceWarning` saying ``estimator`` used all ``max_iter`` iterations."""
    warnings.warn(
        f"{type(estimator).__name__} did not converge in max_iter={max_iter} iterations; "
        f"increase max_iter or loosen tol.{extra}",
        ConvergenceWarning,
        stacklevel=3,
    )
