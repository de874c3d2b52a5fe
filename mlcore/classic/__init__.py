"""Classical machine learning in NumPy: the estimators of chapters 2 to 4.

* Chapter 2: Linear regression and k-nearest neighbours
  (:mod:`~mlcore.classic.knn`, :mod:`~mlcore.classic.linear`).
* Chapter 3: Logistic regression and mixtures of Gaussians
  (:mod:`~mlcore.classic.logistic`, :mod:`~mlcore.classic.gaussian`).
* Chapter 4: Non-linear regression (:mod:`~mlcore.classic.kernel`).

Every estimator follows one shape: ``fit(X, y)`` returns the estimator,
fitted attributes end in an underscore, ``predict`` answers, ``score`` gives
accuracy (classifiers) or R^2 (regressors), and randomness comes from an
explicit ``rng``.
"""

from ._validation import ConvergenceWarning, NotFittedError
from .gaussian import GaussianClassifier, GaussianMixture, gaussian_log_density, kmeans_plusplus
from .kernel import (
    BasisFunctionRegression,
    GaussianProcessRegressor,
    KernelRidge,
    polynomial_features,
    polynomial_kernel,
    rbf_features,
    rbf_kernel,
    sigmoid_features,
)
from .knn import CrossValidationResult, KNeighborsClassifier, KNeighborsRegressor, choose_k_by_cv, squared_distances
from .linear import Lasso, LinearRegression, Ridge, soft_threshold
from .logistic import LogisticRegression

__all__ = [
    "ConvergenceWarning",
    "NotFittedError",
    "KNeighborsClassifier",
    "KNeighborsRegressor",
    "CrossValidationResult",
    "choose_k_by_cv",
    "squared_distances",
    "LinearRegression",
    "Ridge",
    "Lasso",
    "soft_threshold",
    "LogisticRegression",
    "GaussianClassifier",
    "GaussianMixture",
    "gaussian_log_density",
    "kmeans_plusplus",
    "polynomial_features",
    "rbf_features",
    "sigmoid_features",
    "BasisFunctionRegression",
    "rbf_kernel",
    "polynomial_kernel",
    "KernelRidge",
    "GaussianProcessRegressor",
]
