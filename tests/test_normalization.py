"""Batch norm and layer norm (Chapter 13): the fused closed-form backward pass
against autograd through the primitive-op reference (to 1e-10) and against
finite differences (relative error below 1e-6), in float64; running statistics,
train/eval modes, buffers, and the errors the layers give.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlcore as mc
from mlcore import nn
from mlcore.nn.normalization import (
    batch_norm,
    batch_norm_reference,
    layer_norm,
    layer_norm_reference,
)

TOL = 1e-6
fast = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)
# (N, C), (N, C, L) or (N, C, H, W), small enough for finite differences.  Each
# statistic pools m >= 3 values: with m = 2, x_hat = +-1 whatever x is, the gradient
# with respect to x is O(eps) and a relative error against finite differences is noise.
bn_shapes = st.one_of(
    st.tuples(st.integers(3, 5), st.integers(1, 3)),
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(3, 4)),
    st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 3), st.integers(3, 4)),
)


def data_rng(seed):
    """Data generator on a stream apart from gradcheck's projection (``default_rng(0)``):
    with the same stream, x = 2r + 1 standardises to the projection r itself, a
    stationary point of <batch_norm(x), r> where the gradient vanishes."""
    return np.random.default_rng((seed, 1))


def check(fn, *arrays):
    result = mc.gradcheck(fn, arrays)
    assert result.max_error < TOL, f"relative errors {result.errors}"


def fused_and_reference_gradients(fused, reference, arrays, upstream):
    """Gradients of <fused(*arrays), upstream> and <reference(*arrays), upstream> for every input."""
    out = []
    for fn in (fused, reference):
        tensors = [mc.Tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
        y = fn(*tensors)
        y.backward(upstream)
        out.append((y.data, [t.grad for t in tensors]))
    return out


@fast
@given(bn_shapes, seeds)
def test_batch_norm_fused_matches_reference_and_finite_differences(shape, seed):
    rng = data_rng(seed)
    x = rng.standard_normal(shape) * 2 + 1
    gamma, beta = rng.uniform(0.5, 2, shape[1]), rng.standard_normal(shape[1])
    (y_f, g_f), (y_r, g_r) = fused_and_reference_gradients(
        batch_norm, batch_norm_reference, (x, gamma, beta), rng.standard_normal(shape))
    np.testing.assert_allclose(y_f, y_r, rtol=0, atol=1e-10)
    for a, b in zip(g_f, g_r):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    check(batch_norm, x, gamma, beta)
    check(batch_norm_reference, x, gamma, beta)


@fast
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.integers(1, 2), seeds)
def test_layer_norm_fused_matches_reference_and_finite_differences(dims, k, seed):
    rng = data_rng(seed)
    shape = tuple(dims) + (int(rng.integers(3, 5)),)  # m >= 3, as for batch norm
    k = min(k, len(shape))
    norm_shape = shape[len(shape) - k:]
    x = rng.standard_normal(shape) * 2 + 1
    gamma, beta = rng.uniform(0.5, 2, norm_shape), rng.standard_normal(norm_shape)
    fused = lambda a, g, b: layer_norm(a, norm_shape, g, b)  # noqa: E731
    reference = lambda a, g, b: layer_norm_reference(a, k, g, b)  # noqa: E731
    (y_f, g_f), (y_r, g_r) = fused_and_reference_gradients(fused, reference, (x, gamma, beta),
                                                           rng.standard_normal(shape))
    np.testing.assert_allclose(y_f, y_r, rtol=0, atol=1e-10)
    for a, b in zip(g_f, g_r):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    check(fused, x, gamma, beta)
    check(reference, x, gamma, beta)


@fast
@given(bn_shapes, seeds)
def test_batch_norm_evaluation_mode_gradient(shape, seed):
    rng = data_rng(seed)
    c = shape[1]
    running_mean, running_var = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    x = rng.standard_normal(shape)

    def evaluate(a, g, b):
        return batch_norm(a, g, b, running_mean, running_var, training=False)

    check(evaluate, x, rng.uniform(0.5, 2, c), rng.standard_normal(c))


def test_batch_norm_standardises_each_channel():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3, 5, 4)) * np.array([1, 5, 0.1])[None, :, None, None] + 7
    y = nn.BatchNorm2d(3)(mc.Tensor(x, dtype=np.float64)).data
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-10)
    var = x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), var / (var + 1e-5), rtol=1e-10)


def test_running_statistics_follow_pytorch_convention():
    rng = np.random.default_rng(1)
    layer = nn.BatchNorm1d(3, momentum=0.1)
    x = rng.standard_normal((6, 3, 4)) * 3 + 2
    layer(mc.Tensor(x))
    mean, unbiased = x.mean(axis=(0, 2)), x.var(axis=(0, 2), ddof=1)
    np.testing.assert_allclose(layer.running_mean, 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * unbiased, rtol=1e-5)
    assert layer.running_mean.dtype == np.float32
    with mc.no_grad():  # the update happens whether or not a graph is recorded
        layer(mc.Tensor(x))
    np.testing.assert_allclose(layer.running_mean, 0.19 * mean, rtol=1e-5)


def test_evaluation_uses_running_statistics():
    rng = np.random.default_rng(2)
    layer = nn.BatchNorm1d(2, momentum=0.5)
    for _ in range(40):
        layer(mc.Tensor(rng.standard_normal((64, 2)) * [2.0, 0.5] + [3.0, -1.0]))
    np.testing.assert_allclose(layer.running_mean, [3.0, -1.0], atol=0.3)
    np.testing.assert_allclose(layer.running_var, [4.0, 0.25], rtol=0.3)
    layer.eval()
    before = (layer.running_mean.copy(), layer.running_var.copy())
    x = np.array([[3.0, -1.0], [5.0, 0.0]])
    y = layer(mc.Tensor(x)).data  # one sample at a time is fine in evaluation
    expected = (x - layer.running_mean) / np.sqrt(layer.running_var + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-5)
    np.testing.assert_array_equal(layer.running_mean, before[0])  # no update in evaluation
    np.testing.assert_array_equal(layer.running_var, before[1])
    assert layer(mc.Tensor(x[:1])).shape == (1, 2)


def test_train_and_eval_reach_nested_batch_norm():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.ReLU())
    model.eval()
    assert not model[1].training
    model.train()
    assert model[1].training


def test_buffers_are_not_parameters():
    layer = nn.BatchNorm2d(5)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert nn.BatchNorm1d(3, affine=False).parameters() == []
    assert layer._buffer_names == ("running_mean", "running_var")


def test_state_dict_saves_and_restores_running_statistics():
    rng = np.random.default_rng(3)
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4))
    for _ in range(3):
        model(mc.Tensor(rng.standard_normal((8, 3))))
    state = model.state_dict()
    assert {"1.running_mean", "1.running_var", "1.weight", "1.bias"} <= set(state)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    fresh = nn.Sequential(nn.Linear(3, 4, rng=1), nn.BatchNorm1d(4))
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh[1].running_mean, model[1].running_mean)
    np.testing.assert_array_equal(fresh[1].running_var, model[1].running_var)
    x = mc.Tensor(rng.standard_normal((5, 3)))
    np.testing.assert_array_equal(fresh.eval()(x).data, model.eval()(x).data)
    state["1.running_var"] = np.ones(3)
    with pytest.raises(ValueError, match="running_var"):
        fresh.load_state_dict(state)


def test_float32_in_float32_out():
    x = mc.Tensor(np.random.default_rng(4).standard_normal((4, 3, 2)), requires_grad=True)
    for layer in (nn.BatchNorm1d(3), nn.LayerNorm(2), nn.LayerNorm((3, 2))):
        y = layer(x)
        y.sum().backward()
        assert y.dtype == np.float32 and x.grad.dtype == np.float32
        assert all(p.grad.dtype == np.float32 for p in layer.parameters())
    layer = nn.BatchNorm1d(3).eval()
    assert layer(x).dtype == np.float32


def test_layer_norm_standardises_each_sample_and_accepts_shapes():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4)) * 3 + 1
    y = nn.LayerNorm(4)(mc.Tensor(x, dtype=np.float64)).data
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-10)
    y = nn.LayerNorm((3, 4))(mc.Tensor(x, dtype=np.float64)).data
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-10)
    assert nn.LayerNorm(4)(mc.Tensor(np.ones((7, 4)))).shape == (7, 4)
    assert nn.LayerNorm(4, elementwise_affine=False).parameters() == []
    assert [p.shape for p in nn.LayerNorm((3, 4)).parameters()] == [(3, 4), (3, 4)]


def test_shape_errors_name_the_layer_and_both_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): expected input of shape \(N, 4\) or \(N, 4, L\), got \(8, 3\)"):
        nn.BatchNorm1d(4)(mc.Tensor(np.ones((8, 3))))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\).*got \(2, 4, 3, 3\)"):
        nn.BatchNorm1d(4)(mc.Tensor(np.ones((2, 4, 3, 3))))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): expected input of shape \(N, 3, H, W\), got \(8, 3\)"):
        nn.BatchNorm2d(3)(mc.Tensor(np.ones((8, 3))))
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\)\): expected input of shape \(\.\.\., 4\), got \(2, 5\)"):
        nn.LayerNorm(4)(mc.Tensor(np.ones((2, 5))))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): training needs more than one value per channel"):
        nn.BatchNorm1d(4)(mc.Tensor(np.ones((1, 4))))


def test_argument_errors():
    with pytest.raises(ValueError, match="num_features must be a positive integer"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match=r"momentum must lie in \[0, 1\]"):
        nn.BatchNorm2d(3, momentum=1.5)
    with pytest.raises(ValueError, match="eps must be positive"):
        nn.LayerNorm(3, eps=0)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        batch_norm(mc.Tensor(np.ones((4, 3))), np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match="evaluation mode needs running_mean"):
        batch_norm(mc.Tensor(np.ones((4, 3))), training=False)
