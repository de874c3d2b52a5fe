"""Initialisers (Chapter 11): fans in mlcore's layouts, gains, the variance each
formula promises (within sampling error on a large matrix), seeds, in-place filling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlcore import nn
from mlcore.nn import init

# (fan_in, fan_out) = (400, 250) for a Linear weight (in, out); a conv weight (out, in, kh, kw).
LINEAR = (400, 250)
CONV = (64, 32, 3, 3)


def test_calculate_gain():
    assert init.calculate_gain("linear") == init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fans_follow_mlcore_layouts():
    assert init.compute_fans((400, 250)) == (400, 250)  # Linear stores (in_features, out_features)
    assert init.compute_fans((64, 32, 3, 3)) == (32 * 9, 64 * 9)  # conv: (out, in, kh, kw)
    assert init.compute_fans((8, 4, 5)) == (20, 40)
    layer = nn.Linear(7, 3, rng=0)
    assert init.compute_fans(layer.weight.shape) == (7, 3)
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.compute_fans((5,))


def expected_variances():
    """(initialiser call, shape, variance its formula promises, uniform bound or None)."""
    fi, fo = LINEAR
    cfi, cfo = init.compute_fans(CONV)
    g_tanh = 5 / 3
    return [
        (lambda w, r: init.xavier_uniform_(w, rng=r), LINEAR, 2 / (fi + fo), math.sqrt(6 / (fi + fo))),
        (lambda w, r: init.xavier_uniform_(w, gain=g_tanh, rng=r), LINEAR, g_tanh**2 * 2 / (fi + fo), None),
        (lambda w, r: init.xavier_normal_(w, rng=r), LINEAR, 2 / (fi + fo), None),
        (lambda w, r: init.xavier_normal_(w, rng=r), CONV, 2 / (cfi + cfo), None),
        (lambda w, r: init.kaiming_uniform_(w, rng=r), LINEAR, 2 / fi, math.sqrt(6 / fi)),
        (lambda w, r: init.kaiming_uniform_(w, mode="fan_out", rng=r), LINEAR, 2 / fo, math.sqrt(6 / fo)),
        (lambda w, r: init.kaiming_normal_(w, rng=r), LINEAR, 2 / fi, None),
        (lambda w, r: init.kaiming_normal_(w, mode="fan_out", rng=r), LINEAR, 2 / fo, None),
        (lambda w, r: init.kaiming_normal_(w, rng=r), CONV, 2 / cfi, None),
        (lambda w, r: init.kaiming_normal_(w, mode="fan_out", rng=r), CONV, 2 / cfo, None),
        (lambda w, r: init.kaiming_normal_(w, nonlinearity="tanh", rng=r), LINEAR, g_tanh**2 / fi, None),
        (lambda w, r: init.kaiming_uniform_(w, a=0.2, rng=r), LINEAR, 2 / (1.04 * fi), None),
        (lambda w, r: init.normal_(w, 1.0, 0.3, rng=r), LINEAR, 0.09, None),
        (lambda w, r: init.uniform_(w, -2.0, 4.0, rng=r), LINEAR, 36 / 12, None),
    ]


@pytest.mark.parametrize("case", range(len(expected_variances())))
def test_empirical_variance_matches_the_formula(case):
    fill, shape, variance, bound = expected_variances()[case]
    w = nn.Parameter(np.zeros(shape), dtype=np.float64)
    assert fill(w, 0) is w  # in place, and returned
    # 100k draws: the sample variance is within about 0.5% of the truth (1 s.d.); allow 3%.
    assert w.data.var() == pytest.approx(variance, rel=0.03)
    if bound is not None:
        assert np.abs(w.data).max() <= bound
        assert np.abs(w.data).max() > 0.99 * bound


def test_same_seed_same_values_and_dtype_kept():
    for fill, shape, _, _ in expected_variances():
        a, b, c = (nn.Parameter(np.zeros(shape)) for _ in range(3))
        fill(a, 42)
        fill(b, np.random.default_rng(42))
        fill(c, 43)
        np.testing.assert_array_equal(a.data, b.data)
        assert not np.array_equal(a.data, c.data)
        assert a.dtype == np.float32  # a float32 parameter stays float32


def test_constant_initialisers_and_arrays():
    w = nn.Parameter(np.full((3, 4), 7.0))
    data = w.data
    assert init.zeros_(w) is w and np.all(w.data == 0) and w.data is data
    assert np.all(init.ones_(w).data == 1)
    assert np.all(init.constant_(w, 0.5).data == 0.5)
    arr = np.zeros((20, 10))
    init.xavier_uniform_(arr, rng=0)
    assert arr.std() > 0
    with pytest.raises(TypeError, match="expected a Tensor, Parameter or ndarray, got list"):
        init.zeros_([1.0, 2.0])


def test_argument_errors():
    w = nn.Parameter(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="kaiming_normal_: mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_normal_(w, mode="fan_avg", rng=0)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(nn.Parameter(np.zeros(3)), rng=0)
    with pytest.raises(ValueError, match="uniform_: need a < b"):
        init.uniform_(w, 1.0, 1.0, rng=0)
    with pytest.raises(ValueError, match="normal_: std must be >= 0"):
        init.normal_(w, 0.0, -1.0, rng=0)


def test_he_initialisation_keeps_relu_activations_from_vanishing():
    """Chapter 11's claim in miniature: through 20 ReLU layers the mean square activation
    stays of order one with He initialisation and collapses with a too-small scale."""
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((256, 128))

    def mean_square_after(fill):
        h = x0
        for _ in range(20):
            w = nn.Parameter(np.zeros((128, 128)), dtype=np.float64)
            fill(w)
            h = np.maximum(h @ w.data, 0)
        return (h**2).mean()

    he = mean_square_after(lambda w: init.kaiming_normal_(w, nonlinearity="relu", rng=rng))
    small = mean_square_after(lambda w: init.normal_(w, 0.0, 0.01, rng=rng))
    assert 0.2 < he < 5
    assert small < 1e-20
