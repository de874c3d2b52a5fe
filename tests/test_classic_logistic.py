"""Logistic regression (Chapter 3) against scikit-learn, and its behaviour on separable data."""

import warnings

import numpy as np
import pytest
import sklearn.linear_model as sk
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.preprocessing import StandardScaler

from mlcore.classic import ConvergenceWarning, LogisticRegression


def standardised(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def sklearn_reference(X, y, alpha):
    """scikit-learn minimises C * sum(loss) + ||w||^2 / 2, i.e. our objective with C = 1/(n alpha)."""
    return sk.LogisticRegression(C=1.0 / (len(y) * alpha), solver="newton-cg", tol=1e-12, max_iter=10_000).fit(X, y)


@pytest.mark.parametrize("loader", [load_breast_cancer, load_iris, load_wine])
@pytest.mark.parametrize("solver", ["newton", "gd"])
def test_matches_sklearn(loader, solver):
    X, y = standardised(loader)
    alpha = 0.01
    max_iter = 100 if solver == "newton" else 20_000
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no convergence warning
        ours = LogisticRegression(alpha=alpha, solver=solver, max_iter=max_iter, tol=1e-9).fit(X, y)
    ref = sklearn_reference(X, y, alpha)
    assert ours.coef_.shape == ref.coef_.shape
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-7)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    assert ours.score(X, y) == ref.score(X, y)


def test_multinomial_newton_on_digits():
    X, y = standardised(load_digits)
    ours = LogisticRegression(alpha=0.01).fit(X, y)
    ref = sklearn_reference(X, y, 0.01)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    assert ours.score(X, y) == ref.score(X, y)
    assert ours.n_iter_ < 20  # Newton converges quadratically


def test_loss_history_decreases():
    X, y = standardised(load_iris)
    for solver in ("newton", "gd"):
        history = LogisticRegression(alpha=0.1, solver=solver, max_iter=5000).fit(X, y).loss_history_
        assert np.all(np.diff(history) <= 1e-12)


def separable_data():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-3.0, 1.0, (40, 2)), rng.normal(3.0, 1.0, (40, 2))])
    return X, np.repeat([0, 1], 40)


@pytest.mark.parametrize("solver", ["newton", "gd"])
def test_separable_data_warn_without_penalty_and_stay_finite(solver):
    X, y = separable_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # an overflow would raise here
        with pytest.warns(ConvergenceWarning, match="linearly separable and alpha=0"):
            model = LogisticRegression(solver=solver, max_iter=300).fit(X, y)
    growth = np.diff(model.weight_norm_history_)
    assert np.all(growth[1:] > 0)  # the weights keep growing
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.predict_proba(X)))
    assert model.score(X, y) == 1.0


def test_separable_multiclass_warns_and_penalty_silences_it():
    X, y = separable_data()
    X3 = np.vstack([X, np.random.default_rng(1).normal([6.0, -6.0], 1.0, (40, 2))])
    y3 = np.concatenate([y, np.full(40, 2)])
    with pytest.warns(ConvergenceWarning, match="separable"):
        LogisticRegression().fit(X3, y3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LogisticRegression(alpha=0.01).fit(X3, y3)
    assert model.score(X3, y3) == 1.0


def test_extreme_scores_give_exact_probabilities_without_warnings():
    X, y = separable_data()
    model = LogisticRegression(alpha=0.01).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = model.predict_proba(np.array([[1e6, 1e6], [-1e6, -1e6]]))
    np.testing.assert_array_equal(proba, [[0.0, 1.0], [1.0, 0.0]])


def test_string_labels_and_unpenalised_intercept():
    X, y = standardised(load_breast_cancer)
    labels = np.where(y == 1, "benign", "malignant")
    model = LogisticRegression(alpha=1e3).fit(X, labels)
    assert set(model.predict(X)) <= {"benign", "malignant"}
    # a huge penalty kills the weights but not the intercept, which fits the class frequency
    assert np.max(np.abs(model.coef_)) < 1e-3
    assert model.predict_proba(X)[:, 0].mean() == pytest.approx(np.mean(labels == "benign"), abs=1e-3)
