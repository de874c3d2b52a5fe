"""The generated glyph alphabet: shapes, determinism, separable classes, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

from mlcore.data_glyphs import make_glyph_alphabet, make_glyphs, render_glyphs


def test_shapes_and_types():
    X, y, alphabet = make_glyphs(7, 5, rng=0)
    assert X.shape == (35, 1, 16, 16) and X.dtype == np.float32
    assert y.shape == (35,) and y.dtype == np.int64
    assert np.array_equal(np.bincount(y), [5] * 7)
    assert alphabet.shape == (7, 3, 2, 2)
    assert np.all((alphabet >= 0.15) & (alphabet <= 0.85))
    strokes = np.linalg.norm(alphabet[:, :, 1] - alphabet[:, :, 0], axis=-1)
    assert strokes.min() >= 0.35
    assert render_glyphs(alphabet, np.array([0, 1]), 0, size=24).shape == (2, 1, 24, 24)


def test_same_seed_same_data_and_different_seed_differs():
    a = make_glyphs(5, 4, rng=3)
    b = make_glyphs(5, 4, rng=np.random.default_rng(3))
    c = make_glyphs(5, 4, rng=4)
    for u, v in zip(a, b):
        assert np.array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


def test_ink_where_the_strokes_are():
    alphabet = np.array([[[[0.2, 0.5], [0.8, 0.5]]]])  # one horizontal stroke through the middle
    X = render_glyphs(alphabet, np.zeros(1, dtype=int), 0, jitter=0, rotation=0, scale=0, shear=0, shift=0,
                      width=(1.0, 1.0), noise=0)[0, 0]
    assert X[8, 4:12].min() > 0.9 and X[0].max() == 0 and X[:, 0].max() == 0


def test_classes_are_distinguishable():
    # nearest class mean in pixel space on fresh examples: far above the 1/20 of chance
    X, y, alphabet = make_glyphs(20, 30, rng=1)
    Xq, yq, _ = make_glyphs(20, 10, rng=2, alphabet=alphabet)
    means = np.stack([X[y == c].reshape(-1, 256).mean(0) for c in range(20)])
    d = ((Xq.reshape(-1, 1, 256) - means[None]) ** 2).sum(-1)
    assert (d.argmin(1) == yq).mean() > 0.6


@pytest.mark.parametrize("call, error", [
    (lambda: make_glyphs(0, 5), ValueError),
    (lambda: make_glyphs(3, 2.5), TypeError),
    (lambda: make_glyphs(3, 2, rng="seed"), TypeError),
    (lambda: make_glyphs(3, 2, alphabet=make_glyph_alphabet(4, 0)), ValueError),
    (lambda: make_glyph_alphabet(3, 0, min_length=0.9), ValueError),
    (lambda: render_glyphs(np.zeros((3, 2, 2)), np.array([0])), ValueError),
    (lambda: render_glyphs(make_glyph_alphabet(3, 0), np.array([3])), ValueError),
    (lambda: render_glyphs(make_glyph_alphabet(3, 0), np.array([0.0])), TypeError),
    (lambda: render_glyphs(make_glyph_alphabet(3, 0), np.array([0]), noise=-1), ValueError),
    (lambda: render_glyphs(make_glyph_alphabet(3, 0), np.array([0]), scale=1.0), ValueError),
    (lambda: render_glyphs(make_glyph_alphabet(3, 0), np.array([0]), width=(2.0, 1.0)), ValueError),
    (lambda: render_glyphs(make_glyph_alphabet(3, 0), np.array([0]), size=2), ValueError),
])
def test_bad_arguments(call, error):
    with pytest.raises(error):
        call()
