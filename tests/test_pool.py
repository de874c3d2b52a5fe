"""Pooling (Chapter 14): max and average pooling, 1-D and 2-D, on the naive, im2col and
Numba backends agree (forward and backward, float64, 1e-10) and match finite differences
(relative error < 1e-6) on random shapes with stride and padding; global average pooling;
the layers and their errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlcore as mc
from mlcore import conv, nn

TOL = 1e-6
fast = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)
POOLS = {2: (conv.max_pool2d, conv.avg_pool2d), 1: (conv.max_pool1d, conv.avg_pool1d)}


@st.composite
def pool_settings(draw, d=2):
    """An input shape and a kernel, stride and padding (at most half the kernel) that fit it."""
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(d))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(d))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(max(1, k - 2 * p) + draw(st.integers(0, 4)) for k, p in zip(kernel, padding))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + size
    return shape, dict(kernel_size=kernel, stride=stride, padding=padding)


def distinct_values(rng, shape):
    """Entries at least 0.1 apart, so no window has a near-tie for its maximum that a finite difference could flip."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.1 + rng.uniform(0, 0.01, size)).reshape(shape) - size * 0.05


def run(fn, x, **options):
    t = mc.Tensor(x, dtype=np.float64, requires_grad=True)
    y = fn(t, **options)
    y.backward(np.random.default_rng(0).standard_normal(y.shape))
    return y.data, t.grad


def check(fn, x):
    result = mc.gradcheck(fn, [x])
    assert result.max_error < TOL, f"relative errors {result.errors}"


@fast
@given(st.sampled_from([1, 2]), st.data(), seeds)
def test_pooling_backends_agree_and_match_finite_differences(d, data, seed):
    shape, options = data.draw(pool_settings(d))
    x = distinct_values(np.random.default_rng(seed), shape)
    for pool in POOLS[d]:
        y_ref, g_ref = run(pool, x, backend="naive", **options)
        assert y_ref.shape[:2] == shape[:2] and y_ref.ndim == d + 2
        for backend in ("im2col", "numba"):
            y, g = run(pool, x, backend=backend, **options)
            np.testing.assert_allclose(y, y_ref, rtol=0, atol=1e-10)
            np.testing.assert_allclose(g, g_ref, rtol=0, atol=1e-10)
            check(lambda t: pool(t, backend=backend, **options), x)


def test_max_pool_routes_gradient_to_the_maximum():
    x = np.array([[[[1.0, 5.0, 2.0, 0.0],
                    [3.0, 4.0, 9.0, 1.0]]]])
    y, g = run(conv.max_pool2d, x, kernel_size=2)
    np.testing.assert_array_equal(y, [[[[5.0, 9.0]]]])
    upstream = np.random.default_rng(0).standard_normal((1, 1, 1, 2))
    expected = np.zeros_like(x)
    expected[0, 0, 0, 1], expected[0, 0, 1, 2] = upstream[0, 0, 0]
    np.testing.assert_array_equal(g, expected)


def test_avg_pool_padding_counts_zeros():
    y, _ = run(conv.avg_pool1d, np.array([[[2.0, 4.0, 6.0]]]), kernel_size=2, stride=2, padding=1)
    np.testing.assert_allclose(y, [[[1.0, 5.0]]])  # (0 + 2)/2, (4 + 6)/2


@fast
@given(st.sampled_from([3, 4]), seeds)
def test_global_avg_pool(ndim, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3) + (4,) * (ndim - 2))
    y = conv.global_avg_pool(mc.Tensor(x, dtype=np.float64))
    assert y.shape == (2, 3)
    np.testing.assert_allclose(y.data, x.reshape(2, 3, -1).mean(axis=2), rtol=0, atol=1e-12)
    check(conv.global_avg_pool, x)


def test_fast_pooling_stays_in_float32():
    x = mc.Tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)), requires_grad=True)
    for pool in (conv.max_pool2d, conv.avg_pool2d):
        y = pool(x, 2)
        y.sum().backward()
        assert y.dtype == np.float32 and x.grad.dtype == np.float32
    assert conv.global_avg_pool(x).dtype == np.float32


def test_pooling_layers():
    x = np.zeros((2, 3, 7, 8), np.float32)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 3, 4)
    assert nn.MaxPool2d((3, 2), stride=(2, 1), padding=1)(x).shape == (2, 3, 4, 9)
    assert nn.AvgPool2d(2, stride=1)(x).shape == (2, 3, 6, 7)
    assert nn.MaxPool1d(3, stride=2)(x[:, :, 0]).shape == (2, 3, 3)
    assert nn.AvgPool1d(2)(x[:, :, 0]).shape == (2, 3, 4)
    assert nn.GlobalAvgPool()(x).shape == (2, 3)
    assert nn.MaxPool2d(2).parameters() == []
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2))"


def test_pooling_errors():
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=\(2, 2\), stride=\(2, 2\)\): expected input "
                                         r"of shape \(N, C, H, W\), got \(3, 4\)"):
        nn.MaxPool2d(2)(np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match=r"AvgPool1d.*expected input of shape \(N, C, L\), got \(1, 2, 3, 4\)"):
        nn.AvgPool1d(2)(np.zeros((1, 2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"kernel of extent \(5, 5\) is larger than the padded input \(4, 4\)"):
        conv.max_pool2d(np.zeros((1, 1, 4, 4)), 5)
    with pytest.raises(ValueError, match="MaxPool2d: stride must be a positive integer"):
        nn.MaxPool2d(2, stride=0)
    with pytest.raises(ValueError, match="kernel_size must be a positive integer"):
        conv.avg_pool2d(np.zeros((1, 1, 4, 4)), 0)
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half the kernel size \(3, 3\)"):
        conv.max_pool2d(np.zeros((1, 1, 4, 4)), 3, padding=2)
    with pytest.raises(ValueError, match=r"GlobalAvgPool\(\): expected input of shape"):
        nn.GlobalAvgPool()(np.zeros((2, 3), np.float32))
