r"""Gaussian models: generative classifiers and Gaussian mixtures fitted by EM.

Chapter 3: Logistic regression and mixtures of Gaussians.

Both rest on the log-density of a multivariate normal, evaluated through the
Cholesky factor :math:`\Sigma = LL^\top` (no inverse, no determinant):

.. math:: \log \mathcal N(x \mid \mu, \Sigma) = -\tfrac12 \big(d \log 2\pi + \|L^{-1}(x-\mu)\|^2\big)
          - \textstyle\sum_j \log L_{jj}.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.linalg
from scipy.special import logsumexp

from ._base import ClassifierMixin
from ._validation import (
    check_array,
    check_int,
    check_is_fitted,
    check_n_features,
    check_positive,
    check_rng,
    check_X_y,
    warn_not_converged,
)
from .knn import squared_distances

__all__ = ["GaussianClassifier", "GaussianMixture", "kmeans_plusplus", "gaussian_log_density"]

_LOG_2PI = np.log(2.0 * np.pi)


def _cholesky(cov: np.ndarray, what: str) -> np.ndarray:
    """Lower Cholesky factor of cov (d, d), or a ValueError naming ``what`` if cov is not positive definite."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"the covariance of {what} is not positive definite; increase reg_covar") from None


def gaussian_log_density(X: np.ndarray, mean: np.ndarray, chol: np.ndarray) -> np.ndarray:
    r"""Log-density :math:`\log \mathcal N(x_i \mid \mu, LL^\top)` of each row of X.

    Chapter 3: Logistic regression and mixtures of Gaussians.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    mean : ndarray, shape (d,)
    chol : ndarray, shape (d, d) lower-triangular Cholesky factor of the covariance,
        or shape (d,) the standard deviations of a diagonal covariance

    Returns
    -------
    ndarray, shape (n,)
    """
    diff = X - mean  # (n, d)
    if chol.ndim == 1:
        z2 = np.sum((diff / chol) ** 2, axis=1)
        log_det_half = np.sum(np.log(chol))
    else:
        z = scipy.linalg.solve_triangular(chol, diff.T, lower=True)  # (d, n)
        z2 = np.sum(z**2, axis=0)
        log_det_half = np.sum(np.log(np.diag(chol)))
    return -0.5 * (X.shape[1] * _LOG_2PI + z2) - log_det_half


class GaussianClassifier(ClassifierMixin):
    r"""Generative classifier with Gaussian class densities (LDA- and QDA-like).

    Chapter 3: Logistic regression and mixtures of Gaussians.

    Each class has a prior :math:`\pi_k = n_k / n`, a mean :math:`\mu_k` and a
    covariance, all maximum-likelihood estimates.  Bayes' rule gives

    .. math:: p(k \mid x) = \frac{\pi_k \mathcal N(x \mid \mu_k, \Sigma_k)}
              {\sum_j \pi_j \mathcal N(x \mid \mu_j, \Sigma_j)},

    computed in log space with log-sum-exp.  ``covariance="per_class"`` fits
    :math:`\Sigma_k = \frac{1}{n_k}\sum_{i: y_i = k} (x_i - \mu_k)(x_i - \mu_k)^\top`
    (quadratic boundaries); ``"shared"`` pools them,
    :math:`\Sigma = \frac1n \sum_k n_k \Sigma_k` (linear boundaries).
    ``reg_covar`` is added to the diagonal.

    Attributes
    ----------
    classes_ : ndarray, shape (K,)
    priors_ : ndarray, shape (K,)
    means_ : ndarray, shape (K, d)
    covariances_ : ndarray, shape (K, d, d) (per class) or (d, d) (shared)
    """

    def __init__(self, covariance: Literal["per_class", "shared"] = "per_class", reg_covar: float = 0.0) -> None:
        if covariance not in ("per_class", "shared"):
            raise ValueError(f"covariance must be 'per_class' or 'shared'; got {covariance!r}")
        self.covariance = covariance
        self.reg_covar = check_positive(reg_covar, "reg_covar", allow_zero=True)
        self.means_: np.ndarray | None = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> "GaussianClassifier":
        """Estimate priors, means and covariances from X (n, d) and labels y (n,); returns self."""
        X, y = check_X_y(X, y, y_numeric=False)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        n, d = X.shape
        K = self.classes_.size
        counts = np.bincount(y_index, minlength=K)
        self.priors_ = counts / n
        self.means_ = np.array([X[y_index == k].mean(axis=0) for k in range(K)])  # (K, d)
        diffs = X - self.means_[y_index]  # (n, d)
        covs = np.array([diffs[y_index == k].T @ diffs[y_index == k] / counts[k] for k in range(K)])  # (K, d, d)
        if self.covariance == "shared":
            self.covariances_ = diffs.T @ diffs / n + self.reg_covar * np.eye(d)
            chol = _cholesky(self.covariances_, "the pooled classes")
            self._chols = [chol] * K
        else:
            self.covariances_ = covs + self.reg_covar * np.eye(d)
            self._chols = [_cholesky(c, f"class {self.classes_[k]!r}") for k, c in enumerate(self.covariances_)]
        self.n_features_in_ = d
        return self

    def predict_log_proba(self, X: np.ndarray) -> np.ndarray:
        """Log posterior class probabilities, shape (m, K), for X of shape (m, d)."""
        check_is_fitted(self, "means_")
        X = check_n_features(X, self.n_features_in_)
        log_joint = np.column_stack(
            [np.log(p) + gaussian_log_density(X, mu, L) for p, mu, L in zip(self.priors_, self.means_, self._chols)]
        )  # (m, K)
        return log_joint - logsumexp(log_joint, axis=1, keepdims=True)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Posterior class probabilities, shape (m, K)."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable class for each row of X (m, d); ties go to the smallest label."""
        scores = self.predict_log_proba(X)
        return self.classes_[np.argmax(scores, axis=1)]


