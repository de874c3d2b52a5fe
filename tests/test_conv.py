"""Convolutions (Chapter 14): the naive, im2col and Numba implementations agree (forward
and backward, float64, 1e-10) and match finite differences (relative error < 1e-6) on
random shapes with stride, padding, dilation, groups and non-square kernels; the input
gradient is the "full" correlation of the output gradient with the flipped kernel; the
fast path stays in float32; layers initialise, check their inputs and train.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlcore as mc
from mlcore import conv, nn, optim
from mlcore import functional as F

TOL = 1e-6
fast = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)


@st.composite
def conv_settings(draw, d=2):
    """Shapes of x, w, b and the options of a d-dimensional convolution whose kernel fits."""
    groups = draw(st.sampled_from([1, 1, 2]))
    n, cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(d))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(d))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(d))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(d))
    size = tuple(max(1, q * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 3))
                 for k, p, q in zip(kernel, padding, dilation))
    shapes = ((n, cg * groups) + size, (og * groups, cg) + kernel, (og * groups,))
    return shapes, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def run(fn, arrays, upstream_seed=0, **options):
    """Output and gradients of <fn(*arrays, **options), r> for a random r, in float64."""
    tensors = [mc.Tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    y = fn(*tensors, **options)
    y.backward(np.random.default_rng(upstream_seed).standard_normal(y.shape))
    return [y.data] + [t.grad for t in tensors]


def check(fn, *arrays):
    result = mc.gradcheck(fn, arrays)
    assert result.max_error < TOL, f"relative errors {result.errors}"


@fast
@given(conv_settings(), seeds, st.booleans())
def test_conv2d_backends_agree_and_match_finite_differences(setting, seed, bias):
    shapes, options = setting
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in (shapes if bias else shapes[:2])]
    naive = run(conv.conv2d, arrays, backend="naive", **options)
    for backend in ("im2col", "numba"):
        for ours, ref in zip(run(conv.conv2d, arrays, backend=backend, **options), naive):
            np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10)
        check(lambda *t: conv.conv2d(*t, backend=backend, **options), *arrays)


@fast
@given(conv_settings(d=1), seeds)
def test_conv1d_backends_agree_and_match_finite_differences(setting, seed):
    shapes, options = setting
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    naive = run(conv.conv1d, arrays, backend="naive", **options)
    assert naive[0].shape[:2] == (shapes[0][0], shapes[1][0]) and naive[0].ndim == 3
    for ours, ref in zip(run(conv.conv1d, arrays, backend="numba", **options), naive):
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10)
    check(lambda *t: conv.conv1d(*t, **options), *arrays)


def test_naive_backend_matches_finite_differences():
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(3)]
    check(lambda *t: conv.conv2d(*t, stride=(2, 1), padding=1, dilation=(1, 2), backend="naive"), *arrays)


def test_conv2d_matches_a_direct_sum():
    """One output entry written out as the formula of Chapter 14."""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((1, 2, 6, 7)), rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(3)
    x_, w_, b_ = (mc.Tensor(a, dtype=np.float64) for a in (x, w, b))
    y = conv.conv2d(x_, w_, b_, stride=2, padding=(0, 1), dilation=(2, 1)).data
    xp = np.pad(x, ((0, 0), (0, 0), (0, 0), (1, 1)))
    o, a, c = 2, 1, 2
    expected = b[o] + sum(w[o, ch, i, j] * xp[0, ch, a * 2 + i * 2, c * 2 + j]
                          for ch in range(2) for i in range(2) for j in range(3))
    assert y.shape == (1, 3, 2, 4)
    assert abs(y[0, o, a, c] - expected) < 1e-12


@fast
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2), seeds)
def test_input_gradient_is_full_correlation_with_flipped_kernel(c, o, k, p, seed):
    """Stride 1: dL/dX = conv2d(dL/dY padded by k-1-p, W flipped in space, in/out channels swapped)."""
    p = min(p, k - 1)
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((2, c, 5, 6)), rng.standard_normal((o, c, k, k))
    _, dx, _ = run(conv.conv2d, [x, w], padding=p)
    dy = np.random.default_rng(0).standard_normal((2, o, 5 + 2 * p - k + 1, 6 + 2 * p - k + 1))
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (O, C, k, k) -> (C, O, k, k)
    full = conv.conv2d(mc.Tensor(dy, dtype=np.float64), mc.Tensor(flipped, dtype=np.float64), padding=k - 1 - p).data
    np.testing.assert_allclose(dx, full, rtol=0, atol=1e-10)


def test_fast_path_stays_in_float32_and_agrees_with_float64():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 3, 9, 9)), rng.standard_normal((5, 3, 3, 3)), rng.standard_normal(5)
    tensors = [mc.Tensor(a, requires_grad=True) for a in (x, w, b)]
    y = conv.conv2d(*tensors, stride=2, padding=1)
    y.backward(np.ones(y.shape, np.float32))
    assert y.dtype == np.float32 and all(t.grad.dtype == np.float32 for t in tensors)
    reference = run(conv.conv2d, [x, w, b], stride=2, padding=1)
    y64 = conv.conv2d(*[mc.Tensor(a, dtype=np.float64) for a in (x, w, b)], stride=2, padding=1)
    np.testing.assert_allclose(y.data, y64.data, rtol=1e-5, atol=1e-5)
    assert reference[0].shape == y.shape


def test_backend_setting():
    assert conv.get_backend() == "numba"
    with conv.use_backend("naive"):
        assert conv.get_backend() == "naive"
    assert conv.get_backend() == "numba"
    with pytest.raises(ValueError, match="unknown convolution backend 'fft'"):
        conv.set_backend("fft")
    with pytest.raises(ValueError, match="unknown convolution backend"):
        conv.conv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)), backend="gpu")


# ---------------------------------------------------------------------------
# Errors a reader understands
# ---------------------------------------------------------------------------


def test_functional_errors():
    x, w = np.zeros((2, 3, 8, 8)), np.zeros((4, 3, 3, 3))
    with pytest.raises(ValueError, match=r"conv2d: expected input of shape \(N, 3, H, W\), got \(3, 8, 8\)"):
        conv.conv2d(x[0], w)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, H, W\), got \(2, 2, 8, 8\)"):
        conv.conv2d(x[:, :2], w)
    with pytest.raises(ValueError, match="stride must be a positive integer"):
        conv.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match="stride must be a positive integer or a tuple of 2"):
        conv.conv2d(x, w, stride=(1, -1))
    with pytest.raises(ValueError, match="padding must be a non-negative integer"):
        conv.conv2d(x, w, padding=-1)
    with pytest.raises(ValueError, match=r"kernel of extent \(9, 9\) is larger than the padded input \(8, 8\)"):
        conv.conv2d(x, np.zeros((4, 3, 9, 9)))
    with pytest.raises(ValueError, match=r"extent \(5, 5\).*padded input \(4, 4\)"):
        conv.conv2d(np.zeros((1, 3, 4, 4)), w, dilation=2)
    with pytest.raises(ValueError, match="groups must be a positive integer dividing out_channels=4"):
        conv.conv2d(x, w, groups=3)
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        conv.conv2d(x, w, np.zeros(3))
    with pytest.raises(ValueError, match=r"conv1d: weight must have shape"):
        conv.conv1d(np.zeros((2, 3, 8)), w)


def test_layer_errors_name_the_layer_and_both_shapes():
    layer = nn.Conv2d(3, 6, 5, rng=0)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 6, kernel_size=\(5, 5\).*\): expected input of shape "
                                         r"\(N, 3, H, W\), got \(2, 1, 32, 32\)"):
        layer(np.zeros((2, 1, 32, 32), np.float32))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 6.*kernel of extent \(5, 5\) is larger than the padded "
                                         r"input \(4, 4\)"):
        layer(np.zeros((2, 3, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"Conv1d\(2, 4, .*expected input of shape \(N, 2, L\), got \(3, 2\)"):
        nn.Conv1d(2, 4, 3)(np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match="Conv2d: stride must be a positive integer"):
        nn.Conv2d(3, 6, 3, stride=0)
    with pytest.raises(ValueError, match="Conv2d: groups=2 must divide in_channels=3"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="Conv1d: out_channels must be a positive integer"):
        nn.Conv1d(3, 0, 3)


# ---------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------


def test_conv2d_layer_shapes_parameters_and_init():
    layer = nn.Conv2d(16, 32, (3, 5), stride=2, padding=(1, 2), rng=0)
    assert layer.weight.shape == (32, 16, 3, 5) and layer.bias.shape == (32,)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer(np.zeros((2, 16, 9, 10), np.float32)).shape == (2, 32, 5, 5)
    fan_in = 16 * 3 * 5
    assert abs(layer.weight.data.var() * fan_in / 2 - 1) < 0.1  # He: variance 2 / fan_in
    assert np.abs(layer.weight.data).max() <= np.sqrt(6 / fan_in)
    np.testing.assert_array_equal(layer.bias.data, 0)
    np.testing.assert_array_equal(nn.Conv2d(16, 32, (3, 5), rng=0).weight.data, layer.weight.data)
    assert nn.Conv2d(4, 8, 3, groups=2, bias=False).parameters()[0].shape == (8, 2, 3, 3)
    assert nn.Conv2d(4, 8, 3, groups=2, bias=False).bias is None
    assert "padding=(1, 2)" in repr(layer)


def test_conv1d_layer():
    layer = nn.Conv1d(2, 4, 3, padding=1, dilation=2, rng=1)
    assert layer.weight.shape == (4, 2, 3)
    y = layer(np.ones((5, 2, 10), np.float32))
    assert y.shape == (5, 4, 8) and y.dtype == np.float32
    y.sum().backward()
    assert layer.weight.grad.shape == (4, 2, 3)


def test_small_convnet_learns():
    """A few steps of SGD on a tiny batch drive the loss down: the gradients point the right way."""
    rng = np.random.default_rng(0)
    x = rng.random((16, 1, 8, 8), dtype=np.float32)
    y = (x[:, 0, :4].mean(axis=(1, 2)) > x[:, 0, 4:].mean(axis=(1, 2))).astype(np.int64)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 4, 3, rng=1), nn.ReLU(), nn.GlobalAvgPool(), nn.Linear(4, 2, rng=2))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_every_backend_is_dispatched_through_the_one_table(monkeypatch):
    """Each backend offers the six operations, and a function runs whichever the table holds."""
    operations = ["conv2d_forward", "conv2d_backward", "max_pool2d_forward", "max_pool2d_backward",
                  "avg_pool2d_forward", "avg_pool2d_backward"]
    assert set(conv.BACKENDS) == set(conv._BACKENDS) == {"naive", "im2col", "numba"}
    for backend in conv._BACKENDS.values():
        assert all(callable(getattr(backend, op)) for op in operations)

    calls = []

    class Spy(conv.NaiveBackend):
        def conv2d_forward(self, ctx, *args):
            calls.append("forward")
            return super().conv2d_forward(ctx, *args)

        def conv2d_backward(self, ctx, grad):
            calls.append("backward")
            return super().conv2d_backward(ctx, grad)

    monkeypatch.setitem(conv._BACKENDS, "naive", Spy())
    x = mc.Tensor(np.ones((1, 1, 3, 3)), dtype=np.float64, requires_grad=True)
    conv.conv2d(x, np.ones((1, 1, 2, 2)), backend="naive").sum().backward()
    assert calls == ["forward", "backward"]
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
