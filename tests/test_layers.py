"""Layers in mlcore.nn.layers: the shapes they accept, the errors they give, and their gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import mlcore as mc
from mlcore import functional as F
from mlcore import nn

TOL = 1e-6
fast = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)


def check(fn, *arrays):
    result = mc.gradcheck(fn, arrays)
    assert result.max_error < TOL, f"relative errors {result.errors}"


def test_activation_modules_match_functional():
    x = mc.Tensor(np.linspace(-3, 3, 12).reshape(3, 4), dtype=np.float64)
    pairs = [
        (nn.ReLU(), F.relu(x)), (nn.LeakyReLU(0.2), F.leaky_relu(x, 0.2)), (nn.ELU(0.5), F.elu(x, 0.5)),
        (nn.GELU(), F.gelu(x)), (nn.Sigmoid(), F.sigmoid(x)), (nn.Tanh(), F.tanh(x)),
        (nn.Softmax(axis=0), F.softmax(x, axis=0)), (nn.LogSoftmax(), F.log_softmax(x)),
        (nn.Identity(), x),
    ]
    for module, expected in pairs:
        np.testing.assert_array_equal(module(x).data, expected.data)
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    with pytest.raises(ValueError, match="LeakyReLU: negative_slope must be a number >= 0"):
        nn.LeakyReLU(-1)
    with pytest.raises(ValueError, match="ELU: alpha must be a number > 0"):
        nn.ELU(0.0)


def test_loss_modules_match_functional():
    rng = np.random.default_rng(0)
    p, t = mc.Tensor(rng.standard_normal((4, 3)), dtype=np.float64), rng.uniform(0, 1, (4, 3))
    y = np.array([0, 2, 1, 1])
    mu, lv = mc.Tensor(rng.standard_normal((4, 3)), dtype=np.float64), rng.standard_normal((4, 3))
    for reduction in ("mean", "sum", "none"):
        pairs = [
            (nn.MSELoss(reduction)(p, t), F.mse_loss(p, t, reduction)),
            (nn.L1Loss(reduction)(p, t), F.l1_loss(p, t, reduction)),
            (nn.CrossEntropyLoss(reduction)(p, y), F.cross_entropy(p, y, reduction)),
            (nn.NLLLoss(reduction)(p, y), F.nll_loss(p, y, reduction)),
            (nn.BCEWithLogitsLoss(reduction)(p, t), F.binary_cross_entropy_with_logits(p, t, reduction)),
            (nn.KLDivGaussian(reduction)(mu, lv), F.kl_div_gaussian(mu, lv, reduction=reduction)),
            (nn.KLDivGaussian(reduction)(mu, lv, t, t), F.kl_div_gaussian(mu, lv, t, t, reduction=reduction)),
        ]
        for module_value, functional_value in pairs:
            np.testing.assert_array_equal(module_value.data, functional_value.data)
    assert repr(nn.MSELoss("sum")) == "MSELoss(reduction='sum')"
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be 'mean', 'sum' or 'none'"):
        nn.CrossEntropyLoss("average")


@fast
@given(st.integers(1, 6), st.integers(1, 4), st.integers(0, 2), seeds)
def test_embedding_gradient_accumulates_repeated_indices(vocab, dim, extra_dims, seed):
    rng = np.random.default_rng(seed)
    layer = nn.Embedding(vocab, dim, rng=rng)
    idx = rng.integers(0, vocab, size=(5,) + (2,) * extra_dims)  # repeats are likely

    def lookup(weight):
        layer.weight = weight
        return layer(idx)

    check(lookup, rng.standard_normal((vocab, dim)))
    layer.weight = nn.Parameter(rng.standard_normal((vocab, dim)), dtype=np.float64)
    out = layer(idx)
    assert out.shape == idx.shape + (dim,)
    np.testing.assert_array_equal(out.data, layer.weight.data[idx])
    out.sum().backward()
    counts = np.bincount(idx.ravel(), minlength=vocab)
    np.testing.assert_allclose(layer.weight.grad, np.repeat(counts[:, None], dim, axis=1))


def test_embedding_errors_and_seed():
    layer = nn.Embedding(10, 3, rng=0)
    np.testing.assert_array_equal(layer.weight.data, nn.Embedding(10, 3, rng=0).weight.data)
    assert layer(mc.Tensor(np.array([1, 2]))).shape == (2, 3)
    with pytest.raises(TypeError, match=r"Embedding\(10, 3\): indices must be integers, got dtype float64"):
        layer(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"Embedding\(10, 3\): indices must lie in 0..9, got values from 0 to 10"):
        layer(np.array([0, 10]))
    with pytest.raises(ValueError, match="Embedding: sizes must be positive"):
        nn.Embedding(0, 3)


@fast
@given(array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=3), seeds)
def test_flatten_shapes_and_gradient(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    y = nn.Flatten()(mc.Tensor(x))
    assert y.shape == (shape[0], int(np.prod(shape[1:])))
    assert nn.Flatten(0, -1)(mc.Tensor(x)).shape == (x.size,)
    check(lambda a: nn.Flatten()(a), x)


def test_flatten_ranges_and_errors():
    x = mc.Tensor(np.zeros((2, 3, 4, 5)))
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert nn.Flatten(-2)(x).shape == (2, 3, 20)
    with pytest.raises(ValueError, match=r"Flatten\(start_dim=2, end_dim=1\): cannot flatten an input of shape \(2, 3, 4, 5\)"):
        nn.Flatten(2, 1)(x)
    with pytest.raises(ValueError, match=r"Flatten\(start_dim=1, end_dim=4\).*shape \(3,\)"):
        nn.Flatten(1, 4)(mc.Tensor(np.zeros(3)))


def test_dropout_module_train_eval_and_reproducibility():
    x = mc.Tensor(np.ones((50, 40)))
    layer = nn.Dropout(0.25, rng=3)
    first = layer(x).data
    assert set(np.unique(first)) <= {0.0, np.float32(1 / 0.75)}
    assert not np.array_equal(first, layer(x).data)  # a fresh mask each call
    np.testing.assert_array_equal(first, nn.Dropout(0.25, rng=3)(x).data)  # same seed, same masks
    layer.eval()
    assert layer(x) is x
    model = nn.Sequential(nn.Linear(40, 5, rng=0), nn.Dropout(0.5, rng=0))
    model.eval()
    np.testing.assert_array_equal(model(x).data, model[0](x).data)
    assert repr(nn.Dropout(0.1)) == "Dropout(p=0.1)"
    with pytest.raises(ValueError, match=r"Dropout: p is the probability of dropping a unit and must lie in \[0, 1\), got 1"):
        nn.Dropout(1)


def test_linear_shape_error_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Linear\(3, 2\): expected input with last dimension 3, got shape \(4, 5\)"):
        nn.Linear(3, 2, rng=0)(mc.Tensor(np.ones((4, 5))))


def test_a_small_network_with_every_layer_trains():
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 8, size=(64, 3))
    y = (tokens.sum(axis=1) % 2).astype(np.int64)
    model = nn.Sequential(
        nn.Embedding(8, 4, rng=1), nn.Flatten(), nn.Linear(12, 16, rng=2), nn.BatchNorm1d(16),
        nn.GELU(), nn.Dropout(0.1, rng=3), nn.Linear(16, 16, rng=4), nn.LayerNorm(16), nn.ELU(),
        nn.Linear(16, 2, rng=5),
    )
    loss_fn = nn.CrossEntropyLoss()
    opt = mc.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = loss_fn(model(tokens), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert model.eval()(tokens).shape == (64, 2)
