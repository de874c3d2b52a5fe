"""Evaluation metrics for scores: the area under the ROC curve and the log loss.

Chapter 24: Wide and deep learning for recommender systems uses both to
compare models that output a probability (or any score) per example.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["rankdata", "roc_auc_score", "log_loss"]


def _vector(fn: str, name: str, x: Any) -> np.ndarray:
    a = np.asarray(x.data if hasattr(x, "data") and not isinstance(x, np.ndarray) else x)
    if a.ndim != 1:
        raise ValueError(f"{fn}: {name} must be one-dimensional, got shape {a.shape}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must hold numbers, got dtype {a.dtype}")
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        raise ValueError(f"{fn}: {name} must be finite, got NaN or infinity")
    return a


def _binary_labels(fn: str, y_true: Any, n: int | None = None) -> np.ndarray:
    y = _vector(fn, "y_true", y_true)
    if n is not None and y.shape[0] != n:
        raise ValueError(f"{fn}: y_true and y_score must have the same length, got {y.shape[0]} and {n}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"{fn}: y_true must hold only 0 and 1, got values {np.unique(y)[:5]}")
    return y.astype(bool)


def rankdata(x: Any) -> np.ndarray:
    """Ranks ``1 .. n`` of the entries of a 1-D array, ties sharing their average rank.

    The tied entries that would occupy ranks :math:`r+1, \\dots, r+m` all get
    :math:`r + (m+1)/2` (``scipy.stats.rankdata``'s ``"average"`` method).
    Chapter 24: Wide and deep learning for recommender systems.
    """
    a = _vector("rankdata", "x", x)
    _, inverse, counts = np.unique(a, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)                     # rank of the last entry of each tie group
    average = last - (counts - 1) / 2.0          # mean of ranks last-m+1 .. last
    return average[inverse.reshape(-1)]


def roc_auc_score(y_true: Any, y_score: Any) -> float:
    """Area under the ROC curve of binary labels ``y_true`` (N,) ranked by ``y_score`` (N,).

    The AUC is the probability that a random positive scores above a random
    negative, ties counting one half (the Mann-Whitney statistic):

    .. math:: \\mathrm{AUC} = \\frac{\\sum_{i: y_i=1} r_i - n_+(n_+ + 1)/2}{n_+ n_-},

    with :math:`r_i` the average ranks of :func:`rankdata`.  Same arguments and
    value as ``sklearn.metrics.roc_auc_score`` for binary labels.  Needs at
    least one positive and one negative.  Chapter 24: Wide and deep learning
    for recommender systems.
    """
    score = _vector("roc_auc_score", "y_score", y_score)
    y = _binary_labels("roc_auc_score", y_true, score.shape[0])
    n_pos = int(y.sum())
    n_neg = y.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc_score: y_true must contain both classes (0 and 1) for the AUC to be defined")
    ranks = rankdata(score)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def log_loss(y_true: Any, y_prob: Any, eps: float = float(np.finfo(np.float64).eps)) -> float:
    """Mean binary cross-entropy :math:`-\\frac1N\\sum_i [y_i\\log p_i + (1-y_i)\\log(1-p_i)]`.

    ``y_true`` (N,) holds 0/1 labels, ``y_prob`` (N,) probabilities in [0, 1],
    clipped to ``[eps, 1-eps]`` (by default the float64 machine epsilon, as
    scikit-learn's ``eps="auto"``) so that a confident mistake costs a large but
    finite amount.  Chapter 24: Wide and deep learning for recommender systems.
    """
    p = _vector("log_loss", "y_prob", y_prob).astype(np.float64)
    y = _binary_labels("log_loss", y_true, p.shape[0])
    if np.any((p < 0) | (p > 1)):
        raise ValueError("log_loss: y_prob must lie in [0, 1]")
    if not 0 < eps < 0.5:
        raise ValueError(f"log_loss: eps must be a number in (0, 0.5), got {eps!r}")
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(np.where(y, np.log(p), np.log1p(-p))))
