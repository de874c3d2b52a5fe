"""Every differentiable operation against central finite differences in float64.

Shapes are drawn by hypothesis, broadcasting included; values come from a
seeded generator. The relative error must stay below 1e-6.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import mlcore as mc
from mlcore import functional as F
from mlcore import ops

TOL = 1e-6
fast = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2**32 - 1)


def check(fn, *arrays):
    result = mc.gradcheck(fn, arrays)
    assert result.max_error < TOL, f"relative errors {result.errors}"


def away_from_zero(rng, shape, low=0.2, high=2.0):
    """Values whose magnitude stays in [low, high]: no kinks, no division by ~0."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


@fast
@given(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4), seeds)
@pytest.mark.parametrize("op", [ops.add, ops.sub, ops.mul, ops.div], ids=["add", "sub", "mul", "div"])
def test_binary_broadcasting(op, bshapes, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(bshapes.input_shapes[0])
    b = away_from_zero(rng, bshapes.input_shapes[1])
    check(op, a, b)


@fast
@given(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4), seeds)
def test_pow_with_tensor_exponent(bshapes, seed):
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.5, 2.0, bshapes.input_shapes[0])
    exponent = rng.uniform(-2.0, 3.0, bshapes.input_shapes[1])
    check(ops.pow, base, exponent)


@fast
@given(shapes, seeds, st.sampled_from([2.0, 3.0, 0.5, -1.0]))
def test_pow_with_scalar_exponent(shape, seed, exponent):
    rng = np.random.default_rng(seed)
    check(lambda a: a**exponent, rng.uniform(0.5, 2.0, shape))


@fast
@given(shapes, seeds)
def test_neg_exp_log(shape, seed):
    rng = np.random.default_rng(seed)
    check(ops.neg, rng.standard_normal(shape))
    check(ops.exp, rng.uniform(-2, 2, shape))
    check(ops.log, rng.uniform(0.2, 3.0, shape))


@fast
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 3), seeds)
def test_matmul(n, k, m, batch, seed):
    rng = np.random.default_rng(seed)
    lead = (batch,) if batch else ()
    check(ops.matmul, rng.standard_normal(lead + (n, k)), rng.standard_normal((k, m)))
    check(ops.matmul, rng.standard_normal((n, k)), rng.standard_normal(lead + (k, m)))
    check(ops.matmul, rng.standard_normal(k), rng.standard_normal((k, m)))
    check(ops.matmul, rng.standard_normal((n, k)), rng.standard_normal(k))
    check(ops.matmul, rng.standard_normal(k), rng.standard_normal(k))


def axes_for(shape):
    ndim = len(shape)
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                     st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple))


@fast
@given(st.data(), seeds, st.booleans())
@pytest.mark.parametrize("op", [ops.sum, ops.mean, ops.max], ids=["sum", "mean", "max"])
def test_reductions(op, data, seed, keepdims):
    shape = data.draw(shapes)
    axis = data.draw(axes_for(shape))
    rng = np.random.default_rng(seed)
    x = rng.permutation(np.linspace(-3, 3, int(np.prod(shape)))).reshape(shape)  # distinct: no ties
    check(lambda a: op(a, axis=axis, keepdims=keepdims), x)


def test_max_shares_gradient_between_ties():
    x = mc.Tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], requires_grad=True, dtype=np.float64)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1, 0, 0]])


