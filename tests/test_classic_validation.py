"""Bad inputs to mlcore.classic fail early with messages that name the problem."""

import numpy as np
import pytest

from mlcore.classic import (
    BasisFunctionRegression,
    GaussianClassifier,
    GaussianMixture,
    GaussianProcessRegressor,
    KernelRidge,
    KNeighborsClassifier,
    KNeighborsRegressor,
    Lasso,
    LinearRegression,
    LogisticRegression,
    NotFittedError,
    Ridge,
    choose_k_by_cv,
    kmeans_plusplus,
)

X = np.random.default_rng(0).normal(size=(10, 2))
Y = np.array([0, 1] * 5)

ESTIMATORS = [
    lambda: KNeighborsClassifier(3),
    lambda: KNeighborsRegressor(3),
    LinearRegression,
    Ridge,
    Lasso,
    LogisticRegression,
    GaussianClassifier,
    KernelRidge,
    GaussianProcessRegressor,
    BasisFunctionRegression,
]


@pytest.mark.parametrize("make", ESTIMATORS)
def test_common_input_errors(make):
    with pytest.raises(ValueError, match=r"X and y have different numbers of samples: X has shape \(10, 2\), y has shape \(9,\)"):
        make().fit(X, Y[:9])
    for bad in (np.nan, np.inf):
        X_bad = X.copy()
        X_bad[3, 1] = bad
        with pytest.raises(ValueError, match=r"X contains NaN or infinity \(shape \(10, 2\)\)"):
            make().fit(X_bad, Y)
    with pytest.raises(ValueError, match=r"X is empty: shape \(0, 2\)"):
        make().fit(np.empty((0, 2)), np.empty(0))
    with pytest.raises(ValueError, match=r"X must be 2-D; got an array of shape \(10,\).*reshape"):
        make().fit(X[:, 0], Y)
    with pytest.raises(NotFittedError, match="is not fitted yet; call .*fit"):
        make().predict(X)
    model = make().fit(X, Y)
    with pytest.raises(ValueError, match=r"X has 3 features \(shape \(4, 3\)\) but the model was fitted with 2 features"):
        model.predict(np.ones((4, 3)))


def test_non_numeric_X_is_a_type_error():
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        LinearRegression().fit([["a", "b"], ["c", "d"]], [1.0, 2.0])


def test_nan_in_targets():
    with pytest.raises(ValueError, match="y contains NaN"):
        LinearRegression().fit(X, np.where(Y == 1, np.nan, 0.0))


def test_knn_k_larger_than_training_set_and_bad_arguments():
    with pytest.raises(ValueError, match=r"n_neighbors=11 is larger than the number of training samples \(X has shape \(10, 2\)\)"):
        KNeighborsClassifier(11).fit(X, Y)
    with pytest.raises(ValueError, match="n_neighbors must be a positive integer; got 0"):
        KNeighborsRegressor(0)
    with pytest.raises(ValueError, match="weights must be 'uniform' or 'distance'"):
        KNeighborsClassifier(3, weights="gaussian")
    with pytest.raises(ValueError, match="k=9 is larger than the smallest training split"):
        choose_k_by_cv(X, Y, [1, 9], n_folds=5, rng=0)
    with pytest.raises(ValueError, match="n_folds must be between 2 and the number of samples"):
        choose_k_by_cv(X, Y, [1], n_folds=1, rng=0)


def test_mixture_errors():
    with pytest.raises(ValueError, match=r"n_components=11 needs at least that many samples; X has shape \(10, 2\)"):
        GaussianMixture(11).fit(X)
    with pytest.raises(ValueError, match=r"means_init must have shape \(2, 2\); got \(3, 2\)"):
        GaussianMixture(2, means_init=np.zeros((3, 2))).fit(X)
    with pytest.raises(ValueError, match="weights_init must be positive and sum to 1"):
        GaussianMixture(2, weights_init=np.array([0.7, 0.7])).fit(X)
    with pytest.raises(ValueError, match="fewer than 3 distinct points"):
        kmeans_plusplus(np.ones((5, 2)), 3, rng=0)
    with pytest.raises(ValueError, match="covariance_type must be 'full' or 'diag'"):
        GaussianMixture(2, covariance_type="spherical")
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        GaussianMixture(2, rng="seed").fit(X)


def test_hyper_parameter_errors():
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0; got -1.0"):
        Ridge(-1.0)
    with pytest.raises(ValueError, match="alpha must be a finite number > 0; got 0.0"):
        Lasso(0.0)
    with pytest.raises(ValueError, match="solver must be 'newton' or 'gd'"):
        LogisticRegression(solver="lbfgs")
    with pytest.raises(ValueError, match="y must contain at least 2 classes"):
        LogisticRegression().fit(X, np.zeros(10))
    with pytest.raises(ValueError, match="sigmoid features take one input column"):
        BasisFunctionRegression("sigmoid", centres=np.zeros((3, 2))).fit(X, Y)
    with pytest.raises(ValueError, match="noise_variance must be a finite number >= 0"):
        GaussianProcessRegressor(noise_variance=-1.0)