def kmeans_plusplus(X: np.ndarray, n_clusters: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
    r"""Choose ``n_clusters`` rows of X as initial centres by k-means++ seeding.

    Chapter 3: Logistic regression and mixtures of Gaussians.

    The first centre is a uniformly random row; each next one is row :math:`i`
    with probability :math:`D_i^2 / \sum_j D_j^2`, :math:`D_i` the distance from
    :math:`x_i` to its nearest centre so far (Arthur and Vassilvitskii, 2007).

    Parameters
    ----------
    X : ndarray, shape (n, d)
    n_clusters : int
    rng : Generator or seed

    Returns
    -------
    ndarray, shape (n_clusters, d)
    """
    X = check_array(X, "X")
    rng = check_rng(rng)
    if not 1 <= n_clusters <= X.shape[0]:
        raise ValueError(f"n_clusters must be between 1 and the number of samples; got {n_clusters} for X of shape {X.shape}")
    chosen = [int(rng.integers(X.shape[0]))]
    d2 = squared_distances(X, X[chosen]).ravel()  # (n,)
    for _ in range(1, n_clusters):
        total = d2.sum()
        if total == 0.0:
            raise ValueError(f"X (shape {X.shape}) has fewer than {n_clusters} distinct points")
        chosen.append(int(rng.choice(X.shape[0], p=d2 / total)))
        d2 = np.minimum(d2, squared_distances(X, X[chosen[-1:]]).ravel())
    return X[chosen].copy()


class GaussianMixture:
    r"""Mixture of K Gaussians fitted by expectation-maximisation.

    Chapter 3: Logistic regression and mixtures of Gaussians.

    Model: :math:`p(x) = \sum_k \pi_k \mathcal N(x \mid \mu_k, \Sigma_k)`.  EM alternates

    * E-step: responsibilities :math:`r_{ik} = p(k \mid x_i)`, computed in log
      space, :math:`\log r_{ik} = \log \pi_k + \log\mathcal N_{ik} - \mathrm{logsumexp}_j(\cdot)`;
    * M-step: with :math:`n_k = \sum_i r_{ik}`, :math:`\pi_k = n_k/n`,
      :math:`\mu_k = \frac{1}{n_k}\sum_i r_{ik} x_i`,
      :math:`\Sigma_k = \frac{1}{n_k}\sum_i r_{ik}(x_i-\mu_k)(x_i-\mu_k)^\top + \epsilon I`
      (only the diagonal for ``covariance_type="diag"``).

    For :math:`\epsilon = 0` each EM step cannot decrease the log-likelihood
    :math:`\ell`.  With the floor :math:`\epsilon` = ``reg_covar`` the M-step
    is no longer the exact maximiser, and chapter 3 derives the bound
    :math:`\ell_\text{new} - \ell_\text{old} \ge \frac{\epsilon}{2n}\sum_k n_k
    (\mathrm{tr}\,\Sigma_{k,\text{new}}^{-1} - \mathrm{tr}\,\Sigma_{k,\text{old}}^{-1})`;
    for the default tiny :math:`\epsilon` any decrease is far below the tolerances in use.  The floor keeps a component
    that collapses onto one point from producing a singular covariance and NaN.

    Initialisation: means from :func:`kmeans_plusplus` (or ``means_init``);
    each point is assigned to its nearest mean and one M-step on these hard
    responsibilities gives the first weights and covariances.  Any of
    ``weights_init``, ``means_init``, ``precisions_init`` given replaces the
    corresponding quantity (same convention as scikit-learn).

    Parameters
    ----------
    n_components : int
    covariance_type : {"full", "diag"}
    tol : float
        Stop when the mean log-likelihood changes by less than ``tol``.
    reg_covar : float >= 0
    max_iter : int
    means_init : ndarray, shape (K, d), optional
    weights_init : ndarray, shape (K,), optional
    precisions_init : ndarray, shape (K, d, d) ("full") or (K, d) ("diag"), optional
        Inverse covariances.
    rng : Generator or seed, for k-means++

    Attributes
    ----------
    weights_ : ndarray, shape (K,)
    means_ : ndarray, shape (K, d)
    covariances_ : ndarray, shape (K, d, d) or (K, d)
    log_likelihood_history_ : ndarray, shape (n_iter_ + 1,)
        Mean log-likelihood per sample :math:`\frac1n\sum_i \log p(x_i)` of the
        initial parameters and after each EM step.
    log_likelihood_ : float, the last entry (the fitted parameters' value)
    converged_ : bool
    n_iter_ : int, the number of EM steps done
    """

    def __init__(
        self,
        n_components: int = 1,
        covariance_type: Literal["full", "diag"] = "full",
        tol: float = 1e-6,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        means_init: np.ndarray | None = None,
        weights_init: np.ndarray | None = None,
        precisions_init: np.ndarray | None = None,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        if covariance_type not in ("full", "diag"):
            raise ValueError(f"covariance_type must be 'full' or 'diag'; got {covariance_type!r}")
        if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) or n_components < 1:
            raise ValueError(f"n_components must be a positive integer; got {n_components!r}")
        self.n_components = int(n_components)
        self.covariance_type = covariance_type
        self.tol = check_positive(tol, "tol", allow_zero=True)
        self.reg_covar = check_positive(reg_covar, "reg_covar", allow_zero=True)
        self.max_iter = check_int(max_iter, "max_iter")
        self.means_init = means_init
        self.weights_init = weights_init
        self.precisions_init = precisions_init
        self.rng = rng
        self.means_: np.ndarray | None = None

    # -- the two steps ------------------------------------------------------
    def _log_weighted_densities(self, X: np.ndarray) -> np.ndarray:
        """log pi_k + log N(x_i | mu_k, Sigma_k), shape (n, K)."""
        return np.column_stack(
            [np.log(w) + gaussian_log_density(X, mu, L) for w, mu, L in zip(self.weights_, self.means_, self._chols)]
        )

    def _e_step(self, X: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean log-likelihood and log-responsibilities (n, K)."""
        log_joint = self._log_weighted_densities(X)
        log_px = logsumexp(log_joint, axis=1, keepdims=True)  # (n, 1)
        return float(log_px.mean()), log_joint - log_px

    def _m_step(self, X: np.ndarray, resp: np.ndarray) -> None:
        """Update weights, means and covariances from responsibilities resp (n, K)."""
        nk = resp.sum(axis=0) + 10 * np.finfo(np.float64).eps  # (K,), never exactly 0
        self.weights_ = nk / nk.sum()
        self.means_ = resp.T @ X / nk[:, None]  # (K, d)
        covs = []
        for k in range(self.n_components):
            diff = X - self.means_[k]
            if self.covariance_type == "full":
                covs.append((resp[:, k, None] * diff).T @ diff / nk[k] + self.reg_covar * np.eye(X.shape[1]))
            else:
                covs.append(resp[:, k] @ diff**2 / nk[k] + self.reg_covar)
        self.covariances_ = np.array(covs)
        self._factorise()

    def _factorise(self) -> None:
        """Cholesky factors (full) or standard deviations (diag) of the covariances."""
        if self.covariance_type == "full":
            self._chols = [_cholesky(c, f"component {k}") for k, c in enumerate(self.covariances_)]
        else:
            if np.any(self.covariances_ <= 0):
                raise ValueError("a diagonal covariance has a zero variance; increase reg_covar")
            self._chols = list(np.sqrt(self.covariances_))

    # -- initialisation -----------------------------------------------------
    def _initialise(self, X: np.ndarray) -> None:
        K, d = self.n_components, X.shape[1]
        if self.means_init is not None:
            means = self._check_init(self.means_init, "means_init", (K, d))
        else:
            means = kmeans_plusplus(X, K, check_rng(self.rng))
        nearest = np.argmin(squared_distances(X, means), axis=1)  # ties: lower component index
        self._m_step(X, np.eye(K)[nearest])
        self.means_ = means
        if self.weights_init is not None:
            weights = self._check_init(self.weights_init, "weights_init", (K,))
            if np.any(weights <= 0) or not np.isclose(weights.sum(), 1.0):
                raise ValueError(f"weights_init must be positive and sum to 1; got {weights}")
            self.weights_ = weights
        if self.precisions_init is not None:
            shape = (K, d, d) if self.covariance_type == "full" else (K, d)
            precisions = self._check_init(self.precisions_init, "precisions_init", shape)
            if self.covariance_type == "full":
                covs = []
                for k, P in enumerate(precisions):
                    L_inv = scipy.linalg.solve_triangular(_cholesky(P, f"precisions_init[{k}]"), np.eye(d), lower=True)
                    covs.append(L_inv.T @ L_inv)  # P^{-1} = L^{-T} L^{-1}
                self.covariances_ = np.array(covs)
            else:
                self.covariances_ = 1.0 / precisions
        self._factorise()

    @staticmethod
    def _check_init(value: np.ndarray, name: str, shape: tuple[int, ...]) -> np.ndarray:
        arr = check_array(value, name, ndim=len(shape))
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape}; got {arr.shape}")
        return arr

    # -- public API ---------------------------------------------------------
    def fit(self, X: np.ndarray, y: None = None) -> "GaussianMixture":
        """Fit the mixture to X of shape (n, d) by EM; ``y`` is ignored. Returns self."""
        X = check_array(X, "X")
        if X.shape[0] < self.n_components:
            raise ValueError(
                f"n_components={self.n_components} needs at least that many samples; X has shape {X.shape}"
            )
        self._initialise(X)
        history: list[float] = []
        self.converged_ = False
        for _ in range(self.max_iter):
            log_likelihood, log_resp = self._e_step(X)
            history.append(log_likelihood)
            if len(history) > 1 and abs(history[-1] - history[-2]) < self.tol:
                self.converged_ = True
                break
            self._m_step(X, np.exp(log_resp))
        if not self.converged_:
            history.append(self._e_step(X)[0])
            warn_not_converged(self, self.max_iter)
        self.log_likelihood_history_ = np.array(history)
        self.log_likelihood_ = history[-1]
        self.n_iter_ = len(history) - 1
        self.n_features_in_ = X.shape[1]
        return self

    def _check_X(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "log_likelihood_history_")
        return check_n_features(X, self.n_features_in_)

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Log-density :math:`\\log p(x_i)` of each row of X (m, d); shape (m,)."""
        return logsumexp(self._log_weighted_densities(self._check_X(X)), axis=1)

    def score(self, X: np.ndarray, y: None = None) -> float:
        """Mean log-likelihood per sample of X (m, d)."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Responsibilities p(k | x_i), shape (m, K)."""
        return np.exp(self._e_step(self._check_X(X))[1])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Index of the most responsible component for each row of X; shape (m,)."""
        return np.argmax(self.predict_proba(X), axis=1)
