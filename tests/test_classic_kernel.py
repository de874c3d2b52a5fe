"""Basis-function regression, kernel ridge and Gaussian processes (Chapter 4)."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.gaussian_process import GaussianProcessRegressor as SkGP
from sklearn.gaussian_process.kernels import RBF, ConstantKernel
from sklearn.kernel_ridge import KernelRidge as SkKernelRidge
from sklearn.metrics.pairwise import polynomial_kernel as sk_polynomial_kernel
from sklearn.metrics.pairwise import rbf_kernel as sk_rbf_kernel
from sklearn.preprocessing import StandardScaler

from mlcore.classic import (
    BasisFunctionRegression,
    GaussianProcessRegressor,
    KernelRidge,
    LinearRegression,
    polynomial_features,
    polynomial_kernel,
    rbf_features,
    rbf_kernel,
    sigmoid_features,
)


def noisy_sine(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 1.0, n))[:, None]
    return x, np.sin(2 * np.pi * x[:, 0]) + 0.1 * rng.normal(size=n)


def test_kernels_match_sklearn():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(6, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(rbf_kernel(A, B, 0.7), sk_rbf_kernel(A, B, gamma=0.7), rtol=1e-12)
    np.testing.assert_allclose(
        polynomial_kernel(A, B, 3, 0.5, 1.0), sk_polynomial_kernel(A, B, degree=3, gamma=0.5, coef0=1.0), rtol=1e-12
    )


def test_basis_functions_shapes_and_values():
    x = np.array([[0.0], [1.0], [2.0]])
    np.testing.assert_array_equal(polynomial_features(x, 3), [[0, 0, 0], [1, 1, 1], [2, 4, 8]])
    centres = np.array([[0.0], [2.0]])
    np.testing.assert_allclose(rbf_features(x, centres, 1.0), np.exp(-0.5 * (x - centres.T) ** 2))
    np.testing.assert_allclose(sigmoid_features(x, centres, 1.0)[1], [1 / (1 + np.exp(-1)), 1 / (1 + np.exp(1))])


@pytest.mark.parametrize("basis, kwargs", [
    ("polynomial", dict(degree=5)),
    ("rbf", dict(centres=9, width=0.15, alpha=1e-3)),
    ("sigmoid", dict(centres=9, width=0.05)),
])
def test_basis_function_regression_fits_a_sine(basis, kwargs):
    x, y = noisy_sine()
    model = BasisFunctionRegression(basis, **kwargs).fit(x, y)
    x_test = np.linspace(0.05, 0.95, 50)[:, None]
    assert np.max(np.abs(model.predict(x_test) - np.sin(2 * np.pi * x_test[:, 0]))) < 0.2
    assert model.score(x, y) > 0.95


def test_polynomial_basis_is_linear_regression_on_powers():
    x, y = noisy_sine()
    model = BasisFunctionRegression("polynomial", degree=4).fit(x, y)
    direct = LinearRegression().fit(polynomial_features(x, 4), y)
    np.testing.assert_allclose(model.coef_, direct.coef_, rtol=1e-8)
    ridge = BasisFunctionRegression("polynomial", degree=4, alpha=1.0).fit(x, y)
    assert np.linalg.norm(ridge.coef_) < np.linalg.norm(model.coef_)


@pytest.mark.parametrize("kernel, kwargs", [("rbf", dict(gamma=0.1)), ("polynomial", dict(degree=2, gamma=0.1, coef0=1.0))])
def test_kernel_ridge_matches_sklearn(kernel, kwargs):
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours = KernelRidge(alpha=0.5, kernel=kernel, **kwargs).fit(X, y)
    ref = SkKernelRidge(alpha=0.5, kernel=kernel, **kwargs).fit(X, y)
    np.testing.assert_allclose(ours.dual_coef_, ref.dual_coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.predict(X[:20]), ref.predict(X[:20]), rtol=1e-9)


def test_gaussian_process_matches_sklearn_mean_std_and_evidence():
    x, y = noisy_sine(25)
    ours = GaussianProcessRegressor(length_scale=0.2, signal_variance=1.5, noise_variance=0.01).fit(x, y)
    ref = SkGP(ConstantKernel(1.5) * RBF(0.2), alpha=0.01, optimizer=None).fit(x, y)
    x_test = np.linspace(-0.2, 1.2, 30)[:, None]
    mean, var = ours.predict(x_test, return_var=True)
    ref_mean, ref_std = ref.predict(x_test, return_std=True)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(var), ref_std, rtol=1e-7, atol=1e-9)
    assert ours.log_marginal_likelihood_ == pytest.approx(ref.log_marginal_likelihood_value_, rel=1e-10)
    _, noisy_var = ours.predict(x_test, return_var=True, include_noise=True)
    np.testing.assert_allclose(noisy_var - var, 0.01)


def test_gaussian_process_interpolates_without_noise_and_reverts_to_prior_far_away():
    x, y = noisy_sine(10)
    gp = GaussianProcessRegressor(length_scale=0.1, noise_variance=1e-10).fit(x, y)
    mean, var = gp.predict(x, return_var=True)
    np.testing.assert_allclose(mean, y, atol=1e-6)
    assert np.all(var < 1e-6)
    far_mean, far_var = gp.predict(np.array([[100.0]]), return_var=True)
    assert abs(far_mean[0]) < 1e-12 and far_var[0] == pytest.approx(1.0)
