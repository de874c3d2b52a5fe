r"""Logistic regression: binary (sigmoid) and multinomial (softmax), with an L2 penalty.

Chapter 3: Logistic regression and mixtures of Gaussians.

With the design extended by a column of ones, :math:`\tilde x = (x, 1)`, and
parameters :math:`\Theta` of shape (d + 1, K), the model is
:math:`p(y = k \mid x) = \mathrm{softmax}(\tilde x^\top \Theta)_k`; with two
classes one column suffices, :math:`p(y = 1 \mid x) = \sigma(\tilde x^\top \theta)`.
The fit minimises the mean cross-entropy plus a ridge penalty on the weights
(never on the intercept),

.. math:: L(\Theta) = \frac1n \sum_{i=1}^n \Big(\log \sum_k e^{z_{ik}} - z_{i y_i}\Big)
          + \frac{\alpha}{2} \|W\|_F^2, \qquad Z = \tilde X \Theta .

This is scikit-learn's objective with ``C = 1 / (n * alpha)``.  Losses are
written with log-sum-exp (binary: :math:`\log(1 + e^{z})` by ``logaddexp``)
and probabilities with a stable sigmoid, so huge scores on separable data
give no overflow.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
from scipy.special import expit, logsumexp

from ._base import ClassifierMixin
from ._validation import (
    ConvergenceWarning,
    check_int,
    check_is_fitted,
    check_n_features,
    check_positive,
    check_X_y,
    warn_not_converged,
)

__all__ = ["LogisticRegression"]


def _binary_loss_grad(theta: np.ndarray, X: np.ndarray, y: np.ndarray, penalty: np.ndarray):
    """Loss, gradient (p, 1) and per-sample curvature (n,) for theta (p, 1), X (n, p), y in {0, 1} (n,)."""
    z = X @ theta[:, 0]  # (n,)
    loss = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(penalty * theta**2)
    p = expit(z)
    grad = X.T @ (p - y)[:, None] / X.shape[0] + penalty * theta  # (p, 1)
    return loss, grad, p


def _softmax_loss_grad(theta: np.ndarray, X: np.ndarray, Y: np.ndarray, penalty: np.ndarray):
    """Loss, gradient (p, K) and probabilities (n, K) for theta (p, K), X (n, p), one-hot Y (n, K)."""
    Z = X @ theta  # (n, K)
    log_norm = logsumexp(Z, axis=1)  # (n,)
    loss = np.mean(log_norm - np.sum(Y * Z, axis=1)) + 0.5 * np.sum(penalty * theta**2)
    P = np.exp(Z - log_norm[:, None])
    grad = X.T @ (P - Y) / X.shape[0] + penalty * theta
    return loss, grad, P


def _hessian(X: np.ndarray, P: np.ndarray, binary: bool, penalty: np.ndarray) -> np.ndarray:
    r"""Hessian of L with respect to vec(Theta) (row-major), shape (p K, p K).

    Binary: :math:`H = \frac1n \tilde X^\top \mathrm{diag}(p(1-p)) \tilde X + \alpha M`.
    Softmax: block (k, l) is :math:`\frac1n \tilde X^\top \mathrm{diag}(p_k\delta_{kl} - p_k p_l)\tilde X`.
    """
    n, p = X.shape
    if binary:
        curv = P * (1.0 - P)  # (n,)
        H = X.T @ (curv[:, None] * X) / n
    else:
        K = P.shape[1]
        H4 = np.empty((p, K, p, K))
        for k in range(K):
            for l in range(k, K):
                curv = P[:, k] * ((k == l) - P[:, l])  # (n,)
                H4[:, k, :, l] = X.T @ (curv[:, None] * X) / n
                H4[:, l, :, k] = H4[:, k, :, l].T
        H = H4.reshape(p * K, p * K)
    return H + np.diag(penalty.ravel())


class LogisticRegression(ClassifierMixin):
    r"""Binary or multinomial logistic regression with an optional L2 penalty.

    Chapter 3: Logistic regression and mixtures of Gaussians.

    Two classes use the sigmoid and one weight vector; more classes use the
    softmax and one weight vector per class.

    Solvers:

    * ``"newton"`` (IRLS): :math:`\Theta \leftarrow \Theta - t H^{-1}\nabla L`,
      the Newton direction from a least-squares solve (a singular Hessian, as in
      softmax's redundant intercept direction, gives the minimum-norm step) and
      :math:`t` halved until the loss decreases enough (Armijo).
    * ``"gd"``: gradient descent with step :math:`1/\mathcal L`, where
      :math:`\mathcal L = \|\tilde X\|_2^2 / (4n) + \alpha` (binary) or
      :math:`\|\tilde X\|_2^2/(2n) + \alpha` (softmax) bounds the curvature.

    Both stop when :math:`\|\nabla L\|_\infty \le` ``tol``.

    Separable data: without a penalty the maximum-likelihood weights do not
    exist when a hyperplane separates the classes; the loss keeps falling as
    the weights grow.  ``fit`` then warns with a :class:`ConvergenceWarning`
    (the growth is visible in ``weight_norm_history_``); set ``alpha > 0``.

    Parameters
    ----------
    alpha : float >= 0
        Strength of the L2 penalty (scikit-learn's ``C = 1/(n alpha)``).
    fit_intercept : bool
    solver : {"newton", "gd"}
    max_iter : int
    tol : float
    learning_rate : float or None
        Step of ``"gd"``; ``None`` means :math:`1/\mathcal L`.

    Attributes
    ----------
    classes_ : ndarray, shape (K,), sorted labels
    coef_ : ndarray, shape (1, d) for two classes, (K, d) otherwise
    intercept_ : ndarray, shape (1,) or (K,)
    loss_history_ : ndarray, shape ``(n_iter_ + 1,)``, the loss at each iterate
    weight_norm_history_ : ndarray, shape ``(n_iter_ + 1,)``, :math:`\|W\|_F` at each iterate
    n_iter_ : int
    """

    def __init__(
        self,
        alpha: float = 0.0,
        fit_intercept: bool = True,
        solver: Literal["newton", "gd"] = "newton",
        max_iter: int = 100,
        tol: float = 1e-8,
        learning_rate: float | None = None,
    ) -> None:
        if solver not in ("newton", "gd"):
            raise ValueError(f"solver must be 'newton' or 'gd'; got {solver!r}")
        self.alpha = check_positive(alpha, "alpha", allow_zero=True)
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = check_int(max_iter, "max_iter")
        self.tol = check_positive(tol, "tol")
        self.learning_rate = None if learning_rate is None else check_positive(learning_rate, "learning_rate")
        self.coef_: np.ndarray | None = None

    def _design(self, X: np.ndarray) -> np.ndarray:
        """X (n, d) -> (n, d + 1) with a column of ones when fitting an intercept."""
        return np.hstack([X, np.ones((X.shape[0], 1))]) if self.fit_intercept else X

    def fit(self, X: np.ndarray, y: np.ndarray) -> "LogisticRegression":
        """Fit on X of shape (n, d) and labels y of shape (n,); returns self."""
        X, y = check_X_y(X, y, y_numeric=False)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        K = self.classes_.size
        if K < 2:
            raise ValueError(f"y must contain at least 2 classes; got {K} ({self.classes_})")
        binary = K == 2
        Xt = self._design(X)  # (n, p)
        n, p = Xt.shape
        K_cols = 1 if binary else K
        targets = y_index.astype(np.float64) if binary else np.eye(K)[y_index]  # (n,) or (n, K)
        penalty = np.full((p, K_cols), self.alpha)
        if self.fit_intercept:
            penalty[-1] = 0.0  # the intercept is not penalised
        loss_grad = _binary_loss_grad if binary else _softmax_loss_grad

        theta = np.zeros((p, K_cols))
        loss, grad, P = loss_grad(theta, Xt, targets, penalty)
        losses, norms = [loss], [0.0]
        if self.solver == "gd":
            curvature = 0.25 if binary else 0.5
            step = self.learning_rate or 1.0 / (curvature * np.linalg.norm(Xt, 2) ** 2 / n + self.alpha)
        converged = False
        for it in range(1, self.max_iter + 1):
            if np.max(np.abs(grad)) <= self.tol:
                converged = True
                break
            if self.solver == "newton":
                H = _hessian(Xt, P, binary, penalty)
                direction = np.linalg.lstsq(H, -grad.ravel(), rcond=None)[0].reshape(p, K_cols)
                theta, loss, grad, P = self._armijo(theta, direction, loss, grad, loss_grad, Xt, targets, penalty)
            else:
                theta = theta - step * grad
                loss, grad, P = loss_grad(theta, Xt, targets, penalty)
            losses.append(loss)
            norms.append(float(np.linalg.norm(theta[:-1] if self.fit_intercept else theta)))
        else:
            converged = np.max(np.abs(grad)) <= self.tol
        self.n_iter_ = len(losses) - 1
        self.loss_history_ = np.array(losses)
        self.weight_norm_history_ = np.array(norms)
        W = theta[:-1] if self.fit_intercept else theta
        self.coef_ = W.T.copy()  # (K_cols, d)
        self.intercept_ = theta[-1].copy() if self.fit_intercept else np.zeros(K_cols)
        self.n_features_in_ = X.shape[1]
        self._warn_if_separable(Xt @ theta, y_index, binary, converged)
        return self

    @staticmethod
    def _armijo(theta, direction, loss, grad, loss_grad, X, targets, penalty):
        """Backtrack t = 1, 1/2, 1/4, ... until L(theta + t d) <= L(theta) + 1e-4 t grad.d."""
        slope = float(np.sum(grad * direction))
        t = 1.0
        for _ in range(60):
            candidate = theta + t * direction
            new_loss, new_grad, P = loss_grad(candidate, X, targets, penalty)
            if new_loss <= loss + 1e-4 * t * slope:
                return candidate, new_loss, new_grad, P
            t *= 0.5
        return theta, loss, grad, loss_grad(theta, X, targets, penalty)[2]

    def _warn_if_separable(self, Z: np.ndarray, y_index: np.ndarray, binary: bool, converged: bool) -> None:
        """Warn when alpha = 0 and the training data are perfectly separated (the MLE is at infinity)."""
        if binary:
            separated = np.all((2 * y_index - 1) * Z[:, 0] > 0)
        else:
            true_score = Z[np.arange(Z.shape[0]), y_index]
            others = np.where(np.eye(Z.shape[1], dtype=bool)[y_index], -np.inf, Z)
            separated = np.all(true_score > others.max(axis=1))
        if self.alpha == 0.0 and separated:
            warnings.warn(
                "LogisticRegression: the training data are linearly separable and alpha=0, so the "
                "loss has no minimiser and the weights keep growing (see weight_norm_history_: "
                f"{self.weight_norm_history_[-1]:.3g} after {self.n_iter_} iterations). Set alpha > 0.",
                ConvergenceWarning,
                stacklevel=3,
            )
        elif not converged:
            warn_not_converged(self, self.max_iter)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Scores :math:`\\tilde x^\\top \\Theta`: shape (m,) for two classes, (m, K) otherwise."""
        check_is_fitted(self, "coef_")
        X = check_n_features(X, self.n_features_in_)
        Z = X @ self.coef_.T + self.intercept_
        return Z[:, 0] if self.classes_.size == 2 else Z

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (m, K), columns in the order of ``classes_``."""
        Z = self.decision_function(X)
        if self.classes_.size == 2:
            return np.column_stack([expit(-Z), expit(Z)])
        return np.exp(Z - logsumexp(Z, axis=1, keepdims=True))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable class for each row of X (shape (m, d)); ties go to the smallest label."""
        scores = self.predict_proba(X)
        return self.classes_[np.argmax(scores, axis=1)]
