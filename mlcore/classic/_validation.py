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
    "check_int",
    "check_labels",
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
    raw = X if isinstance(X, np.ndarray) else None
    if raw is None:
        try:
            raw = np.asarray(X)
        except (TypeError, ValueError):
            raw = None
    if raw is not None and raw.dtype.kind in "cUSV":
        kind = "complex" if raw.dtype.kind == "c" else "string or structured"
        raise TypeError(f"{name} must be an array of numbers (real-valued); got {kind} dtype {raw.dtype}")
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
        y = check_labels(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y have different numbers of samples: X has shape {X.shape}, y has shape {y.shape}"
        )
    return X, y


def check_labels(y: Any, name: str = "y") -> np.ndarray:
    """Validate class labels: 1-D, non-empty, no NaN or None, not complex (strings are fine)."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {y.shape}")
    if y.size == 0:
        raise ValueError(f"{name} is empty: shape {y.shape}")
    if y.dtype.kind == "c":
        raise TypeError(f"{name}: class labels must not be complex; got dtype {y.dtype}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinity; a missing label cannot be a class")
    if y.dtype.kind == "O" and any(v is None or (isinstance(v, float) and not np.isfinite(v)) for v in y):
        raise ValueError(f"{name} contains None or NaN; a missing label cannot be a class")
    return y


def check_int(value: Any, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an ``int``, raising ValueError unless it is an integer >= ``minimum`` (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


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
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number; got {value!r} of type {type(value).__name__}")
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
