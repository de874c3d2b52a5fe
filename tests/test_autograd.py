"""The Tensor and its reverse-mode autograd: graph walking, accumulation, modes, errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import mlcore as mc
from mlcore import functional as F
from mlcore import ops
from mlcore.tensor import unbroadcast


def test_float_data_defaults_to_float32_and_float64_on_request():
    assert mc.Tensor([1.0, 2.0]).dtype == np.float32
    assert mc.Tensor(np.ones(3)).dtype == np.float32
    assert mc.Tensor(np.ones(3), dtype=np.float64).dtype == np.float64
    assert mc.Tensor([1, 2]).dtype.kind == "i"  # labels keep their integer type


def test_set_default_dtype_changes_new_tensors_only():
    old = mc.get_default_dtype()
    try:
        mc.set_default_dtype(np.float64)
        assert mc.Tensor([1.0]).dtype == np.float64
    finally:
        mc.set_default_dtype(old)
    assert mc.Tensor([1.0]).dtype == np.float32
    with pytest.raises(TypeError, match="float32 or float64"):
        mc.set_default_dtype(np.int32)


def test_operations_keep_float32():
    x = mc.Tensor(np.ones((2, 3)), requires_grad=True)
    y = (x * 2.0 + 1).sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_simple_gradient():
    x = mc.Tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=np.float64)
    (x * x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * np.array([1.0, 4.0, 9.0]))


def test_diamond_graph_sums_both_paths():
    # y = a*b + a*c with shared a: dy/da = b + c.
    a = mc.Tensor(2.0, requires_grad=True, dtype=np.float64)
    b = mc.Tensor(3.0, requires_grad=True, dtype=np.float64)
    c = mc.Tensor(5.0, requires_grad=True, dtype=np.float64)
    shared = a * 1.0  # an intermediate node used twice
    y = shared * b + shared * c
    y.backward()
    assert a.grad == pytest.approx(8.0)
    assert b.grad == pytest.approx(2.0)
    assert c.grad == pytest.approx(2.0)


def test_same_tensor_used_twice_in_one_op():
    x = mc.Tensor([3.0], requires_grad=True, dtype=np.float64)
    (x * x).sum().backward()
    assert x.grad[0] == pytest.approx(6.0)


def test_deep_chain_does_not_hit_recursion_limit():
    depth = 10_000
    assert depth > sys.getrecursionlimit()
    x = mc.Tensor(1.0, requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(depth):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**depth)


def test_gradients_accumulate_until_zero_grad():
    x = mc.Tensor([1.0, -2.0], requires_grad=True, dtype=np.float64)
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_backward_twice_on_same_graph_accumulates():
    x = mc.Tensor([2.0], requires_grad=True, dtype=np.float64)
    y = (x * x).sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad, [8.0])


def test_module_zero_grad_resets_parameters():
    layer = mc.nn.Linear(3, 2, rng=0)
    layer(mc.Tensor(np.ones((4, 3)))).sum().backward()
    assert all(p.grad is not None for p in layer.parameters())
    layer.zero_grad()
    assert all(p.grad is None for p in layer.parameters())


def test_non_leaf_tensors_keep_no_grad_unless_retained():
    x = mc.Tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    h = x * 2.0
    k = (x * 3.0).retain_grad()
    (h + k).sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(k.grad, [1.0, 1.0])
    assert x.is_leaf and not h.is_leaf


def test_no_grad_builds_no_graph():
    x = mc.Tensor([1.0], requires_grad=True)
    with mc.no_grad():
        y = x * 2.0
        assert not mc.is_grad_enabled()
        with mc.enable_grad():
            z = x * 2.0
    assert mc.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_detach_cuts_the_graph():
    x = mc.Tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    y = (x * 2.0).detach()
    assert not y.requires_grad and y.is_leaf
    z = (x * y).sum()
    z.backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])  # y treated as a constant


def test_backward_on_non_scalar_needs_gradient():
    x = mc.Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"scalar.*shape \(2, 3\)"):
        y.backward()
    y.backward(np.ones((2, 3)))
    np.testing.assert_allclose(x.grad, 2 * np.ones((2, 3)))
    with pytest.raises(ValueError, match="does not match"):
        y.backward(np.ones(3))


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        mc.Tensor([1, 2, 3], requires_grad=True)


def test_object_data_rejected():
    with pytest.raises(TypeError, match="numeric"):
        mc.Tensor(np.array([[1.0], [1.0, 2.0]], dtype=object))


def test_unbroadcast_sums_stretched_axes():
    g = np.ones((4, 2, 3))
    assert unbroadcast(g, (3,)).tolist() == [8.0, 8.0, 8.0]
    assert unbroadcast(g, (2, 1)).tolist() == [[12.0], [12.0]]
    assert unbroadcast(g, (4, 2, 3)) is g


def test_matmul_shape_error_names_both_shapes():
    a, b = mc.Tensor(np.ones((3, 4))), mc.Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned"):
        a @ b


def test_broadcast_error_names_operation_and_shapes():
    a, b = mc.Tensor(np.ones((3, 4))), mc.Tensor(np.ones((3,)))
    for op, name in [(lambda: a + b, "add"), (lambda: a * b, "mul"), (lambda: a - b, "sub"), (lambda: a / b, "div")]:
        with pytest.raises(ValueError, match=rf"{name}: cannot broadcast shapes \(3, 4\) and \(3,\)"):
            op()


def test_reshape_and_transpose_errors():
    x = mc.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\) into \(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="not a permutation"):
        x.transpose(0, 0)
    with pytest.raises(ValueError, match="out of range"):
        x.sum(axis=2)


def test_cross_entropy_rejects_bad_labels():
    logits = mc.Tensor(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="integers"):
        F.cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        F.cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match="0..3"):
        F.cross_entropy(logits, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        F.cross_entropy(mc.Tensor(np.zeros(4)), np.array([0]))


def test_mse_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"mse_loss.*\(3, 1\).*\(3,\)"):
        F.mse_loss(mc.Tensor(np.zeros((3, 1))), np.zeros(3))


def test_softmax_and_log_softmax_are_stable_for_huge_logits():
    z = mc.Tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]], dtype=np.float32, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = F.softmax(z, axis=1)
        logp = F.log_softmax(z, axis=1)
        loss = F.cross_entropy(z, np.array([1, 2]))
        loss.backward()
    assert np.all(np.isfinite(p.data)) and np.all(np.isfinite(logp.data))
    np.testing.assert_allclose(p.data.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(logp.data[0], [0.0, -1e4, -2e4])
    np.testing.assert_allclose(logp.data[1], np.log(1 / 3) * np.ones(3), rtol=1e-6)
    assert np.isfinite(loss.item()) and np.all(np.isfinite(z.grad))
    assert loss.item() == pytest.approx((1e4 + np.log(3)) / 2, rel=1e-6)


def test_sigmoid_is_stable_for_large_inputs():
    x = mc.Tensor([-1e4, -50.0, 0.0, 50.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = F.sigmoid(x).data
    np.testing.assert_allclose(s, [0.0, np.exp(-50.0), 0.5, 1.0, 1.0], atol=1e-30)


def test_training_an_mlp_reduces_the_loss():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((128, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)  # XOR-like quadrants
    model = mc.nn.Sequential(mc.nn.Linear(2, 32, rng=1), mc.nn.Tanh(), mc.nn.Linear(32, 2, rng=2))
    opt = mc.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    first = None
    for _ in range(300):
        opt.zero_grad()
        loss = F.cross_entropy(model(mc.Tensor(X)), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    accuracy = (model(mc.Tensor(X)).argmax(axis=1) == y).mean()
    assert loss.item() < 0.1 * first
    assert accuracy > 0.95


def test_relu_propagates_nan_instead_of_hiding_it():
    out = F.relu(mc.Tensor([np.nan, -1.0, 2.0])).data
    assert np.isnan(out[0]) and out[1] == 0 and out[2] == 2


# -- indexing: fast path for basic indices, np.add.at for advanced ones -------------------------

@pytest.mark.parametrize("index", [
    0, -1, slice(1, None, 2), (Ellipsis, 1), (None, slice(None), 0), (1, slice(None, None, -1)),
    np.int64(2), (slice(None), None, slice(0, 2)),
])
def test_basic_index_backward_is_the_fast_path_and_agrees_with_reference(index):
    x = mc.Tensor(np.arange(24.0).reshape(4, 3, 2), requires_grad=True, dtype=np.float64)
    out = x[index]
    assert out._node.ctx.basic
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(g)
    np.testing.assert_array_equal(x.grad, ops.getitem_reference_backward(x.shape, index, g))


@pytest.mark.parametrize("index", [
    np.array([0, 2, 0, 0]),                       # repeated rows must accumulate
    (np.array([1, 1]), np.array([2, 2])),         # the same entry twice
    np.arange(24).reshape(4, 3, 2) % 3 == 0,      # a mask
    (slice(None), [0, 0, 1]),                     # basic and advanced mixed
    [True, False, True, True],                    # a boolean list is advanced, not basic
])
def test_advanced_index_backward_accumulates_repeated_indices(index):
    x = mc.Tensor(np.arange(24.0).reshape(4, 3, 2), requires_grad=True, dtype=np.float64)
    out = x[index]
    assert not out._node.ctx.basic
    out.backward(np.ones(out.shape))
    np.testing.assert_array_equal(x.grad, ops.getitem_reference_backward(x.shape, index, np.ones(out.shape)))
    assert x.grad.sum() == out.size   # every selected copy contributed its 1


def test_repeated_index_counts_twice():
    x = mc.Tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=np.float64)
    x[np.array([2, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [1, 0, 2])


# -- the new element-wise operations: subgradients chosen as in PyTorch -----------------------

def test_ties_and_kinks_follow_pytorch():
    a = mc.Tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=np.float64)
    b = mc.Tensor([1.0, 5.0, 0.0], requires_grad=True, dtype=np.float64)
    mc.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0, 1])      # a tie splits the gradient
    np.testing.assert_array_equal(b.grad, [0.5, 1, 0])
    a.grad = b.grad = None
    mc.minimum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 1, 0])
    x = mc.Tensor([-1.0, 0.0, 1.0, 2.0, 3.0], requires_grad=True, dtype=np.float64)
    mc.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [-1, 0, 1, 1, 1])  # sign, 0 at 0
    x.grad = None
    out = mc.clip(x, 0.0, 2.0)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [0, 0, 1, 2, 2])
    np.testing.assert_array_equal(x.grad, [0, 1, 1, 1, 0])  # boundaries pass the gradient


def test_logsumexp_is_stable_and_matches_numpy():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1001.0], [-np.inf, 0.0]])
    out = mc.logsumexp(mc.Tensor(x, dtype=np.float64), 1)
    expected = [1000 + np.log(2), -1000 + np.log1p(np.exp(-1.0)), 0.0]
    np.testing.assert_allclose(out.data, expected, rtol=1e-15)
    assert mc.logsumexp(mc.Tensor([[-np.inf, -np.inf]]), 1).data[0] == -np.inf


def test_new_ops_reject_bad_arguments():
    x = mc.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="at least one of min and max"):
        mc.clip(x)
    with pytest.raises(ValueError, match=r"min of shape \(4,\) does not broadcast"):
        mc.clip(x, np.zeros(4))
    with pytest.raises(TypeError, match="condition must be boolean"):
        mc.where(np.ones((2, 3)), x, 0.0)
    with pytest.raises(ValueError, match="where: cannot broadcast"):
        mc.where(np.ones(4, dtype=bool), x, 0.0)
    with pytest.raises(ValueError, match="maximum: cannot broadcast"):
        mc.maximum(x, np.ones(4))
    with pytest.raises(ValueError, match="sum to 4, but dim 1 has length 3"):
        mc.split(x, [1, 3], dim=1)
    with pytest.raises(ValueError, match="split_size must be a positive integer"):
        mc.split(x, 0)
    with pytest.raises(ValueError, match="dim 2 is out of range"):
        mc.split(x, 1, dim=2)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        mc.logsumexp(x, 2)
    with pytest.raises(ValueError, match="delta must be a number > 0"):
        mc.functional.huber_loss(x, np.ones((2, 3)), delta=0)
    with pytest.raises(ValueError, match="reduction must be"):
        mc.functional.huber_loss(x, np.ones((2, 3)), reduction="avg")


def test_split_pieces_and_integer_promotion():
    x = mc.Tensor(np.arange(10.0))
    assert [p.shape for p in mc.split(x, 4)] == [(4,), (4,), (2,)]
    assert [p.shape for p in x.split([0, 3, 7])] == [(0,), (3,), (7,)]
    assert mc.sqrt(np.array([4, 9])).dtype == mc.get_default_dtype()
    np.testing.assert_array_equal(mc.clip(np.array([1, 5]), 2, 4).data, [2, 4])
