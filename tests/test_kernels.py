"""The kernels of Chapter 14 (mlcore.kernels): im2col against its definition, col2im as
its adjoint, NumPy and Numba versions against each other (float64, 1e-10), the pooling
kernels against the naive loops, and Numba's on-disk cache (written, then reused by a
fresh process without compiling).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlcore import conv_reference, kernels

fast = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)


@st.composite
def windows(draw):
    """A padded input shape and a window geometry that fits it (stride, dilation, non-square)."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    hp = dh * (kh - 1) + 1 + draw(st.integers(0, 4))
    wp = dw * (kw - 1) + 1 + draw(st.integers(0, 4))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), hp, wp)
    oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    return shape, kh, kw, (sh, sw), (dh, dw), oh, ow


@fast
@given(windows(), seeds)
def test_im2col_matches_definition_and_numba(geometry, seed):
    shape, kh, kw, (sh, sw), (dh, dw), oh, ow = geometry
    xp = np.random.default_rng(seed).standard_normal(shape)
    cols = kernels.im2col(xp, kh, kw, (sh, sw), (dh, dw), oh, ow)
    assert cols.shape == (shape[0], shape[1] * kh * kw, oh * ow)
    expected = np.empty((shape[0], shape[1], kh, kw, oh, ow))
    for i, j, a, b in np.ndindex(kh, kw, oh, ow):
        expected[:, :, i, j, a, b] = xp[:, :, a * sh + i * dh, b * sw + j * dw]
    np.testing.assert_array_equal(cols, expected.reshape(cols.shape))
    np.testing.assert_array_equal(kernels.im2col_numba(xp, kh, kw, (sh, sw), (dh, dw), oh, ow), cols)


@fast
@given(windows(), seeds)
def test_col2im_is_the_adjoint_of_im2col(geometry, seed):
    """<im2col(X), C> = <X, col2im(C)> for every X and C: col2im is the transpose of the linear map im2col."""
    shape, kh, kw, stride, dilation, oh, ow = geometry
    rng = np.random.default_rng(seed)
    xp = rng.standard_normal(shape)
    c = rng.standard_normal((shape[0], shape[1] * kh * kw, oh * ow))
    back = kernels.col2im(c, shape, kh, kw, stride, dilation, oh, ow)
    lhs = np.sum(kernels.im2col(xp, kh, kw, stride, dilation, oh, ow) * c)
    assert abs(lhs - np.sum(xp * back)) < 1e-10 * max(1.0, abs(lhs))
    np.testing.assert_allclose(kernels.col2im_numba(c, shape, kh, kw, stride, dilation, oh, ow), back,
                               rtol=0, atol=1e-10)


@fast
@given(windows(), seeds)
def test_pooling_kernels_match_naive_loops(geometry, seed):
    shape, kh, kw, stride, _, oh, ow = geometry  # pooling has no dilation
    oh, ow = (shape[2] - kh) // stride[0] + 1, (shape[3] - kw) // stride[1] + 1
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    grad = rng.standard_normal(shape[:2] + (oh, ow))
    y, argmax = kernels.max_pool_forward_numba(x, kh, kw, *stride, oh, ow)
    np.testing.assert_array_equal(y, conv_reference.max_pool2d_forward_naive(x, (kh, kw), stride))
    np.testing.assert_allclose(kernels.max_pool_backward_numba(grad, argmax, *shape[2:]),
                               conv_reference.max_pool2d_backward_naive(grad, x, (kh, kw), stride), rtol=0, atol=1e-10)
    np.testing.assert_allclose(kernels.avg_pool_forward_numba(x, kh, kw, *stride, oh, ow),
                               conv_reference.avg_pool2d_forward_naive(x, (kh, kw), stride), rtol=0, atol=1e-10)
    np.testing.assert_allclose(kernels.avg_pool_backward_numba(grad, kh, kw, *stride, *shape[2:]),
                               conv_reference.avg_pool2d_backward_naive(grad, shape, (kh, kw), stride), rtol=0, atol=1e-10)


def test_kernels_keep_float32():
    xp = np.ones((2, 3, 5, 5), dtype=np.float32)
    assert kernels.im2col_numba(xp, 3, 3, (1, 1), (1, 1), 3, 3).dtype == np.float32
    cols = np.ones((2, 27, 9), np.float32)
    assert kernels.col2im_numba(cols, xp.shape, 3, 3, (1, 1), (1, 1), 3, 3).dtype == np.float32
    y, argmax = kernels.max_pool_forward_numba(xp, 2, 2, 2, 2, 2, 2)
    assert y.dtype == np.float32 and argmax.dtype == np.int64
    assert kernels.avg_pool_forward_numba(xp, 2, 2, 2, 2, 2, 2).dtype == np.float32


@pytest.mark.skipif("NUMBA_CACHE_DIR" in os.environ, reason="the cache is redirected elsewhere")
def test_numba_cache_is_written_and_reused_by_a_fresh_process():
    """cache=True writes index (.nbi) and code (.nbc) files next to the module; a new process loads them."""
    kernels.im2col_numba(np.zeros((1, 1, 3, 3), np.float32), 2, 2, (1, 1), (1, 1), 2, 2)
    cache = Path(kernels.__file__).parent / "__pycache__"
    assert list(cache.glob("kernels._im2col_kernel-*.nbi")) and list(cache.glob("kernels._im2col_kernel-*.nbc"))
    script = ("import numpy as np; from mlcore import kernels; "
              "kernels.im2col_numba(np.zeros((1, 1, 3, 3), np.float32), 2, 2, (1, 1), (1, 1), 2, 2); "
              "s = kernels._im2col_kernel.stats; print(sum(s.cache_hits.values()), sum(s.cache_misses.values()))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    hits, misses = map(int, out.stdout.split())
    assert (hits, misses) == (1, 0), f"expected the compiled kernel to come from the cache: {out.stdout}"
