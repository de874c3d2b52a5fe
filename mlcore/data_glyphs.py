"""A generated alphabet of stroke glyphs: many classes, few examples each, nothing downloaded.

Chapter 22: Transfer and multi-task learning and Chapter 23: Siamese networks
and one-shot learning need a data set with *many* classes that share their
low-level structure (strokes, corners, crossings), so that what a network
learns on some classes can serve on classes it has never seen.  Handwritten
alphabets (Omniglot) are the classic choice; we draw our own in code.

A *glyph class* is a few random line strokes in the unit square
(:func:`make_glyph_alphabet`).  An *example* of a class is that glyph drawn
with a random distortion (:func:`render_glyphs`): every stroke end moves a
little, the whole glyph gets a small random affine map (rotation, scale,
shear, shift), the pen width varies, and pixel noise is added.
:func:`make_glyphs` does both in one call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["make_glyph_alphabet", "render_glyphs", "make_glyphs"]


def _rng(rng: Any) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")


def _positive_int(fn: str, name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{fn}: {name} must be at least {low}, got {value}")
    return int(value)


def _non_negative(fn: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be a number, got {type(value).__name__}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{fn}: {name} must be finite and >= 0, got {value}")
    return float(value)


def make_glyph_alphabet(n_classes: int, rng: Any = None, n_strokes: int = 3,
                        min_length: float = 0.35) -> np.ndarray:
    """Stroke end points of ``n_classes`` random glyphs, shape ``(n_classes, n_strokes, 2, 2)``.

    Entry ``[c, s, e]`` is the ``(x, y)`` position, in the unit square
    :math:`[0.15, 0.85]^2`, of end ``e`` of stroke ``s`` of glyph ``c``.  Each
    stroke starts at a random point; after the first, a stroke starts with
    probability 1/2 at an end of the previous stroke, so glyphs contain
    corners and connected paths as well as crossings.  Strokes shorter than
    ``min_length`` are redrawn, so no stroke degenerates to a dot.

    Chapter 22: Transfer and multi-task learning.
    """
    fn = "make_glyph_alphabet"
    n_classes = _positive_int(fn, "n_classes", n_classes)
    n_strokes = _positive_int(fn, "n_strokes", n_strokes)
    min_length = _non_negative(fn, "min_length", min_length)
    if min_length > 0.6:
        raise ValueError(f"{fn}: min_length must be at most 0.6 (strokes live in a square of side 0.7), got {min_length}")
    rng = _rng(rng)
    strokes = np.empty((n_classes, n_strokes, 2, 2))
    for c in range(n_classes):
        for s in range(n_strokes):
            while True:
                if s > 0 and rng.random() < 0.5:
                    start = strokes[c, s - 1, 1]
                else:
                    start = rng.uniform(0.15, 0.85, 2)
                end = rng.uniform(0.15, 0.85, 2)
                if np.hypot(*(end - start)) >= min_length:
                    break
            strokes[c, s, 0], strokes[c, s, 1] = start, end
    return strokes


def _segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from ``points`` (P, 2) to the segments ``a``-``b`` (N, S, 2): shape (N, S, P)."""
    ab = (b - a)[:, :, None, :]                                  # (N, S, 1, 2)
    ap = points[None, None, :, :] - a[:, :, None, :]             # (N, S, P, 2)
    t = np.clip((ap * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0.0, 1.0)
    return np.linalg.norm(ap - t[..., None] * ab, axis=-1)


def render_glyphs(alphabet: np.ndarray, labels: Any, rng: Any = None, size: int = 16,
                  jitter: float = 0.04, rotation: float = 12.0, scale: float = 0.1, shear: float = 0.1,
                  shift: float = 0.06, width: tuple[float, float] = (0.7, 1.3), noise: float = 0.05) -> np.ndarray:
    """Draw one distorted example of glyph ``labels[i]`` per entry: float32 images ``(N, 1, size, size)``.

    For each example the stroke ends of its glyph move by Gaussian noise of
    standard deviation ``jitter``; then the glyph is mapped by
    :math:`x \\mapsto A(x - c) + c + t` about the centre :math:`c = (1/2, 1/2)`,
    with :math:`A` a rotation by an angle uniform in
    :math:`\\pm` ``rotation`` degrees times a scale uniform in
    :math:`1 \\pm` ``scale`` times a shear uniform in :math:`\\pm` ``shear``,
    and :math:`t` uniform in :math:`\\pm` ``shift``.  A pixel at distance
    :math:`d` (in pixels) from the nearest stroke gets ink
    :math:`\\mathrm{clip}(1 + w/2 - d, 0, 1)` for a pen width :math:`w`
    uniform in ``width``, so strokes are anti-aliased lines about :math:`w + 1`
    pixels wide; Gaussian noise of standard deviation ``noise`` is added.

    Parameters
    ----------
    alphabet : ndarray (C, S, 2, 2)
        Stroke end points from :func:`make_glyph_alphabet`.
    labels : array of int, shape (N,)
        Class of each example, in ``[0, C)``.
    rng : numpy.random.Generator, int or None
        Source of the distortions; the same seed gives the same images.

    Chapter 22: Transfer and multi-task learning.
    """
    fn = "render_glyphs"
    alphabet = np.asarray(alphabet, dtype=np.float64)
    if alphabet.ndim != 4 or alphabet.shape[2:] != (2, 2) or alphabet.shape[0] == 0:
        raise ValueError(f"{fn}: alphabet must have shape (C, S, 2, 2) with C >= 1, got {alphabet.shape}")
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{fn}: labels must be a 1-D array of ints, got dtype {labels.dtype} and shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= alphabet.shape[0]):
        raise ValueError(f"{fn}: labels must lie in [0, {alphabet.shape[0]}), got range "
                         f"[{labels.min()}, {labels.max()}]")
    size = _positive_int(fn, "size", size, low=4)
    for name, value in (("jitter", jitter), ("rotation", rotation), ("scale", scale), ("shear", shear),
                        ("shift", shift), ("noise", noise)):
        _non_negative(fn, name, value)
    if scale >= 1:
        raise ValueError(f"{fn}: scale must be below 1 (a factor 1 - scale <= 0 would flip or erase the glyph), got {scale}")
    w_low, w_high = (_non_negative(fn, "width", w) for w in width)
    if w_low > w_high:
        raise ValueError(f"{fn}: width must be (low, high) with low <= high, got {width}")
    rng = _rng(rng)
    n = labels.size
    ends = alphabet[labels] + rng.normal(0.0, jitter, (n,) + alphabet.shape[1:])   # (N, S, 2, 2)
    angle = np.deg2rad(rng.uniform(-rotation, rotation, n))
    factor = rng.uniform(1 - scale, 1 + scale, n)
    sh = rng.uniform(-shear, shear, n)
    cos, sin = np.cos(angle), np.sin(angle)
    rot = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)      # (N, 2, 2)
    shear_m = np.zeros((n, 2, 2))
    shear_m[:, 0, 0] = shear_m[:, 1, 1] = 1.0
    shear_m[:, 0, 1] = sh
    affine = factor[:, None, None] * rot @ shear_m                                  # (N, 2, 2)
    t = rng.uniform(-shift, shift, (n, 2))
    moved = np.einsum("nij,nsej->nsei", affine, ends - 0.5) + 0.5 + t[:, None, None, :]
    moved *= size                                                                  # to pixel units
    grid = (np.stack(np.meshgrid(np.arange(size), np.arange(size), indexing="xy"), -1).reshape(-1, 2)
            + 0.5)                                                                 # (P, 2) pixel centres (x, y)
    d = _segment_distance(grid, moved[:, :, 0], moved[:, :, 1]).min(axis=1)        # (N, P)
    pen = rng.uniform(w_low, w_high, n)
    ink = np.clip(1.0 + pen[:, None] / 2 - d, 0.0, 1.0)
    ink += rng.normal(0.0, noise, ink.shape)
    return ink.reshape(n, 1, size, size).astype(np.float32)


def make_glyphs(n_classes: int, n_per_class: int, rng: Any = None, alphabet: np.ndarray | None = None,
                **render: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n_per_class`` distorted examples of each of ``n_classes`` glyphs, in random order.

    Returns ``(X, y, alphabet)``: images ``(n_classes * n_per_class, 1, size, size)``
    (float32), labels ``(N,)`` (int64) and the alphabet used (drawn from ``rng``
    unless given; when given, ``n_classes`` must equal its length).  Keyword
    arguments go to :func:`render_glyphs`.

    Chapter 22: Transfer and multi-task learning.
    """
    fn = "make_glyphs"
    n_classes = _positive_int(fn, "n_classes", n_classes)
    n_per_class = _positive_int(fn, "n_per_class", n_per_class)
    rng = _rng(rng)
    if alphabet is None:
        alphabet = make_glyph_alphabet(n_classes, rng)
    elif len(alphabet) != n_classes:
        raise ValueError(f"{fn}: the alphabet has {len(alphabet)} glyphs but n_classes is {n_classes}")
    y = rng.permutation(np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class))
    return render_glyphs(alphabet, y, rng, **render), y, alphabet
