"""k-nearest neighbours (Chapter 2) against scikit-learn and against the tie rules."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.neighbors import KNeighborsClassifier as SkClassifier
from sklearn.neighbors import KNeighborsRegressor as SkRegressor
from sklearn.preprocessing import StandardScaler

from mlcore.classic import KNeighborsClassifier, KNeighborsRegressor, choose_k_by_cv, squared_distances


def split(X, y, seed=0):
    """Standardised train/test halves of a bundled data set."""
    X = StandardScaler().fit_transform(X)
    order = np.random.default_rng(seed).permutation(len(y))
    train, test = order[: len(y) // 2], order[len(y) // 2 :]
    return X[train], y[train], X[test], y[test]


def assert_no_boundary_ties(X_train, X_test, k):
    """The k-th and (k+1)-th neighbours are not (nearly) equidistant, so any correct
    implementation must pick the same neighbour set."""
    D = np.sort(np.sqrt(squared_distances(X_test, X_train)), axis=1)
    assert np.min(D[:, k] - D[:, k - 1]) > 1e-9


def test_squared_distances_match_direct_formula():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(7, 3)), rng.normal(size=(5, 3))
    direct = ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=-1)
    np.testing.assert_allclose(squared_distances(A, B), direct, rtol=1e-12, atol=1e-12)
    assert np.all(squared_distances(A, A) >= 0)


@pytest.mark.parametrize("loader", [load_wine, load_breast_cancer])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("k", [1, 5, 8])
def test_classifier_matches_sklearn(loader, weights, k):
    X_train, y_train, X_test, y_test = split(*loader(return_X_y=True))
    assert_no_boundary_ties(X_train, X_test, k)
    ours = KNeighborsClassifier(k, weights=weights).fit(X_train, y_train)
    ref = SkClassifier(n_neighbors=k, weights=weights, algorithm="brute").fit(X_train, y_train)
    np.testing.assert_array_equal(ours.predict(X_test), ref.predict(X_test))
    np.testing.assert_allclose(ours.predict_proba(X_test), ref.predict_proba(X_test), atol=1e-12)
    assert ours.score(X_test, y_test) == pytest.approx(ref.score(X_test, y_test))


@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("k", [1, 4, 10])
def test_regressor_matches_sklearn(weights, k):
    X_train, y_train, X_test, y_test = split(*load_diabetes(return_X_y=True))
    assert_no_boundary_ties(X_train, X_test, k)
    ours = KNeighborsRegressor(k, weights=weights).fit(X_train, y_train)
    ref = SkRegressor(n_neighbors=k, weights=weights, algorithm="brute").fit(X_train, y_train)
    np.testing.assert_allclose(ours.predict(X_test), ref.predict(X_test), rtol=1e-12)
    assert ours.score(X_test, y_test) == pytest.approx(ref.score(X_test, y_test), abs=1e-12)


def test_blocked_distances_agree_with_one_block(monkeypatch):
    import mlcore.classic.knn as knn

    X_train, y_train, X_test, _ = split(*load_wine(return_X_y=True))
    model = KNeighborsClassifier(3).fit(X_train, y_train)
    whole = model.kneighbors(X_test)
    monkeypatch.setattr(knn, "_BLOCK_ENTRIES", 5 * X_train.shape[0])  # blocks of 5 queries
    blocked = model.kneighbors(X_test)
    np.testing.assert_array_equal(whole[1], blocked[1])
    np.testing.assert_allclose(whole[0], blocked[0])


def test_equidistant_neighbours_keep_lower_training_index():
    X_train = np.array([[1.0], [-1.0], [2.0], [-2.0]])
    dist, idx = KNeighborsRegressor(3).fit(X_train, np.zeros(4)).kneighbors(np.array([[0.0]]))
    np.testing.assert_array_equal(idx, [[0, 1, 2]])  # 1 and -1 tie: index 0 first; 2 and -2 tie: index 2
    np.testing.assert_allclose(dist, [[1.0, 1.0, 2.0]])


def test_tied_vote_goes_to_smallest_label():
    X_train = np.array([[-1.0], [1.0]])
    model = KNeighborsClassifier(2).fit(X_train, np.array(["zebra", "ant"]))
    assert model.predict(np.array([[0.0]]))[0] == "ant"
    np.testing.assert_allclose(model.predict_proba(np.array([[0.0]])), [[0.5, 0.5]])


def test_distance_weights_on_exact_match_use_only_the_matching_points():
    X_train = np.array([[0.0], [1.0], [3.0]])
    model = KNeighborsRegressor(3, weights="distance").fit(X_train, np.array([10.0, 20.0, 30.0]))
    assert model.predict(np.array([[1.0]]))[0] == 20.0
    assert model.predict(np.array([[2.0]]))[0] == pytest.approx((20.0 + 30.0 + 10.0 / 2) / 2.5)


def test_choose_k_by_cv_is_reproducible_and_sensible():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ks = [1, 3, 5, 15, 51]
    first = choose_k_by_cv(X, y, ks, n_folds=5, rng=0)
    second = choose_k_by_cv(X, y, ks, n_folds=5, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(first.scores, second.scores)
    assert first.scores.shape == (5, 5)
    assert first.best_k == ks[int(np.argmax(first.mean_scores))]
    assert first.mean_scores.max() > 0.95
    regression = choose_k_by_cv(*load_diabetes(return_X_y=True), [1, 20], n_folds=4, rng=1, task="regression")
    assert regression.best_k == 20  # averaging many neighbours beats copying one on noisy targets
