"""Activations, losses and dropout in mlcore.functional: values, stability, errors and gradients.

Every gradient is checked against central finite differences in float64 on
shapes drawn by hypothesis (relative error below 1e-6).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import mlcore as mc
from mlcore import functional as F

TOL = 1e-6
fast = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2**32 - 1)
REDUCTIONS = ["mean", "sum", "none"]


def check(fn, *arrays):
    result = mc.gradcheck(fn, arrays)
    assert result.max_error < TOL, f"relative errors {result.errors}"


def away_from_zero(rng, shape, low=0.05, high=3.0):
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def t64(x, grad=False):
    return mc.Tensor(x, dtype=np.float64, requires_grad=grad)


# ---------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------


@fast
@given(shapes, seeds, st.floats(0.0, 0.5), st.floats(0.1, 3.0))
def test_activation_gradients(shape, seed, slope, alpha):
    rng = np.random.default_rng(seed)
    x = away_from_zero(rng, shape)  # the kinks of LeakyReLU and ELU at 0 avoided
    check(lambda a: F.leaky_relu(a, slope), x)
    check(lambda a: F.elu(a, alpha), x)
    check(F.gelu, x)
    check(lambda a: F.identity(a) * 1.0, x)


def test_activation_values():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(F.leaky_relu(t64(x), 0.1).data, [-0.2, -0.05, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(F.elu(t64(x), 2.0).data, [2 * math.expm1(-2), 2 * math.expm1(-0.5), 0, 0.5, 2])
    gelu = [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x]
    np.testing.assert_allclose(F.gelu(t64(x)).data, gelu, rtol=1e-14)
    xt = t64(x)
    assert F.identity(xt) is xt


def test_activation_derivatives_in_closed_form():
    x = t64([-1.0, 1.0], grad=True)
    F.gelu(x).sum().backward()
    phi = math.exp(-0.5) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
    np.testing.assert_allclose(x.grad, [(1 - cdf) - phi, cdf + phi], rtol=1e-14)
    x = t64([-1.0, 1.0], grad=True)
    F.elu(x, 0.5).sum().backward()
    np.testing.assert_allclose(x.grad, [0.5 * math.exp(-1.0), 1.0], rtol=1e-14)
    x = t64([-1.0, 1.0], grad=True)
    F.leaky_relu(x, 0.2).sum().backward()
    np.testing.assert_allclose(x.grad, [0.2, 1.0])


@pytest.mark.parametrize("fn", [F.relu, F.leaky_relu, F.elu, F.gelu, F.sigmoid, F.tanh, F.softmax])
def test_activations_keep_float32_and_are_finite_for_huge_inputs(fn):
    x = mc.Tensor([-1e4, -30.0, 0.0, 30.0, 1e4], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = fn(x)
        y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))


def test_activation_argument_errors():
    with pytest.raises(ValueError, match="leaky_relu: negative_slope must be a number >= 0"):
        F.leaky_relu(mc.Tensor([1.0]), -0.1)
    with pytest.raises(ValueError, match="elu: alpha must be a number > 0"):
        F.elu(mc.Tensor([1.0]), 0)


# ---------------------------------------------------------------------------
# Losses: gradients
# ---------------------------------------------------------------------------


@fast
@given(shapes, seeds, st.sampled_from(REDUCTIONS))
def test_regression_loss_gradients(shape, seed, reduction):
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(shape)
    t = p + away_from_zero(rng, shape, 0.1, 2.0)  # |p - t| away from L1's kink
    check(lambda a, b: F.mse_loss(a, b, reduction=reduction), p, t)
    check(lambda a, b: F.l1_loss(a, b, reduction=reduction), p, t)


@fast
@given(st.integers(1, 6), st.integers(2, 5), seeds, st.sampled_from(REDUCTIONS))
def test_classification_loss_gradients(n, c, seed, reduction):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c)) * 2
    labels = rng.integers(0, c, size=n)
    check(lambda z: F.cross_entropy(z, labels, reduction=reduction), logits)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    check(lambda a: F.nll_loss(a, labels, reduction=reduction), log_p)
    check(lambda z: F.nll_loss(F.log_softmax(z, axis=1), labels, reduction=reduction), logits)


@fast
@given(shapes, seeds, st.sampled_from(REDUCTIONS))
def test_bce_with_logits_gradients(shape, seed, reduction):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(shape) * 3
    t = rng.uniform(0.01, 0.99, shape)  # finite differences must not step outside [0, 1]
    check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction), z, t)


@fast
@given(st.integers(1, 5), st.integers(1, 4), seeds, st.sampled_from(REDUCTIONS))
def test_kl_gaussian_gradients(n, d, seed, reduction):
    rng = np.random.default_rng(seed)
    mu, logvar = rng.standard_normal((n, d)), rng.uniform(-1.5, 1.5, (n, d))
    mu_p, logvar_p = rng.standard_normal((n, d)), rng.uniform(-1.5, 1.5, (n, d))
    check(lambda a, b: F.kl_div_gaussian(a, b, reduction=reduction), mu, logvar)
    check(lambda a, b, c, e: F.kl_div_gaussian(a, b, c, e, reduction=reduction), mu, logvar, mu_p, logvar_p)
    # a prior shared by the whole batch, shape (D,), broadcasts against (N, D)
    check(lambda a, b, c, e: F.kl_div_gaussian(a, b, c, e, reduction=reduction), mu, logvar, mu_p[0], logvar_p[0])


# ---------------------------------------------------------------------------
# Losses: values and reductions
# ---------------------------------------------------------------------------


def test_reductions_agree():
    rng = np.random.default_rng(0)
    p, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    z, y = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    mu, lv = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    cases = [
        (lambda r: F.mse_loss(t64(p), t, reduction=r), 12),
        (lambda r: F.l1_loss(t64(p), t, reduction=r), 12),
        (lambda r: F.binary_cross_entropy_with_logits(t64(p), np.full((4, 3), 0.3), reduction=r), 12),
        (lambda r: F.cross_entropy(t64(z), y, reduction=r), 4),
        (lambda r: F.nll_loss(t64(z), y, reduction=r), 4),
        (lambda r: F.kl_div_gaussian(t64(mu), t64(lv), reduction=r), 4),  # 'mean' is over the batch
    ]
    for loss, count in cases:
        none, total, mean = loss("none").data, loss("sum").item(), loss("mean").item()
        assert none.size == count
        assert total == pytest.approx(none.sum(), rel=1e-12)
        assert mean == pytest.approx(total / count, rel=1e-12)


def test_loss_values():
    p, t = np.array([1.0, -2.0, 3.0]), np.array([0.0, 0.0, 1.0])
    assert F.l1_loss(t64(p), t).item() == pytest.approx(5 / 3)
    assert F.mse_loss(t64(p), t).item() == pytest.approx(9 / 3)
    z, y = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]]), np.array([0, 2])
    log_p = F.log_softmax(t64(z), axis=1)
    assert F.nll_loss(log_p, y).item() == pytest.approx(F.cross_entropy(t64(z), y).item(), rel=1e-14)
    assert F.nll_loss(t64(z), y).item() == pytest.approx(-(2.0 + 3.0) / 2)


def test_bce_matches_the_naive_formula():
    rng = np.random.default_rng(1)
    z, t = rng.standard_normal((5, 2)) * 4, rng.uniform(0, 1, (5, 2))
    s = 1 / (1 + np.exp(-z))
    naive = -(t * np.log(s) + (1 - t) * np.log(1 - s))
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(t64(z), t, reduction="none").data, naive, rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_stable_for_huge_logits(dtype):
    z = mc.Tensor([1e4, -1e4, 1e4, -1e4, 0.0], dtype=dtype, requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = F.binary_cross_entropy_with_logits(z, t, reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1e4, 1e4, math.log(2)], rtol=1e-6)
    np.testing.assert_allclose(z.grad, [0.0, 0.0, 1.0, -1.0, 0.0], atol=1e-7)
    assert loss.dtype == dtype and z.grad.dtype == dtype


def test_kl_matches_the_multivariate_normal_formula():
    rng = np.random.default_rng(2)
    mu_q, lv_q = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    mu_p, lv_p = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    expected = []
    for n in range(3):  # KL = 0.5 (tr(S_p^-1 S_q) + d^T S_p^-1 d - k + ln det S_p / det S_q)
        s_q, s_p = np.diag(np.exp(lv_q[n])), np.diag(np.exp(lv_p[n]))
        d, inv = mu_p[n] - mu_q[n], np.linalg.inv(s_p)
        expected.append(0.5 * (np.trace(inv @ s_q) + d @ inv @ d - 4
                               + np.log(np.linalg.det(s_p) / np.linalg.det(s_q))))
    kl = F.kl_div_gaussian(t64(mu_q), t64(lv_q), t64(mu_p), t64(lv_p), reduction="none")
    np.testing.assert_allclose(kl.data, expected, rtol=1e-10)
    standard = F.kl_div_gaussian(t64(mu_q), t64(lv_q), reduction="none").data
    general = F.kl_div_gaussian(t64(mu_q), t64(lv_q), np.zeros(4), np.zeros(4), reduction="none").data
    np.testing.assert_allclose(standard, general, rtol=1e-12)
    assert np.all(standard > 0)
    assert F.kl_div_gaussian(t64(mu_q), t64(lv_q), mu_q, lv_q).item() == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------------------
# Losses: errors a reader understands
# ---------------------------------------------------------------------------


def test_loss_input_errors():
    x = mc.Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"l1_loss.*\(3, 4\).*\(4,\)"):
        F.l1_loss(x, np.zeros(4))
    with pytest.raises(TypeError, match="mse_loss: prediction must be floating point"):
        F.mse_loss(mc.Tensor([1, 2]), np.zeros(2))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.mse_loss(x, np.zeros((3, 4)), reduction="avg")
    with pytest.raises(ValueError, match="nll_loss: labels must lie in 0..3"):
        F.nll_loss(x, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"nll_loss: labels must have shape \(3,\)"):
        F.nll_loss(x, np.array([0, 1]))
    with pytest.raises(TypeError, match="nll_loss: labels must be integers"):
        F.nll_loss(x, np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"nll_loss: log_probs must have shape \(N, C\)"):
        F.nll_loss(mc.Tensor(np.zeros(4)), np.array([0]))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        F.binary_cross_entropy_with_logits(x, np.full((3, 4), 2.0))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits.*\(3, 4\).*\(3,\)"):
        F.binary_cross_entropy_with_logits(x, np.zeros(3))


def test_kl_input_errors():
    mu = mc.Tensor(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"mu has shape \(3, 2\) but logvar has shape \(3, 3\)"):
        F.kl_div_gaussian(mu, np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"mu must have shape \(N, D\), got \(2,\)"):
        F.kl_div_gaussian(mc.Tensor(np.zeros(2)), np.zeros(2))
    with pytest.raises(ValueError, match="both mu_prior and logvar_prior"):
        F.kl_div_gaussian(mu, np.zeros((3, 2)), mu_prior=np.zeros(2))
    with pytest.raises(ValueError, match=r"mu_prior of shape \(3,\) does not broadcast to mu's shape \(3, 2\)"):
        F.kl_div_gaussian(mu, np.zeros((3, 2)), np.zeros(3), np.zeros(2))


# ---------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------


@fast
@given(shapes, seeds, st.floats(0.0, 0.9))
def test_dropout_gradient(shape, seed, p):
    x = np.random.default_rng(seed).standard_normal(shape)
    check(lambda a: F.dropout(a, p, rng=seed), x)  # a fixed seed: the same mask on every call


def test_dropout_keeps_the_expectation_and_passes_gradient_only_through_kept_units():
    p = 0.3
    x = mc.Tensor(np.ones((200, 500)), requires_grad=True, dtype=np.float64)
    y = F.dropout(x, p, rng=0)
    kept = y.data != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / (1 - p))
    assert abs(y.data.mean() - 1.0) < 0.02
    y.backward(np.full(x.shape, 2.0))
    np.testing.assert_allclose(x.grad, np.where(kept, 2.0 / (1 - p), 0.0))


def test_dropout_evaluation_seeds_and_errors():
    x = mc.Tensor(np.arange(12.0).reshape(3, 4))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0, rng=0) is x
    np.testing.assert_array_equal(F.dropout(x, 0.5, rng=7).data, F.dropout(x, 0.5, rng=7).data)
    rng = np.random.default_rng(7)
    first, second = F.dropout(x, 0.5, rng=rng).data, F.dropout(x, 0.5, rng=rng).data
    assert not np.array_equal(first, second)  # a generator moves on between calls
    for bad in (1.0, -0.1, 1.5, True):
        with pytest.raises(ValueError, match=r"must lie in \[0, 1\)"):
            F.dropout(x, bad, rng=0)
