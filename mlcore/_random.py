"""One way to turn a seed into a random generator, shared by the whole library."""

from __future__ import annotations

import numpy as np


def check_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Turn a seed (or ``None``) into a :class:`numpy.random.Generator`; pass a Generator through."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None; got {type(rng).__name__}")
