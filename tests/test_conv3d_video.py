"""Tests of mlcore.conv3d, nn.Conv3d and mlcore.data_video (Chapter 26)."""

import numpy as np
import pytest

import mlcore as mc
from mlcore import nn
from mlcore.conv3d import conv3d, conv3d_forward, conv3d_loops
from mlcore.data_video import MOTIONS, make_motion_clips

CASES = [((1, 1, 1), (0, 0, 0), (1, 1, 1)), ((2, 1, 2), (1, 2, 0), (1, 2, 1)), ((1, 2, 1), (1, 1, 1), (2, 1, 1))]


@pytest.mark.parametrize("stride,padding,dilation", CASES)
def test_fast_matches_loops(stride, padding, dilation):
    r = np.random.default_rng(0)
    x, w, b = r.standard_normal((2, 3, 6, 6, 7)), r.standard_normal((4, 3, 2, 3, 2)), r.standard_normal(4)
    np.testing.assert_allclose(conv3d_forward(x, w, b, stride, padding, dilation),
                               conv3d_loops(x, w, b, stride, padding, dilation), atol=1e-12)


@pytest.mark.parametrize("stride,padding,dilation", CASES)
def test_gradcheck(stride, padding, dilation):
    r = np.random.default_rng(1)
    x, w, b = r.standard_normal((2, 2, 5, 5, 6)), r.standard_normal((3, 2, 2, 3, 2)), r.standard_normal(3)
    res = mc.gradcheck(lambda x, w, b: conv3d(x, w, b, stride, padding, dilation), [x, w, b])
    assert res.passed, res.errors
    assert mc.gradcheck(lambda x, w: conv3d(x, w, None, stride, padding, dilation), [x, w]).passed


def test_kernel_of_one_frame_is_conv2d_per_frame():
    r = np.random.default_rng(2)
    x, w = r.standard_normal((2, 3, 4, 6, 6)), r.standard_normal((5, 3, 1, 3, 3))
    y = conv3d(mc.Tensor(x, dtype=np.float64), mc.Tensor(w, dtype=np.float64), padding=(0, 1, 1)).data
    from mlcore.conv import conv2d
    for t in range(4):
        y2 = conv2d(mc.Tensor(x[:, :, t], dtype=np.float64), mc.Tensor(w[:, :, 0], dtype=np.float64), padding=1).data
        np.testing.assert_allclose(y[:, :, t], y2, atol=1e-10)


def test_torch_parity():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(3)
    x, w, b = r.standard_normal((2, 2, 5, 6, 6)), r.standard_normal((3, 2, 3, 3, 2)), r.standard_normal(3)
    ref = torch.nn.functional.conv3d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=(1, 2, 1),
                                     padding=(1, 0, 1), dilation=(1, 1, 2))
    got = conv3d(mc.Tensor(x, dtype=np.float64), mc.Tensor(w, dtype=np.float64), mc.Tensor(b, dtype=np.float64),
                 (1, 2, 1), (1, 0, 1), (1, 1, 2)).data
    np.testing.assert_allclose(got, ref.numpy(), atol=1e-10)


def test_layer_and_errors():
    layer = nn.Conv3d(1, 4, 3, stride=(1, 2, 2), padding=1, rng=0)
    assert layer.weight.shape == (4, 1, 3, 3, 3)
    assert layer(np.zeros((2, 1, 8, 16, 16), np.float32)).shape == (2, 4, 8, 8, 8)
    with pytest.raises(ValueError, match="5-D"):
        layer(np.zeros((2, 1, 16, 16), np.float32))
    with pytest.raises(ValueError, match="input channels"):
        layer(np.zeros((2, 3, 8, 8, 8), np.float32))
    with pytest.raises(ValueError, match="does not fit"):
        nn.Conv3d(1, 1, 5)(np.zeros((1, 1, 3, 8, 8), np.float32))
    with pytest.raises(ValueError, match="groups"):
        nn.Conv3d(2, 2, 3, groups=2)
    with pytest.raises(ValueError, match="kernel_size"):
        nn.Conv3d(1, 1, (3, 3))
    with pytest.raises(TypeError, match="weight must be floating point"):
        conv3d(np.zeros((1, 1, 3, 3, 3)), np.zeros((1, 1, 1, 1, 1), np.int64))
    with pytest.raises(TypeError, match="real-valued"):
        conv3d(np.zeros((1, 1, 3, 3, 3), np.complex128), np.zeros((1, 1, 1, 1, 1)))
    # integer input is promoted to the default float dtype, as conv2d does
    x_int = np.arange(27).reshape(1, 1, 3, 3, 3) % 4
    w = np.full((1, 1, 1, 1, 1), 0.5, dtype=mc.get_default_dtype())
    got = conv3d(x_int, w).data
    assert got.dtype.kind == "f" and np.allclose(got, 0.5 * x_int)


def test_clips_shapes_determinism_balance():
    x, y = make_motion_clips(60, rng=5)
    x2, y2 = make_motion_clips(60, rng=5)
    assert x.shape == (60, 1, 8, 16, 16) and x.dtype == np.float32 and y.shape == (60,)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert np.all(np.bincount(y) == 10)
    with pytest.raises(ValueError, match="motions"):
        make_motion_clips(6, motions=[(1, 0)])
    with pytest.raises(ValueError, match="n must"):
        make_motion_clips(0)


def test_clips_move_with_their_class_velocity():
    x, y = make_motion_clips(120, noise=0.0, rng=7)
    size = x.shape[-1]
    for k in range(len(y)):
        frames = x[k, 0]
        pos0 = np.argwhere(frames[0] > 0)
        for t in range(frames.shape[0]):
            shifted = np.zeros_like(frames[0], dtype=bool)
            moved = (pos0 + t * np.array(MOTIONS[y[k]])) % size
            shifted[moved[:, 0], moved[:, 1]] = True
            np.testing.assert_array_equal(frames[t] > 0, shifted)


def test_single_frame_marginal_is_the_same_for_every_class():
    # By construction the square's position in any frame is uniform for every class: the
    # per-class mean of a frame is flat, and equal across classes up to sampling noise.
    x, y = make_motion_clips(6000, noise=0.0, rng=11)
    for t in (0, 4, 7):
        means = np.stack([x[y == c, 0, t].mean(axis=0) for c in range(6)])   # (6, 16, 16)
        overall = x[:, 0, t].mean()
        assert np.abs(means - overall).max() < 0.06
        assert np.abs(means.mean(axis=(1, 2)) - overall).max() < 0.01
