"""Least squares against the NIST StRD certified values (Chapter 2).

The data live in tests/data/nist (see its README); the certified coefficients
below are NIST's, computed in 500-digit arithmetic.  Accuracy is measured as
NIST's log relative error, LRE = -log10(|b - b_cert| / |b_cert|), i.e. the
number of correct significant digits, and every coefficient must reach 7.
"""

from pathlib import Path

import numpy as np
import pytest

from mlcore.classic import LinearRegression

DATA = Path(__file__).parent / "data" / "nist"
MIN_DIGITS = 7.0


def correct_digits(estimate: np.ndarray, certified: np.ndarray) -> float:
    """Smallest number of correct significant digits over the coefficients (capped at 15)."""
    rel = np.abs(estimate - certified) / np.abs(certified)
    return float(np.min(-np.log10(np.maximum(rel, 1e-15))))


def polynomial_design(x: np.ndarray, degree: int) -> np.ndarray:
    """Columns x, x^2, ..., x^degree (the intercept is fitted separately)."""
    return np.vander(x, degree + 1, increasing=True)[:, 1:]


FILIP_CERT = np.array([
    -1467.48961422980, -2772.17959193342, -2316.37108160893, -1127.97394098372,
    -354.478233703349, -75.1242017393757, -10.8753180355343, -1.06221498588947,
    -0.670191154593408e-01, -0.246781078275479e-02, -0.402962525080404e-04,
])
LONGLEY_CERT = np.array([
    -3482258.63459582, 15.0618722713733, -0.358191792925910e-01, -2.02022980381683,
    -1.03322686717359, -0.511041056535807e-01, 1829.15146461355,
])
NORRIS_CERT = np.array([-0.262323073774029, 1.00211681802045])
PONTIUS_CERT = np.array([0.673565789473684e-03, 0.732059160401003e-06, -0.316081871345029e-14])
WAMPLER_CERT = {
    1: np.ones(6),
    2: np.array([1.0, 0.1, 0.01, 0.001, 0.0001, 0.00001]),
    3: np.ones(6),
    4: np.ones(6),
    5: np.ones(6),
}


def load(name: str) -> np.ndarray:
    return np.loadtxt(DATA / name)


def fitted_coefficients(X: np.ndarray, y: np.ndarray, solver: str) -> np.ndarray:
    model = LinearRegression(solver=solver).fit(X, y)
    return np.concatenate([[model.intercept_], model.coef_])


def nist_problems():
    filip = load("Filip.dat")
    longley = load("Longley.dat")
    norris = load("Norris.dat")
    pontius = load("Pontius.dat")
    wampler = load("Wampler.dat")
    yield "Filip", polynomial_design(filip[:, 1], 10), filip[:, 0], FILIP_CERT
    yield "Longley", longley[:, 1:], longley[:, 0], LONGLEY_CERT
    yield "Norris", norris[:, 1:], norris[:, 0], NORRIS_CERT
    yield "Pontius", polynomial_design(pontius[:, 1], 2), pontius[:, 0], PONTIUS_CERT
    for k in range(1, 6):
        yield f"Wampler{k}", polynomial_design(wampler[:, 0], 5), wampler[:, k], WAMPLER_CERT[k]


PROBLEMS = {name: (X, y, cert) for name, X, y, cert in nist_problems()}


@pytest.mark.parametrize("solver", ["qr", "svd"])
@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_certified_coefficients_to_seven_digits(name, solver):
    X, y, certified = PROBLEMS[name]
    digits = correct_digits(fitted_coefficients(X, y, solver), certified)
    assert digits >= MIN_DIGITS, f"{name} ({solver}): only {digits:.2f} correct digits"


@pytest.mark.parametrize("x, y, certified", [
    (np.arange(60.0, 71.0), np.arange(130.0, 141.0), 2.07438016528926),  # NoInt1
    (np.array([4.0, 5.0, 6.0]), np.array([3.0, 4.0, 4.0]), 0.727272727272727),  # NoInt2
])
def test_no_intercept_problems(x, y, certified):
    model = LinearRegression(fit_intercept=False).fit(x[:, None], y)
    assert correct_digits(model.coef_, np.array([certified])) >= 13
    assert model.intercept_ == 0.0


def test_transcribed_data_are_consistent():
    """Wampler1/2 equal their defining polynomials; Wampler4/5 scale Wampler3's perturbation."""
    wampler = load("Wampler.dat")
    x = wampler[:, 0]
    np.testing.assert_array_equal(x, np.arange(21.0))
    np.testing.assert_array_equal(wampler[:, 1], sum(x**k for k in range(6)))
    np.testing.assert_allclose(wampler[:, 2], sum((x / 10) ** k for k in range(6)), rtol=1e-15)
    perturbation = wampler[:, 3] - wampler[:, 1]
    np.testing.assert_array_equal(wampler[:, 4] - wampler[:, 1], 100 * perturbation)
    np.testing.assert_array_equal(wampler[:, 5] - wampler[:, 1], 10_000 * perturbation)
    assert load("Filip.dat").shape == (82, 2) and load("Longley.dat").shape == (16, 7)


def test_normal_equations_would_fail_on_filip():
    """Why QR: solving X^T X w = X^T y loses every digit on Filip (cond(X^T X) ~ 1e30)."""
    X, y, certified = PROBLEMS["Filip"]
    A = np.column_stack([np.ones(len(y)), X])
    w_normal = np.linalg.solve(A.T @ A, A.T @ y)
    assert correct_digits(w_normal, certified) < 2 <= MIN_DIGITS <= correct_digits(fitted_coefficients(X, y, "qr"), certified)