@fast
@given(shapes, seeds)
def test_reshape_transpose(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    check(lambda a: a.reshape(-1), x)
    check(lambda a: a.reshape((1,) + shape), x)
    check(lambda a: a.T, x)
    perm = tuple(rng.permutation(len(shape)))
    check(lambda a: a.transpose(perm), x)


@fast
@given(shapes, seeds)
def test_indexing(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    check(lambda a: a[0], x)
    check(lambda a: a[..., ::2], x)
    idx = rng.integers(0, shape[0], size=5)  # repeated indices must accumulate
    check(lambda a: a[idx], x)
    mask = rng.random(shape) > 0.5
    check(lambda a: a[mask], x)


@fast
@given(shapes, st.integers(1, 3), seeds)
def test_concatenate_and_stack(shape, parts, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for _ in range(parts)]
    axis = int(rng.integers(0, len(shape)))
    check(lambda *ts: mc.concatenate(ts, axis=axis), *arrays)
    check(lambda *ts: mc.stack(ts, axis=axis), *arrays)


@fast
@given(shapes, seeds)
def test_activations(shape, seed):
    rng = np.random.default_rng(seed)
    x = away_from_zero(rng, shape, 0.05, 3.0)  # ReLU's kink at 0 avoided
    check(F.relu, x)
    check(F.sigmoid, x)
    check(F.tanh, x)


@fast
@given(shapes, seeds)
def test_softmax_and_log_softmax(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    for axis in range(-len(shape), len(shape)):
        check(lambda a: F.softmax(a, axis=axis), x)
        check(lambda a: F.log_softmax(a, axis=axis), x)


@fast
@given(st.integers(1, 6), st.integers(2, 5), seeds)
def test_losses(n, c, seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c)) * 2
    labels = rng.integers(0, c, size=n)
    check(lambda z: F.cross_entropy(z, labels), logits)
    check(F.mse_loss, rng.standard_normal((n, c)), rng.standard_normal((n, c)))


@fast
@given(mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=4), seeds)
def test_where_maximum_minimum(bshapes, seed):
    rng = np.random.default_rng(seed)
    cshape, ashape, bshape = bshapes.input_shapes
    cond = rng.random(cshape) > 0.5
    a = rng.standard_normal(ashape)
    b = rng.standard_normal(bshape)  # continuous draws: a tie of a and b has probability 0
    check(lambda x, y: mc.where(cond, x, y), a, b)
    check(mc.maximum, a, b)
    check(mc.minimum, a, b)


@fast
@given(shapes, seeds)
def test_abs_sqrt_clip(shape, seed):
    rng = np.random.default_rng(seed)
    x = away_from_zero(rng, shape)          # |x| in [0.2, 2]: no kink of abs
    check(mc.abs, x)
    check(mc.sqrt, np.abs(x))
    # Bounds at 0.5 and 1.5 in magnitude: every entry is at least 0.05 away from them.
    x = np.where(np.abs(np.abs(x) - 0.5) < 0.05, x + 0.1 * np.sign(x), x)
    x = np.where(np.abs(np.abs(x) - 1.5) < 0.05, x + 0.1 * np.sign(x), x)
    check(lambda a: mc.clip(a, -0.5, 1.5), x)
    check(lambda a: a.clamp(min=0.5), x)
    check(lambda a: a.clamp(max=-0.5), x)


@fast
@given(st.data(), seeds, st.booleans())
def test_logsumexp(data, seed, keepdim):
    shape = data.draw(shapes)
    dim = data.draw(axes_for(shape))
    rng = np.random.default_rng(seed)
    check(lambda a: mc.logsumexp(a, dim, keepdim), rng.standard_normal(shape) * 3)


@fast
@given(shapes, seeds, st.integers(1, 4))
def test_split(shape, seed, size):
    rng = np.random.default_rng(seed)
    dim = int(rng.integers(0, len(shape)))
    weights = [rng.standard_normal() for _ in range(shape[dim])]

    def pieces_combined(a):
        return sum((p * w).sum() for p, w in zip(mc.split(a, size, dim), weights))

    check(pieces_combined, rng.standard_normal(shape))
    sections = [shape[dim] - 1, 1] if shape[dim] > 1 else [1]
    check(lambda a: mc.split(a, sections, dim)[-1] * 2.0, rng.standard_normal(shape))


@fast
@given(shapes, seeds, st.sampled_from(["mean", "sum", "none"]), st.sampled_from([0.5, 1.0, 2.0]))
def test_huber_and_smooth_l1(shape, seed, reduction, delta):
    rng = np.random.default_rng(seed)
    target = rng.standard_normal(shape)
    # Errors at least 0.05 away from the switch points +-delta (and from 0 for smooth L1's scaling).
    err = away_from_zero(rng, shape, 0.05, 3.0)
    err = np.where(np.abs(np.abs(err) - delta) < 0.05, err + 0.1 * np.sign(err), err)
    check(lambda p, t: F.huber_loss(p, t, reduction=reduction, delta=delta), target + err, target)
    check(lambda p, t: F.smooth_l1_loss(p, t, reduction=reduction, beta=delta), target + err, target)


def test_linear_layer_and_mlp_in_float64():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 3))
    W1, b1 = rng.standard_normal((3, 4)), rng.standard_normal(4)
    W2, b2 = rng.standard_normal((4, 2)), rng.standard_normal(2)
    labels = np.array([0, 1, 1, 0, 1])

    def mlp(x, w1, c1, w2, c2):
        return F.cross_entropy(F.tanh(x @ w1 + c1) @ w2 + c2, labels)

    check(mlp, X, W1, b1, W2, b2)


def test_gradcheck_catches_a_wrong_backward():
    class WrongSquare(mc.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_arrays
            return grad * x  # should be 2x

    result = mc.gradcheck(WrongSquare.apply, [np.array([1.0, 2.0, 3.0])])
    assert not result.passed and result.max_error > 0.1
    with pytest.raises(AssertionError, match="gradcheck failed"):
        mc.gradcheck(WrongSquare.apply, [np.array([1.0])], raise_on_failure=True)


def test_gradcheck_needs_float64_output():
    with pytest.raises(TypeError, match="float64"):
        mc.gradcheck(lambda a: a.astype(np.float32), [np.ones(2)])
