"""Generated video clips whose classes differ only in motion, nothing downloaded.

Chapter 26: Action recognition in videos needs clips that a model can classify
only by looking at how things move.  A clip (:func:`make_motion_clips`) shows one
bright square of random size and brightness on a noisy background, moving with
a constant velocity that depends on the class.  The image is a torus: the
square leaves on one side and comes back on the other.  Its starting position
is uniform over the whole frame, so at every time step its position is
uniform too, whatever the velocity; and size, brightness and noise are drawn
the same way for every class.  Every single frame therefore has the same
distribution in every class, *by construction*: no model that sees one frame
can beat chance, and the class is visible only across frames.

The default classes are the velocities (in pixels per frame, (rows, columns))
of ``MOTIONS``: right, left, down, up, and right or left at double speed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcore._checks import check_int, check_number

__all__ = ["MOTIONS", "MOTION_NAMES", "make_motion_clips"]

MOTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0), (0, 2), (0, -2))
MOTION_NAMES = ("right", "left", "down", "up", "fast right", "fast left")


def make_motion_clips(n: int, frames: int = 8, size: int = 16, motions: Any = MOTIONS, noise: float = 0.1,
                      rng: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` clips (n, 1, frames, size, size) float32 and their labels (n,) in ``0 .. len(motions)-1``.

    Clip ``k`` of class ``c`` shows a square of side 3 to 5 pixels and brightness
    in [0.6, 1] at position :math:`(r_0 + t\\,v_c) \\bmod \\text{size}` in frame ``t``,
    with :math:`r_0` uniform over the frame, plus Gaussian pixel noise of standard
    deviation ``noise``.  Labels are balanced (``n`` a multiple of the number of
    classes gives equal counts) and shuffled.  The layout is PyTorch's NCDHW, ready
    for :class:`mlcore.nn.Conv3d`.  Chapter 26: Action recognition in videos.
    """
    fn = "make_motion_clips"
    n = check_int(fn, "n", n)
    frames = check_int(fn, "frames", frames)
    size = check_int(fn, "size", size, 6)
    noise = check_number(fn, "noise", noise, 0)
    v = np.asarray(motions)
    if v.ndim != 2 or v.shape[1] != 2 or v.shape[0] < 2 or v.dtype.kind not in "iu":
        raise ValueError(f"{fn}: motions must be at least two integer (row, column) velocities, got {motions!r}")
    if isinstance(rng, np.random.Generator):
        g = rng
    elif rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        g = np.random.default_rng(rng)
    else:
        raise TypeError(f"{fn}: rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")
    K = v.shape[0]
    labels = g.permutation(np.arange(n) % K)
    start = g.integers(0, size, size=(n, 2))
    side = g.integers(3, 6, size=n)
    bright = g.uniform(0.6, 1.0, size=n)
    clips = noise * g.standard_normal((n, 1, frames, size, size))
    grid = np.arange(size)
    for t in range(frames):
        pos = (start + t * v[labels]) % size                                   # (n, 2)
        rows = ((grid[None, :] - pos[:, :1]) % size) < side[:, None]            # (n, size) inside the square
        cols = ((grid[None, :] - pos[:, 1:]) % size) < side[:, None]
        clips[:, 0, t] += bright[:, None, None] * (rows[:, :, None] & cols[:, None, :])
    return clips.astype(np.float32), labels.astype(np.int64)
