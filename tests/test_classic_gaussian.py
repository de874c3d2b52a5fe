"""Gaussian generative classifiers and Gaussian mixtures fitted by EM (Chapter 3)."""

import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.datasets import load_iris, load_wine
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.mixture import GaussianMixture as SkMixture
from sklearn.preprocessing import StandardScaler

from mlcore.classic import GaussianClassifier, GaussianMixture, gaussian_log_density, kmeans_plusplus


def standardised(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_log_density_matches_scipy():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 3))
    cov, mean, X = A @ A.T + np.eye(3), rng.normal(size=3), rng.normal(size=(10, 3))
    expected = multivariate_normal(mean, cov).logpdf(X)
    np.testing.assert_allclose(gaussian_log_density(X, mean, np.linalg.cholesky(cov)), expected, rtol=1e-12)
    variances = np.array([0.5, 2.0, 3.0])
    np.testing.assert_allclose(
        gaussian_log_density(X, mean, np.sqrt(variances)), multivariate_normal(mean, np.diag(variances)).logpdf(X), rtol=1e-12
    )


@pytest.mark.parametrize("loader", [load_iris, load_wine])
def test_shared_covariance_matches_sklearn_lda(loader):
    X, y = standardised(loader)
    ours = GaussianClassifier(covariance="shared").fit(X, y)
    ref = LinearDiscriminantAnalysis(solver="lsqr").fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-9)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_per_class_covariance_is_bayes_rule_with_class_gaussians():
    X, y = standardised(load_iris)
    ours = GaussianClassifier(covariance="per_class").fit(X, y)
    log_joint = np.column_stack([
        np.log(np.mean(y == k)) + multivariate_normal(X[y == k].mean(0), np.cov(X[y == k].T, bias=True)).logpdf(X)
        for k in range(3)
    ])
    expected = np.exp(log_joint - np.logaddexp.reduce(log_joint, axis=1, keepdims=True))
    np.testing.assert_allclose(ours.predict_proba(X), expected, atol=1e-10)
    assert ours.score(X, y) > 0.97


def sklearn_style_init(X, K, covariance_type, seed=0):
    """One starting point handed to both implementations: k-means++ means, equal weights, unit precisions."""
    d = X.shape[1]
    precisions = np.tile(np.eye(d), (K, 1, 1)) if covariance_type == "full" else np.ones((K, d))
    return dict(means_init=kmeans_plusplus(X, K, rng=seed), weights_init=np.full(K, 1.0 / K), precisions_init=precisions)


@pytest.mark.parametrize("loader", [load_iris, load_wine])
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_mixture_matches_sklearn_from_same_start(loader, covariance_type):
    X, _ = standardised(loader)
    init = sklearn_style_init(X, 3, covariance_type)
    ours = GaussianMixture(3, covariance_type=covariance_type, tol=1e-10, max_iter=1000, **init).fit(X)
    ref = SkMixture(3, covariance_type=covariance_type, tol=1e-10, max_iter=1000, **init).fit(X)
    assert ours.converged_ and ref.converged_
    assert ours.log_likelihood_ == pytest.approx(ref.lower_bound_, rel=1e-9)
    assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-8)
    np.testing.assert_allclose(ours.means_, ref.means_, atol=1e-5)
    np.testing.assert_allclose(ours.weights_, ref.weights_, atol=1e-6)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_log_likelihood_never_decreases(covariance_type, seed):
    X, _ = standardised(load_wine)
    model = GaussianMixture(4, covariance_type=covariance_type, tol=1e-12, max_iter=300, rng=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hitting max_iter is fine here
        history = model.fit(X).log_likelihood_history_
    assert len(history) > 10
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))
    assert history[-1] == pytest.approx(model.score(X), rel=1e-12)


def test_same_seed_same_fit_and_kmeans_plusplus_picks_data_points():
    X, _ = standardised(load_iris)
    a = GaussianMixture(3, rng=5).fit(X)
    b = GaussianMixture(3, rng=np.random.default_rng(5)).fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)
    centres = kmeans_plusplus(X, 3, rng=0)
    assert all(np.any(np.all(X == c, axis=1)) for c in centres)


def test_collapsing_component_stays_finite_thanks_to_the_floor():
    """A component started on an isolated point collapses onto it; reg_covar keeps it finite."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0.0, 1.0, (60, 2)), [[50.0, 50.0]]])
    means = np.array([[0.0, 0.0], [50.0, 50.0]])
    model = GaussianMixture(2, means_init=means, reg_covar=1e-6, max_iter=50).fit(X)
    assert np.all(np.isfinite(model.log_likelihood_history_))
    assert np.all(np.isfinite(model.predict_proba(X)))
    assert np.min(np.linalg.eigvalsh(model.covariances_[1])) >= 1e-6 * (1 - 1e-9)
    with pytest.raises(ValueError, match="not positive definite; increase reg_covar"):
        GaussianMixture(2, means_init=means, reg_covar=0.0).fit(X)


def test_predict_and_proba_are_consistent():
    X, y = standardised(load_iris)
    model = GaussianMixture(3, tol=1e-8, rng=0).fit(X)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=1))
    np.testing.assert_allclose(np.exp(model.score_samples(X)).sum() > 0, True)
