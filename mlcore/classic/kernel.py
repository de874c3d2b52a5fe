r"""Non-linear regression: basis functions, kernel ridge and Gaussian processes.

Chapter 4: Non-linear regression.

A linear model in fixed non-linear features :math:`\phi(x)` fits curves with
the machinery of chapter 2.  Kernel methods go further: they never build the
features, only the inner products :math:`k(x, x') = \phi(x)^\top \phi(x')`,
collected in the Gram matrix :math:`K_{ij} = k(x_i, x_j)`.  Positive-definite
systems are solved through a Cholesky factor, never an inverse.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.linalg
from scipy.special import expit

from ._base import RegressorMixin
from ._validation import check_array, check_int, check_is_fitted, check_n_features, check_positive, check_X_y
from .knn import squared_distances
from .linear import LinearRegression, Ridge

__all__ = [
    "polynomial_features",
    "rbf_features",
    "sigmoid_features",
    "BasisFunctionRegression",
    "rbf_kernel",
    "polynomial_kernel",
    "KernelRidge",
    "GaussianProcessRegressor",
]


# -- basis functions ----------------------------------------------------------
def polynomial_features(X: np.ndarray, degree: int) -> np.ndarray:
    r"""Powers :math:`x_j, x_j^2, \dots, x_j^{p}` of every column (no cross terms, no constant).

    Chapter 4: Non-linear regression.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    degree : int >= 1

    Returns
    -------
    ndarray, shape (n, d * degree), columns grouped by power:
    :math:`[x^1 \mid x^2 \mid \dots \mid x^p]`
    """
    X = check_array(X, "X")
    degree = check_int(degree, "degree")
    return np.hstack([X**p for p in range(1, degree + 1)])


def rbf_features(X: np.ndarray, centres: np.ndarray, width: float) -> np.ndarray:
    r"""Gaussian radial basis functions :math:`\phi_m(x) = \exp(-\|x - c_m\|^2 / (2 s^2))`.

    Chapter 4: Non-linear regression.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    centres : ndarray, shape (M, d)
    width : float > 0, the length scale s

    Returns
    -------
    ndarray, shape (n, M)
    """
    X = check_array(X, "X")
    centres = check_n_features(centres, X.shape[1], "centres")
    width = check_positive(width, "width")
    return np.exp(-squared_distances(X, centres) / (2.0 * width**2))


def sigmoid_features(X: np.ndarray, centres: np.ndarray, width: float) -> np.ndarray:
    r"""Sigmoid basis functions :math:`\phi_m(x) = \sigma((x - c_m) / s)` of a single input.

    Chapter 4: Non-linear regression.

    Parameters
    ----------
    X : ndarray, shape (n, 1)
    centres : ndarray, shape (M, 1)
    width : float > 0, the scale s

    Returns
    -------
    ndarray, shape (n, M)
    """
    X = check_array(X, "X")
    if X.shape[1] != 1:
        raise ValueError(f"sigmoid features take one input column; X has shape {X.shape}")
    centres = check_n_features(centres, 1, "centres")
    width = check_positive(width, "width")
    return expit((X - centres.T) / width)


class BasisFunctionRegression(RegressorMixin):
    r"""Linear regression on fixed basis functions, :math:`\hat y = w^\top \phi(x) + b`.

    Chapter 4: Non-linear regression.

    Parameters
    ----------
    basis : {"polynomial", "rbf", "sigmoid"}
    degree : int, for ``"polynomial"``
    centres : int or ndarray of shape (M, d), for ``"rbf"`` and ``"sigmoid"``
        An int M places M centres evenly over the training range (one input
        column only); an array gives them explicitly.
    width : float > 0, the length scale of ``"rbf"`` and ``"sigmoid"``
    alpha : float >= 0
        Ridge penalty on w; 0 means plain least squares (SVD, so a
        rank-deficient feature matrix is fine).

    Attributes
    ----------
    centres_ : ndarray, shape (M, d) (``"rbf"``, ``"sigmoid"``)
    coef_ : ndarray, shape (n_basis,)
    intercept_ : float
    """

    def __init__(
        self,
        basis: Literal["polynomial", "rbf", "sigmoid"] = "polynomial",
        degree: int = 3,
        centres: int | np.ndarray = 10,
        width: float = 1.0,
        alpha: float = 0.0,
    ) -> None:
        if basis not in ("polynomial", "rbf", "sigmoid"):
            raise ValueError(f"basis must be 'polynomial', 'rbf' or 'sigmoid'; got {basis!r}")
        self.basis = basis
        self.degree = check_int(degree, "degree")
        self.centres = centres
        self.width = check_positive(width, "width")
        self.alpha = check_positive(alpha, "alpha", allow_zero=True)
        self.coef_: np.ndarray | None = None

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Feature matrix :math:`\\Phi`, shape (m, n_basis), of X (m, d)."""
        check_is_fitted(self, "coef_")
        return self._features(check_n_features(X, self.n_features_in_))

    def _features(self, X: np.ndarray) -> np.ndarray:
        if self.basis == "polynomial":
            return polynomial_features(X, self.degree)
        if self.basis == "rbf":
            return rbf_features(X, self.centres_, self.width)
        return sigmoid_features(X, self.centres_, self.width)

    def fit(self, X: np.ndarray, y: np.ndarray) -> "BasisFunctionRegression":
        """Fit on X of shape (n, d) and y of shape (n,); returns self."""
        X, y = check_X_y(X, y)
        if self.basis != "polynomial":
            if isinstance(self.centres, (int, np.integer)):
                if X.shape[1] != 1:
                    raise ValueError(f"centres=int needs one input column; X has shape {X.shape}: pass centres as an array")
                self.centres_ = np.linspace(X.min(), X.max(), int(self.centres))[:, None]
            else:
                self.centres_ = check_n_features(self.centres, X.shape[1], "centres")
        self.n_features_in_ = X.shape[1]
        Phi = self._features(X)
        model = Ridge(self.alpha) if self.alpha > 0 else LinearRegression(solver="svd")
        model.fit(Phi, y)
        self.coef_, self.intercept_ = model.coef_, model.intercept_
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions, shape (m,), for X of shape (m, d)."""
        return self.transform(X) @ self.coef_ + self.intercept_


# -- kernels ----------------------------------------------------------------------
def rbf_kernel(A: np.ndarray, B: np.ndarray, gamma: float) -> np.ndarray:
    r"""Gaussian (RBF) kernel :math:`k(a, b) = \exp(-\gamma \|a - b\|^2)`; A (m, d), B (n, d) -> (m, n).

    Chapter 4: Non-linear regression.
    """
    return np.exp(-gamma * squared_distances(A, B))


def polynomial_kernel(A: np.ndarray, B: np.ndarray, degree: int, gamma: float, coef0: float) -> np.ndarray:
    r"""Polynomial kernel :math:`k(a, b) = (\gamma a^\top b + c_0)^p`; A (m, d), B (n, d) -> (m, n).

    Chapter 4: Non-linear regression.
    """
    return (gamma * (A @ B.T) + coef0) ** degree


class KernelRidge(RegressorMixin):
    r"""Kernel ridge regression, :math:`\hat y(x) = \sum_i a_i k(x, x_i)`, :math:`a = (K + \alpha I)^{-1} y`.

    Chapter 4: Non-linear regression.

    This is ridge regression in the feature space of the kernel, written in
    its dual form; it has no separate intercept (centre y, or use a kernel
    with a constant term such as the polynomial kernel with ``coef0 > 0``).
    ``a`` comes from a Cholesky solve.  Conventions match scikit-learn's
    ``KernelRidge``.

    Parameters
    ----------
    alpha : float > 0
    kernel : {"rbf", "polynomial"}
    gamma : float or None, ``None`` means 1 / d
    degree : int, for ``"polynomial"``
    coef0 : float, for ``"polynomial"``

    Attributes
    ----------
    X_train_ : ndarray, shape (n, d)
    dual_coef_ : ndarray, shape (n,), the vector a
    """

    def __init__(
        self,
        alpha: float = 1.0,
        kernel: Literal["rbf", "polynomial"] = "rbf",
        gamma: float | None = None,
        degree: int = 3,
        coef0: float = 1.0,
    ) -> None:
        if kernel not in ("rbf", "polynomial"):
            raise ValueError(f"kernel must be 'rbf' or 'polynomial'; got {kernel!r}")
        self.alpha = check_positive(alpha, "alpha")
        self.kernel = kernel
        self.gamma = None if gamma is None else check_positive(gamma, "gamma")
        self.degree = check_int(degree, "degree")
        if isinstance(coef0, bool) or not isinstance(coef0, (int, float, np.integer, np.floating)) \
                or not np.isfinite(coef0):
            raise ValueError(f"coef0 must be a finite number; got {coef0!r}")
        self.coef0 = float(coef0)
        self.dual_coef_: np.ndarray | None = None

    def _gram(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        gamma = self.gamma if self.gamma is not None else 1.0 / A.shape[1]
        if self.kernel == "rbf":
            return rbf_kernel(A, B, gamma)
        return polynomial_kernel(A, B, self.degree, gamma, self.coef0)

    def fit(self, X: np.ndarray, y: np.ndarray) -> "KernelRidge":
        """Fit on X of shape (n, d) and y of shape (n,); returns self."""
        X, y = check_X_y(X, y)
        K = self._gram(X, X) + self.alpha * np.eye(X.shape[0])
        self.dual_coef_ = scipy.linalg.cho_solve(scipy.linalg.cho_factor(K, lower=True), y)
        self.X_train_ = X
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions :math:`K(X, X_{train})\\, a`, shape (m,), for X of shape (m, d)."""
        check_is_fitted(self, "dual_coef_")
        return self._gram(check_n_features(X, self.n_features_in_), self.X_train_) @ self.dual_coef_


