r"""k-nearest neighbours for classification and regression.

Chapter 2: Linear regression and k-nearest neighbours.

A query point :math:`x` is answered from the :math:`k` training points closest
to it in Euclidean distance.  Squared distances between all queries and all
training points come from one matrix product,

.. math:: \|a - b\|^2 = \|a\|^2 - 2\, a^\top b + \|b\|^2,

computed for a block of queries at a time so memory stays bounded.

Deterministic ties:

* equidistant neighbours: a *stable* sort of the distances keeps the one with
  the lower training index first, so the k-th neighbour is well defined;
* tied votes: among classes with the same (weighted) vote the smallest class
  label wins (classes are kept sorted and ``argmax`` returns the first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ._base import ClassifierMixin, RegressorMixin
from ._validation import check_is_fitted, check_n_features, check_rng, check_X_y

__all__ = [
    "squared_distances",
    "KNeighborsClassifier",
    "KNeighborsRegressor",
    "CrossValidationResult",
    "choose_k_by_cv",
]

Weights = Literal["uniform", "distance"]

#: Largest number of distance entries computed at once (about 32 MB of float64).
_BLOCK_ENTRIES = 4_000_000


def squared_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    r"""All squared Euclidean distances :math:`D_{ij} = \|A_i - B_j\|^2`.

    Chapter 2: Linear regression and k-nearest neighbours.

    Parameters
    ----------
    A : ndarray, shape (m, d)
    B : ndarray, shape (n, d)

    Returns
    -------
    ndarray, shape (m, n)
        Clipped at zero: rounding in the expansion can give tiny negatives.
    """
    A, B = np.asarray(A), np.asarray(B)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[1]:
        raise ValueError(f"squared_distances: A and B must be 2-D with the same number of features (columns), "
                         f"got shapes {A.shape} and {B.shape}")
    D = (A**2).sum(axis=1)[:, None] - 2.0 * (A @ B.T) + (B**2).sum(axis=1)[None, :]
    return np.maximum(D, 0.0)


def _check_k(n_neighbors: int) -> int:
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, (int, np.integer)) or n_neighbors < 1:
        raise ValueError(f"n_neighbors must be a positive integer; got {n_neighbors!r}")
    return int(n_neighbors)


def _check_weights(weights: str) -> str:
    if weights not in ("uniform", "distance"):
        raise ValueError(f"weights must be 'uniform' or 'distance'; got {weights!r}")
    return weights


class _KNeighborsBase:
    """Storage of the training set and the neighbour search shared by both tasks."""

    def __init__(self, n_neighbors: int = 5, weights: Weights = "uniform") -> None:
        self.n_neighbors = _check_k(n_neighbors)
        self.weights = _check_weights(weights)
        self.X_train_: np.ndarray | None = None

    def _store(self, X: np.ndarray) -> None:
        if self.n_neighbors > X.shape[0]:
            raise ValueError(
                f"n_neighbors={self.n_neighbors} is larger than the number of training samples "
                f"(X has shape {X.shape})"
            )
        self.X_train_ = X
        self.n_features_in_ = X.shape[1]

    def kneighbors(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distances to and indices of the k nearest training points.

        Parameters
        ----------
        X : ndarray, shape (m, d)

        Returns
        -------
        distances : ndarray, shape (m, k), ascending along each row
        indices : ndarray of int, shape (m, k), rows of the training set
        """
        check_is_fitted(self, "X_train_")
        X = check_n_features(X, self.n_features_in_)
        k = self.n_neighbors
        n_train = self.X_train_.shape[0]
        block = max(1, _BLOCK_ENTRIES // n_train)
        dist = np.empty((X.shape[0], k))
        idx = np.empty((X.shape[0], k), dtype=np.intp)
        for start in range(0, X.shape[0], block):
            D = squared_distances(X[start : start + block], self.X_train_)  # (b, n_train)
            order = np.argsort(D, axis=1, kind="stable")[:, :k]  # stable: lower index wins ties
            idx[start : start + block] = order
            dist[start : start + block] = np.sqrt(np.take_along_axis(D, order, axis=1))
        return dist, idx

    def _neighbour_weights(self, dist: np.ndarray) -> np.ndarray:
        """Weights (m, k): ones, or 1/distance; a query that coincides with training
        points gives weight 1 to those points and 0 to the others."""
        if self.weights == "uniform":
            return np.ones_like(dist)
        exact = dist == 0.0
        with np.errstate(divide="ignore"):
            w = 1.0 / dist
        rows = exact.any(axis=1)
        w[rows] = exact[rows].astype(np.float64)
        return w


class KNeighborsClassifier(ClassifierMixin, _KNeighborsBase):
    r"""k-nearest-neighbour classifier.

    Chapter 2: Linear regression and k-nearest neighbours.

    The class probability of :math:`c` at :math:`x` is the weighted share of the
    :math:`k` nearest neighbours with label :math:`c`,

    .. math:: p(c \mid x) = \frac{\sum_{j \in N_k(x)} w_j [y_j = c]}{\sum_{j \in N_k(x)} w_j},

    with :math:`w_j = 1` (``weights="uniform"``) or :math:`w_j = 1/\|x - x_j\|`
    (``weights="distance"``).  The prediction is the most probable class; a tie
    goes to the smallest class label.

    Parameters
    ----------
    n_neighbors : int
        k, at most the number of training samples.
    weights : {"uniform", "distance"}

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,), sorted labels
    X_train_ : ndarray, shape (n, d)
    y_index_ : ndarray of int, shape (n,), position of each training label in ``classes_``
    """

    def fit(self, X: np.ndarray, y: np.ndarray) -> "KNeighborsClassifier":
        """Store the training set; X has shape (n, d), y shape (n,) (any sortable labels)."""
        X, y = check_X_y(X, y, y_numeric=False)
        self._store(X)
        self.classes_, self.y_index_ = np.unique(y, return_inverse=True)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (m, n_classes), columns in the order of ``classes_``."""
        dist, idx = self.kneighbors(X)
        w = self._neighbour_weights(dist)  # (m, k)
        votes = np.zeros((idx.shape[0], self.classes_.size))
        np.add.at(votes, (np.arange(idx.shape[0])[:, None], self.y_index_[idx]), w)
        return votes / votes.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most voted class for each row of X (shape (m, d)); ties go to the smallest label."""
        scores = self.predict_proba(X)
        return self.classes_[np.argmax(scores, axis=1)]


class KNeighborsRegressor(RegressorMixin, _KNeighborsBase):
    r"""k-nearest-neighbour regression: the weighted mean of the neighbours' targets.

    Chapter 2: Linear regression and k-nearest neighbours.

    .. math:: \hat y(x) = \frac{\sum_{j \in N_k(x)} w_j y_j}{\sum_{j \in N_k(x)} w_j},

    with the weights of :class:`KNeighborsClassifier`.

    Attributes
    ----------
    X_train_ : ndarray, shape (n, d)
    y_train_ : ndarray, shape (n,)
    """

    def fit(self, X: np.ndarray, y: np.ndarray) -> "KNeighborsRegressor":
        """Store the training set; X has shape (n, d), y shape (n,)."""
        X, y = check_X_y(X, y)
        self._store(X)
        self.y_train_ = y
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted targets, shape (m,), for X of shape (m, d)."""
        dist, idx = self.kneighbors(X)
        w = self._neighbour_weights(dist)
        return (w * self.y_train_[idx]).sum(axis=1) / w.sum(axis=1)


@dataclass
class CrossValidationResult:
    """Scores of :func:`choose_k_by_cv`.

    Chapter 2: Linear regression and k-nearest neighbours.

    Attributes
    ----------
    ks : ndarray of int, shape (n_k,), the candidate values of k
    scores : ndarray, shape (n_k, n_folds), validation score of each k on each fold
    mean_scores : ndarray, shape (n_k,)
    best_k : int, the k with the highest mean score (the smallest such k on a tie)
    """

    ks: np.ndarray
    scores: np.ndarray
    mean_scores: np.ndarray
    best_k: int


def choose_k_by_cv(
    X: np.ndarray,
    y: np.ndarray,
    ks: list[int] | np.ndarray,
    n_folds: int = 5,
    rng: np.random.Generator | int | None = None,
    task: Literal["classification", "regression"] = "classification",
    weights: Weights = "uniform",
) -> CrossValidationResult:
    """Choose k for k-nearest neighbours by ``n_folds``-fold cross-validation.

    Chapter 2: Linear regression and k-nearest neighbours.

    The samples are shuffled once with ``rng`` and cut into ``n_folds`` folds of
    (almost) equal size; each k is fitted on all folds but one and scored
    (accuracy or R^2) on the one left out.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,)
    ks : sequence of int, shape (n_k,), candidate neighbour counts
    n_folds : int, at least 2 and at most n
    rng : Generator or seed, drives the shuffle
    task : "classification" (accuracy) or "regression" (R^2)
    weights : "uniform" or "distance"
    """
    X, y = check_X_y(X, y, y_numeric=(task == "regression"))
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression'; got {task!r}")
    n = X.shape[0]
    if isinstance(n_folds, bool) or not isinstance(n_folds, (int, np.integer)) or not 2 <= n_folds <= n:
        raise ValueError(f"n_folds must be between 2 and the number of samples ({n}); got {n_folds}")
    raw = np.asarray(ks)
    if raw.ndim != 1 or raw.size == 0:
        raise ValueError(f"ks must be a non-empty 1-D sequence of integers; got shape {raw.shape}")
    if raw.dtype.kind not in "iu" or raw.min() < 1:
        raise ValueError(f"ks must hold positive integers (no fractions, no bools); got {list(raw)}")
    ks = raw.astype(np.intp)
    smallest_train = n - int(np.ceil(n / n_folds))
    if ks.max() > smallest_train:
        raise ValueError(
            f"k={ks.max()} is larger than the smallest training split ({smallest_train} samples "
            f"with n={n}, n_folds={n_folds})"
        )
    folds = np.array_split(check_rng(rng).permutation(n), n_folds)
    model_class = KNeighborsClassifier if task == "classification" else KNeighborsRegressor
    scores = np.empty((ks.size, n_folds))
    for f, test in enumerate(folds):
        train = np.setdiff1d(np.arange(n), test)
        for i, k in enumerate(ks):
            model = model_class(n_neighbors=int(k), weights=weights).fit(X[train], y[train])
            scores[i, f] = model.score(X[test], y[test])
    mean_scores = scores.mean(axis=1)
    return CrossValidationResult(ks, scores, mean_scores, int(ks[np.argmax(mean_scores)]))
