"""The generated shapes image set (Chapter 14): shapes, dtypes, range, determinism,
balance, and that mean colour alone does not reveal the class (the task needs shape).
"""

from __future__ import annotations

import numpy as np
import pytest

from mlcore.data_images import SHAPE_CLASSES, make_shapes


def test_shapes_dtypes_and_range():
    X, y = make_shapes(50, rng=0)
    assert X.shape == (50, 3, 32, 32) and X.dtype == np.float32
    assert y.shape == (50,) and y.dtype == np.int64
    assert X.min() >= 0 and X.max() <= 1
    assert set(np.unique(y)) <= set(range(len(SHAPE_CLASSES)))
    assert make_shapes(3, rng=0, size=16, min_radius=3, max_radius=6)[0].shape == (3, 3, 16, 16)


def test_deterministic_per_seed():
    X1, y1 = make_shapes(40, rng=7)
    X2, y2 = make_shapes(40, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(make_shapes(40, rng=8)[0], X1)


def test_classes_are_balanced():
    assert len(SHAPE_CLASSES) >= 5
    _, y = make_shapes(703, rng=1)
    counts = np.bincount(y, minlength=len(SHAPE_CLASSES))
    assert counts.max() - counts.min() <= 1


def test_every_image_shows_a_shape():
    """The shape differs from the background: each image has pixels far from its median colour."""
    X, _ = make_shapes(200, rng=2, noise=0.0)
    median = np.median(X.reshape(200, 3, -1), axis=2)[:, :, None, None]
    far = np.abs(X - median).max(axis=1) > 0.25  # (N, H, W)
    assert far.reshape(200, -1).sum(axis=1).min() >= 10


def test_mean_colour_alone_is_near_chance():
    """A nearest-centroid classifier on the mean colour of each image does about as well as guessing."""
    X_train, y_train = make_shapes(3500, rng=3)
    X_test, y_test = make_shapes(3500, rng=4)
    k = len(SHAPE_CLASSES)
    centroids = np.stack([X_train[y_train == c].mean(axis=(0, 2, 3)) for c in range(k)])  # (k, 3)
    colour = X_test.mean(axis=(2, 3))                                                     # (n, 3)
    pred = np.argmin(((colour[:, None, :] - centroids[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(pred == y_test) < 1 / k + 0.05


def test_bad_arguments():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        make_shapes(0)
    with pytest.raises(ValueError, match="min_radius <= max_radius"):
        make_shapes(5, min_radius=8, max_radius=4)
    with pytest.raises(ValueError, match="noise must be non-negative"):
        make_shapes(5, noise=-1)
