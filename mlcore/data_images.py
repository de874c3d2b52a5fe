"""A generated image set for convolutional networks: coloured shapes on noisy backgrounds.

Chapter 14: Convolutional networks trains its networks on :func:`make_shapes`,
which draws 32x32 RGB images of seven classes of shapes in code, so nothing
is downloaded.  Colour tells nothing about the class: the shape and the
background take random colours from the same distribution, so a classifier
must look at *shape*, the thing convolutions are good at.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SHAPE_CLASSES", "make_shapes"]

SHAPE_CLASSES = ("circle", "ring", "square", "triangle", "cross", "horizontal bar", "vertical bar")

# Outward normals of the three sides of an equilateral triangle (angles -90, 30 and 150 degrees).
_TRIANGLE_NORMALS = np.array([[0.0, -1.0], [np.sqrt(3) / 2, 0.5], [-np.sqrt(3) / 2, 0.5]])


def _box(u: np.ndarray, v: np.ndarray, half_u: float, half_v: float) -> np.ndarray:
    """Signed distance (Chebyshev-style) to a rectangle of half sides ``half_u``, ``half_v``."""
    return np.maximum(np.abs(u) - half_u, np.abs(v) - half_v)


def _signed_distance(label: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Negative inside shape ``label``, positive outside, in units of its size.

    ``u, v`` are the pixel coordinates relative to the shape's centre, rotated and divided by its size.
    """
    name = SHAPE_CLASSES[label]
    if name == "circle":
        return np.hypot(u, v) - 1.0
    if name == "ring":
        return np.abs(np.hypot(u, v) - 0.75) - 0.25
    if name == "square":
        return _box(u, v, 0.75, 0.75)
    if name == "triangle":
        return np.max([a * u + b * v for a, b in _TRIANGLE_NORMALS], axis=0) - 0.5
    if name == "cross":
        return np.minimum(_box(u, v, 1.0, 0.3), _box(u, v, 0.3, 1.0))
    return _box(u, v, 1.0, 0.3)  # a bar; "vertical bar" gets an angle near 90 degrees


def _angles(label: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """Random rotations where natural: any angle for most shapes, a tilt of at most 15 degrees for bars."""
    name = SHAPE_CLASSES[label]
    tilt = rng.uniform(-np.pi / 12, np.pi / 12, m)
    if name == "horizontal bar":
        return tilt
    if name == "vertical bar":
        return tilt + np.pi / 2
    return rng.uniform(0, 2 * np.pi, m)


def make_shapes(n: int, rng: np.random.Generator | int | None = None, size: int = 32, noise: float = 0.05,
                min_radius: float = 5.0, max_radius: float = 11.0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` RGB images of shapes of ``SHAPE_CLASSES``, balanced and in random order.

    Each image has a background of a random colour with a gentle linear
    gradient and uniform pixel noise, and one shape of another random colour
    (every channel at least 0.3 away from the background's, so it stays
    visible), at a random position, size and rotation, with anti-aliased
    edges.  Shape and background colours have the same distribution, so the
    mean colour of an image says (almost) nothing about its class.

    Parameters
    ----------
    n : int
        Number of images.
    rng : numpy.random.Generator, int or None
        Source of randomness; the same seed gives the same images.
    size : int
        Height and width in pixels.
    noise : float
        Standard deviation of the (uniform) pixel noise.
    min_radius, max_radius : float
        Range of the shapes' half-extent in pixels.

    Returns
    -------
    X : ndarray, float32, shape (n, 3, size, size), values in [0, 1]
    y : ndarray, int64, shape (n,), values in ``0 .. len(SHAPE_CLASSES) - 1``

    Notes
    -----
    Rendering is vectorised over all images of a class (a loop over the
    seven classes, not over images).  Chapter 14: Convolutional networks.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"make_shapes: n must be a positive integer, got {n!r}")
    if not 0 < min_radius <= max_radius <= size / 2:
        raise ValueError(f"make_shapes: need 0 < min_radius <= max_radius <= size/2 = {size / 2}, "
                         f"got {min_radius}, {max_radius}")
    if not noise >= 0:
        raise ValueError(f"make_shapes: noise must be non-negative, got {noise!r}")
    rng = np.random.default_rng(rng)
    k = len(SHAPE_CLASSES)
    y = rng.permutation(np.arange(n) % k).astype(np.int64)

    background = rng.uniform(0, 1, (n, 3, 1, 1))
    foreground = (background + rng.uniform(0.3, 0.7, (n, 3, 1, 1))) % 1.0
    radius = rng.uniform(min_radius, max_radius, n)
    centre = rng.uniform(radius[:, None], size - radius[:, None], (n, 2))  # (n, 2): x, y in pixels
    gradient = rng.uniform(-0.1, 0.1, (n, 2)) / size                     # brightness change per pixel

    coords = np.arange(size, dtype=np.float32) + 0.5  # pixel centres
    mask = np.empty((n, size, size), dtype=np.float32)
    for label in range(k):
        idx = np.flatnonzero(y == label)
        if idx.size == 0:
            continue
        angle = _angles(label, idx.size, rng)
        cos, sin = (np.cos(angle)[:, None, None].astype(np.float32), np.sin(angle)[:, None, None].astype(np.float32))
        r = radius[idx, None, None].astype(np.float32)
        dx = coords[None, None, :] - centre[idx, 0, None, None].astype(np.float32)  # (m, 1, size)
        dy = coords[None, :, None] - centre[idx, 1, None, None].astype(np.float32)  # (m, size, 1)
        u, v = (cos * dx + sin * dy) / r, (cos * dy - sin * dx) / r                 # (m, size, size)
        # Signed distance in pixels -> coverage, with a one-pixel anti-aliased edge.
        mask[idx] = np.clip(0.5 - _signed_distance(label, u, v) * r, 0.0, 1.0)

    ramp = (gradient[:, 0, None, None] * (coords[None, None, :] - size / 2)
            + gradient[:, 1, None, None] * (coords[None, :, None] - size / 2))   # (n, size, size)
    X = background.astype(np.float32) + ramp[:, None].astype(np.float32)          # (n, 3, size, size)
    X += mask[:, None] * (foreground - background).astype(np.float32)
    pixel_noise = rng.random(X.shape, dtype=np.float32) - np.float32(0.5)  # uniform: much faster to draw than normal
    X += np.float32(noise * np.sqrt(12.0)) * pixel_noise                  # standard deviation `noise`
    np.clip(X, 0.0, 1.0, out=X)
    return X, y
