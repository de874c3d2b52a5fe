"""The scikit-learn-like shape shared by every estimator in :mod:`mlcore.classic`.

An estimator is built with its hyper-parameters, learns from ``fit(X, y)``
(which returns the estimator itself, so calls chain), stores what it learnt
in attributes with a trailing underscore (``coef_``, ``means_``), and answers
``predict(X)`` and ``score(X, y)``.  Classifiers score by accuracy and
regressors by the coefficient of determination R^2.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_array, check_labels

__all__ = ["ClassifierMixin", "RegressorMixin", "r2_score", "accuracy_score"]


def accuracy_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of samples whose predicted label equals the true one; shapes (n,), (n,)."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    r"""Coefficient of determination :math:`R^2 = 1 - \sum (y-\hat y)^2 / \sum (y-\bar y)^2`.

    Both arguments have shape (n,).  A constant ``y_true`` gives 1.0 for a
    perfect prediction and 0.0 otherwise.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    ss_res = float(np.sum((y_true - y_pred) ** 2))
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot


class ClassifierMixin:
    """Adds ``score(X, y)``: the accuracy of ``predict(X)`` against labels ``y``."""

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy on (X, y); X has shape (n, d), y shape (n,)."""
        y = check_labels(y)
        pred = self.predict(X)
        _check_same_length(pred, y)
        return accuracy_score(y, pred)


class RegressorMixin:
    """Adds ``score(X, y)``: the R^2 of ``predict(X)`` against targets ``y``."""

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """R^2 on (X, y); X has shape (n, d), y shape (n,)."""
        y = check_array(y, "y", ndim=1)
        pred = self.predict(X)
        _check_same_length(pred, y)
        return r2_score(y, pred)


def _check_same_length(pred: np.ndarray, y: np.ndarray) -> None:
    if pred.shape[0] != y.shape[0]:
        raise ValueError(f"X and y have different numbers of samples: X has {pred.shape[0]} rows, "
                         f"y has shape {y.shape}")
