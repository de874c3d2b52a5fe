r"""Linear regression: least squares, ridge and lasso.

Chapter 2: Linear regression and k-nearest neighbours.

All three fit :math:`\hat y = X w + b`.  With ``fit_intercept=True`` the
columns of :math:`X` and the targets are centred first, the slope :math:`w` is
fitted on the centred data and the intercept recovered as
:math:`b = \bar y - \bar x^\top w`; the intercept is never penalised.

Least squares is solved through an orthogonal factorisation, never through
the normal equations :math:`(X^\top X)^{-1} X^\top y`, which square the
condition number: with :math:`X = QR`, :math:`w = R^{-1} Q^\top y`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.linalg

from ._base import RegressorMixin
from ._validation import (
    check_int,
    check_is_fitted,
    check_n_features,
    check_positive,
    check_X_y,
    warn_not_converged,
)

__all__ = ["LinearRegression", "Ridge", "Lasso", "soft_threshold"]


def _centre(X: np.ndarray, y: np.ndarray, fit_intercept: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Centred copies of X (n, d) and y (n,), and the means (d,), () removed (zeros if no intercept)."""
    if not fit_intercept:
        return X, y, np.zeros(X.shape[1]), 0.0
    x_mean, y_mean = X.mean(axis=0), float(y.mean())
    return X - x_mean, y - y_mean, x_mean, y_mean