class GaussianProcessRegressor(RegressorMixin):
    r"""Gaussian-process regression with a squared-exponential kernel and Gaussian noise.

    Chapter 4: Non-linear regression.

    Prior :math:`f \sim \mathcal{GP}(0, k)` with
    :math:`k(x, x') = s^2 \exp(-\|x - x'\|^2 / (2\ell^2))`; observations
    :math:`y = f(x) + \varepsilon`, :math:`\varepsilon \sim \mathcal N(0, \sigma_n^2)`.
    With :math:`K + \sigma_n^2 I = LL^\top` and :math:`a = L^{-\top}L^{-1}y`, the
    posterior at test inputs :math:`X_*` has

    .. math:: \mu_* = K_*^\top a, \qquad
              \mathrm{var}_* = \mathrm{diag}(K_{**}) - \|L^{-1} K_*\|^2_{\text{col}},

    (plus :math:`\sigma_n^2` for a new noisy observation), and the log marginal
    likelihood is :math:`-\tfrac12 y^\top a - \sum_i \log L_{ii} - \tfrac n2 \log 2\pi`.

    Parameters
    ----------
    length_scale : float > 0, :math:`\ell`
    signal_variance : float > 0, :math:`s^2`
    noise_variance : float >= 0, :math:`\sigma_n^2` (a tiny value keeps the Cholesky stable)

    Attributes
    ----------
    X_train_ : ndarray, shape (n, d)
    alpha_ : ndarray, shape (n,), the vector a
    L_ : ndarray, shape (n, n), lower Cholesky factor of :math:`K + \sigma_n^2 I`
    log_marginal_likelihood_ : float
    """

    def __init__(self, length_scale: float = 1.0, signal_variance: float = 1.0, noise_variance: float = 1e-10) -> None:
        self.length_scale = check_positive(length_scale, "length_scale")
        self.signal_variance = check_positive(signal_variance, "signal_variance")
        self.noise_variance = check_positive(noise_variance, "noise_variance", allow_zero=True)
        self.alpha_: np.ndarray | None = None

    def kernel(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """Squared-exponential covariance between A (m, d) and B (n, d); shape (m, n)."""
        return self.signal_variance * rbf_kernel(A, B, 0.5 / self.length_scale**2)

    def fit(self, X: np.ndarray, y: np.ndarray) -> "GaussianProcessRegressor":
        """Condition the prior on observations X (n, d), y (n,); returns self."""
        X, y = check_X_y(X, y)
        K = self.kernel(X, X) + self.noise_variance * np.eye(X.shape[0])
        try:
            self.L_ = np.linalg.cholesky(K)
        except np.linalg.LinAlgError:
            raise ValueError(
                f"the kernel matrix (shape {K.shape}) is not numerically positive definite; "
                "increase noise_variance"
            ) from None
        self.alpha_ = scipy.linalg.cho_solve((self.L_, True), y)
        self.log_marginal_likelihood_ = float(
            -0.5 * y @ self.alpha_ - np.log(np.diag(self.L_)).sum() - 0.5 * X.shape[0] * np.log(2 * np.pi)
        )
        self.X_train_ = X
        self.n_features_in_ = X.shape[1]
        return self

    def predict(
        self, X: np.ndarray, return_var: bool = False, include_noise: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Posterior mean, shape (m,), and with ``return_var`` the variance, shape (m,).

        ``include_noise`` adds :math:`\\sigma_n^2`: the variance of a new noisy
        observation rather than of the latent function.
        """
        check_is_fitted(self, "alpha_")
        X = check_n_features(X, self.n_features_in_)
        K_star = self.kernel(self.X_train_, X)  # (n, m)
        mean = K_star.T @ self.alpha_
        if not return_var:
            return mean
        v = scipy.linalg.solve_triangular(self.L_, K_star, lower=True)  # (n, m)
        var = np.maximum(self.signal_variance - np.sum(v**2, axis=0), 0.0)
        return mean, var + (self.noise_variance if include_noise else 0.0)
