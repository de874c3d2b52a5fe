"""Least squares, ridge and lasso (Chapter 2) against scikit-learn."""

import numpy as np
import pytest
import sklearn.linear_model as sk
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from mlcore.classic import ConvergenceWarning, Lasso, LinearRegression, Ridge, soft_threshold

X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)


@pytest.mark.parametrize("solver", ["qr", "svd"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_least_squares_matches_sklearn(solver, fit_intercept):
    ours = LinearRegression(fit_intercept=fit_intercept, solver=solver).fit(X_DIAB, Y_DIAB)
    ref = sk.LinearRegression(fit_intercept=fit_intercept).fit(X_DIAB, Y_DIAB)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6, rtol=0)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-6)
    assert ours.score(X_DIAB, Y_DIAB) == pytest.approx(ref.score(X_DIAB, Y_DIAB), abs=1e-12)


def test_gradient_descent_reaches_the_qr_solution():
    X = StandardScaler().fit_transform(X_DIAB)
    exact = LinearRegression().fit(X, Y_DIAB)
    gd = LinearRegression(solver="gd", max_iter=50_000, tol=1e-9).fit(X, Y_DIAB)
    np.testing.assert_allclose(gd.coef_, exact.coef_, atol=1e-4)
    assert np.all(np.diff(gd.loss_history_) <= 1e-12 * gd.loss_history_[1:])  # step 1/L: the loss never rises
    with pytest.warns(ConvergenceWarning, match="did not converge in max_iter=5"):
        LinearRegression(solver="gd", max_iter=5).fit(X, Y_DIAB)


def test_svd_solver_handles_rank_deficiency_and_qr_refuses():
    X = np.column_stack([X_DIAB[:, 0], 2 * X_DIAB[:, 0], X_DIAB[:, 1]])
    model = LinearRegression(solver="svd").fit(X, Y_DIAB)
    assert model.rank_ == 2
    full = LinearRegression().fit(X_DIAB[:, :2], Y_DIAB)
    assert model.coef_[0] + 2 * model.coef_[1] == pytest.approx(full.coef_[0], rel=1e-9)
    with pytest.raises(ValueError, match="rank deficient"):
        LinearRegression(solver="qr").fit(X, Y_DIAB)


@pytest.mark.parametrize("solver", ["qr", "svd"])
@pytest.mark.parametrize("alpha", [1e-3, 0.1, 10.0])
def test_ridge_matches_sklearn(solver, alpha):
    ours = Ridge(alpha, solver=solver).fit(X_DIAB, Y_DIAB)
    ref = sk.Ridge(alpha=alpha).fit(X_DIAB, Y_DIAB)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6, rtol=0)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-6)


def test_ridge_shrinks_towards_zero_and_alpha_zero_is_least_squares():
    norms = [np.linalg.norm(Ridge(a).fit(X_DIAB, Y_DIAB).coef_) for a in (0.0, 0.01, 0.1, 1.0)]
    assert all(a > b for a, b in zip(norms, norms[1:]))
    np.testing.assert_allclose(Ridge(0.0).fit(X_DIAB, Y_DIAB).coef_, LinearRegression().fit(X_DIAB, Y_DIAB).coef_, rtol=1e-9)


@pytest.mark.parametrize("alpha", [0.01, 0.1, 1.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_lasso_matches_sklearn(alpha, fit_intercept):
    ours = Lasso(alpha, fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000).fit(X_DIAB, Y_DIAB)
    ref = sk.Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000).fit(X_DIAB, Y_DIAB)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6, rtol=0)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-6)
    assert ours.dual_gap_ >= -1e-9


def test_lasso_large_alpha_gives_all_zero_and_sparsity_grows_with_alpha():
    alpha_max = np.max(np.abs((X_DIAB - X_DIAB.mean(0)).T @ (Y_DIAB - Y_DIAB.mean()))) / len(Y_DIAB)
    assert np.all(Lasso(alpha_max * 1.001).fit(X_DIAB, Y_DIAB).coef_ == 0)
    nonzeros = [np.count_nonzero(Lasso(a, tol=1e-10).fit(X_DIAB, Y_DIAB).coef_) for a in (0.01, 0.3, 1.0, 3.0)]
    assert nonzeros == sorted(nonzeros, reverse=True) and nonzeros[0] > nonzeros[-1]


def test_soft_threshold():
    np.testing.assert_array_equal(soft_threshold(np.array([-3.0, -0.5, 0.0, 0.5, 3.0]), 1.0), [-2.0, 0.0, 0.0, 0.0, 2.0])