def _lstsq_qr(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares solution of X w = y by Householder QR; X (n, d) of full column rank."""
    n, d = X.shape
    if n < d:
        raise ValueError(f"solver='qr' needs at least as many samples as features; X has shape {X.shape}. "
                         "Use solver='svd'.")
    Q, R = np.linalg.qr(X)  # Q (n, d), R (d, d) upper triangular
    diag = np.abs(np.diag(R))
    if diag.min() <= np.finfo(np.float64).eps * max(n, d) * diag.max():
        raise ValueError(f"X (shape {X.shape}) is rank deficient; use solver='svd'")
    return scipy.linalg.solve_triangular(R, Q.T @ y)


def _lstsq_svd(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int]:
    r"""Least squares by the SVD, :math:`w = V \Sigma^{+} U^\top y`; returns (w (d,), rank).

    The columns are first scaled to about unit norm, :math:`X = \tilde X D`, by
    powers of two so that the scaling itself adds no rounding error.  For a
    design of full column rank this does not change the solution
    (:math:`w = D^{-1}\tilde w`; for a rank-deficient one it picks the solution of
    least :math:`\|Dw\|`) but it removes the part
    of the condition number due to columns of very different size (a polynomial
    design :math:`x, x^2, \dots, x^{10}`).  Singular values of :math:`\tilde X` below
    ``eps * max(n, d) * s_max`` are treated as zero; a zero column gets weight 0.
    """
    norms = np.linalg.norm(X, axis=0)  # (d,)
    scale = np.where(norms > 0, 2.0 ** np.round(np.log2(np.where(norms > 0, norms, 1.0))), 1.0)
    U, s, Vt = np.linalg.svd(X / scale, full_matrices=False)  # U (n, r), s (r,), Vt (r, d)
    keep = s > np.finfo(np.float64).eps * max(X.shape) * s[0]
    w = Vt[keep].T @ ((U[:, keep].T @ y) / s[keep])
    return w / scale, int(keep.sum())


class LinearRegression(RegressorMixin):
    r"""Ordinary least squares, :math:`\min_{w,b} \|y - Xw - b\|^2`.

    Chapter 2: Linear regression and k-nearest neighbours.

    Parameters
    ----------
    fit_intercept : bool
    solver : {"qr", "svd", "gd"}
        ``"qr"``: Householder QR of the (centred) design; needs full column rank.
        ``"svd"``: SVD of the column-scaled design; handles rank deficiency
        (returns the least-squares solution of least :math:`\|Dw\|`, D the column norms).
        ``"gd"``: gradient descent on :math:`\frac{1}{2n}\|y - Xw\|^2` with step
        :math:`1/L`, :math:`L = \sigma_{\max}(X)^2 / n` the gradient's Lipschitz
        constant (or ``learning_rate`` if given).  A teaching solver: slow on
        ill-conditioned problems, exactly where QR shines.
    learning_rate : float or None
        Step of ``"gd"``; ``None`` means :math:`1/L`.
    max_iter : int
        Iteration cap of ``"gd"``.
    tol : float
        ``"gd"`` stops when :math:`\|\nabla\|_\infty \le` ``tol``.

    Attributes
    ----------
    coef_ : ndarray, shape (d,)
    intercept_ : float
    rank_ : int (``"svd"``) - numerical rank of the centred design
    loss_history_ : ndarray, shape ``(n_iter_ + 1,)`` (``"gd"``) - the loss at each iterate
    n_iter_ : int (``"gd"``)
    """

    def __init__(
        self,
        fit_intercept: bool = True,
        solver: Literal["qr", "svd", "gd"] = "qr",
        learning_rate: float | None = None,
        max_iter: int = 10_000,
        tol: float = 1e-8,
    ) -> None:
        if solver not in ("qr", "svd", "gd"):
            raise ValueError(f"solver must be 'qr', 'svd' or 'gd'; got {solver!r}")
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.learning_rate = None if learning_rate is None else check_positive(learning_rate, "learning_rate")
        self.max_iter = check_int(max_iter, "max_iter")
        self.tol = check_positive(tol, "tol")
        self.coef_: np.ndarray | None = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> "LinearRegression":
        """Fit on X of shape (n, d) and y of shape (n,); returns self."""
        X, y = check_X_y(X, y)
        Xc, yc, x_mean, y_mean = _centre(X, y, self.fit_intercept)
        if self.solver == "qr":
            w = _lstsq_qr(Xc, yc)
        elif self.solver == "svd":
            w, self.rank_ = _lstsq_svd(Xc, yc)
        else:
            w = self._gradient_descent(Xc, yc)
        self.coef_ = w
        self.intercept_ = y_mean - float(x_mean @ w)
        self.n_features_in_ = X.shape[1]
        return self

    def _gradient_descent(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        r"""Iterate :math:`w \leftarrow w - \eta X^\top (Xw - y) / n` from :math:`w = 0`."""
        n = X.shape[0]
        step = self.learning_rate
        if step is None:
            step = n / np.linalg.norm(X, 2) ** 2
        w = np.zeros(X.shape[1])
        residual = X @ w - y
        losses = [0.5 * residual @ residual / n]
        for it in range(1, self.max_iter + 1):
            grad = X.T @ residual / n
            if np.max(np.abs(grad)) <= self.tol:
                self.n_iter_ = it - 1
                break
            w -= step * grad
            residual = X @ w - y
            losses.append(0.5 * residual @ residual / n)
        else:
            self.n_iter_ = self.max_iter
            warn_not_converged(self, self.max_iter)
        self.loss_history_ = np.array(losses)
        return w

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions :math:`Xw + b`, shape (m,), for X of shape (m, d)."""
        check_is_fitted(self, "coef_")
        return check_n_features(X, self.n_features_in_) @ self.coef_ + self.intercept_


class Ridge(RegressorMixin):
    r"""Ridge regression, :math:`\min_{w,b} \|y - Xw - b\|^2 + \alpha \|w\|^2`.

    Chapter 2: Linear regression and k-nearest neighbours.

    The closed form :math:`w = (X^\top X + \alpha I)^{-1} X^\top y` is computed
    without forming or inverting :math:`X^\top X`:

    * ``solver="qr"``: least squares on the augmented system
      :math:`\begin{bmatrix} X \\ \sqrt{\alpha} I \end{bmatrix} w \approx
      \begin{bmatrix} y \\ 0 \end{bmatrix}`, whose residual is exactly the ridge objective;
    * ``solver="svd"``: with :math:`X = U \Sigma V^\top`,
      :math:`w = V\, \mathrm{diag}\big(\sigma_i / (\sigma_i^2 + \alpha)\big)\, U^\top y`.

    The objective matches scikit-learn's ``Ridge(alpha)``, so coefficients compare.

    Parameters
    ----------
    alpha : float >= 0
    fit_intercept : bool
    solver : {"qr", "svd"}

    Attributes
    ----------
    coef_ : ndarray, shape (d,)
    intercept_ : float
    """

    def __init__(self, alpha: float = 1.0, fit_intercept: bool = True, solver: Literal["qr", "svd"] = "qr") -> None:
        if solver not in ("qr", "svd"):
            raise ValueError(f"solver must be 'qr' or 'svd'; got {solver!r}")
        self.alpha = check_positive(alpha, "alpha", allow_zero=True)
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.coef_: np.ndarray | None = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> "Ridge":
        """Fit on X of shape (n, d) and y of shape (n,); returns self."""
        X, y = check_X_y(X, y)
        Xc, yc, x_mean, y_mean = _centre(X, y, self.fit_intercept)
        d = X.shape[1]
        if self.solver == "qr":
            X_aug = np.vstack([Xc, np.sqrt(self.alpha) * np.eye(d)])  # (n + d, d)
            y_aug = np.concatenate([yc, np.zeros(d)])  # (n + d,)
            w = _lstsq_qr(X_aug, y_aug)
        else:
            U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
            w = Vt.T @ (s / (s**2 + self.alpha) * (U.T @ yc))
        self.coef_ = w
        self.intercept_ = y_mean - float(x_mean @ w)
        self.n_features_in_ = d
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions :math:`Xw + b`, shape (m,), for X of shape (m, d)."""
        check_is_fitted(self, "coef_")
        return check_n_features(X, self.n_features_in_) @ self.coef_ + self.intercept_


def soft_threshold(z: np.ndarray | float, threshold: float) -> np.ndarray | float:
    r"""The proximal map of :math:`t|\cdot|`: :math:`S_t(z) = \mathrm{sign}(z)\max(|z| - t, 0)`, elementwise.

    Chapter 2: Linear regression and k-nearest neighbours.
    """
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


class Lasso(RegressorMixin):
    r"""The lasso, :math:`\min_{w,b} \frac{1}{2n}\|y - Xw - b\|^2 + \alpha \|w\|_1`, by coordinate descent.

    Chapter 2: Linear regression and k-nearest neighbours.

    The objective is scikit-learn's ``Lasso(alpha)``, so coefficients compare.
    Cyclic coordinate descent updates one weight at a time to its exact
    minimiser with the others fixed.  With :math:`r` the residual and
    :math:`x_j` the j-th column,

    .. math:: w_j \leftarrow \frac{S_{n\alpha}\big(x_j^\top r + \|x_j\|^2 w_j\big)}{\|x_j\|^2}.

    After each sweep the duality gap bounds the distance to the optimum
    objective: with :math:`\lambda = n\alpha` and the dual point
    :math:`\nu = r \min(1, \lambda / \|X^\top r\|_\infty)`,

    .. math:: \mathrm{gap} = \tfrac{1}{n}\Big(\tfrac12\|r\|^2 + \lambda\|w\|_1
              - \nu^\top y + \tfrac12\|\nu\|^2\Big) \ge 0,

    and the fit stops when gap :math:`\le` ``tol`` :math:`\cdot \|y\|^2/n` (y centred).

    Parameters
    ----------
    alpha : float > 0
    fit_intercept : bool
    max_iter : int, maximum number of sweeps
    tol : float, relative duality-gap tolerance

    Attributes
    ----------
    coef_ : ndarray, shape (d,)
    intercept_ : float
    dual_gap_ : float, the final duality gap
    n_iter_ : int, sweeps done
    """

    def __init__(self, alpha: float = 1.0, fit_intercept: bool = True, max_iter: int = 10_000, tol: float = 1e-8) -> None:
        self.alpha = check_positive(alpha, "alpha")
        self.fit_intercept = fit_intercept
        self.max_iter = check_int(max_iter, "max_iter")
        self.tol = check_positive(tol, "tol")
        self.coef_: np.ndarray | None = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> "Lasso":
        """Fit on X of shape (n, d) and y of shape (n,); returns self."""
        X, y = check_X_y(X, y)
        Xc, yc, x_mean, y_mean = _centre(X, y, self.fit_intercept)
        n, d = Xc.shape
        lam = n * self.alpha
        col_sq = (Xc**2).sum(axis=0)  # (d,)
        w = np.zeros(d)
        r = yc.copy()  # residual y - Xw
        stop = self.tol * (yc @ yc) / n
        for sweep in range(1, self.max_iter + 1):
            for j in np.flatnonzero(col_sq):  # a zero column keeps w_j = 0
                w_j = soft_threshold(Xc[:, j] @ r + col_sq[j] * w[j], lam) / col_sq[j]
                if w_j != w[j]:
                    r -= Xc[:, j] * (w_j - w[j])
                    w[j] = w_j
            self.dual_gap_ = self._duality_gap(Xc, yc, w, r, lam)
            if self.dual_gap_ <= stop:
                break
        else:
            warn_not_converged(self, self.max_iter)
        self.n_iter_ = sweep
        self.coef_ = w
        self.intercept_ = y_mean - float(x_mean @ w)
        self.n_features_in_ = d
        return self

    @staticmethod
    def _duality_gap(X: np.ndarray, y: np.ndarray, w: np.ndarray, r: np.ndarray, lam: float) -> float:
        """Duality gap (scaled by 1/n) at weights w (d,) with residual r = y - Xw (n,)."""
        corr = np.max(np.abs(X.T @ r)) if X.shape[1] else 0.0
        nu = r * (min(1.0, lam / corr) if corr > 0 else 1.0)
        primal = 0.5 * r @ r + lam * np.abs(w).sum()
        dual = nu @ y - 0.5 * nu @ nu
        return float(primal - dual) / X.shape[0]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions :math:`Xw + b`, shape (m,), for X of shape (m, d)."""
        check_is_fitted(self, "coef_")
        return check_n_features(X, self.n_features_in_) @ self.coef_ + self.intercept_
