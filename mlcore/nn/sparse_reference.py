"""The naive loop behind :class:`mlcore.nn.EmbeddingBag`, kept as the tests' oracle.

Chapter 24: Wide and deep learning for recommender systems.
"""

from __future__ import annotations

import numpy as np

__all__ = ["embedding_bag_loops"]


def embedding_bag_loops(indices: np.ndarray, offsets: np.ndarray, weight: np.ndarray, mode: str = "mean",
                        per_sample_weights: np.ndarray | None = None) -> np.ndarray:
    """Bag ``b`` covers ``indices[offsets[b]:offsets[b+1]]``; add (or average) its rows one by one.

    ``indices`` (M,), ``offsets`` (B,), ``weight`` (V, D); returns (B, D).
    Chapter 24: Wide and deep learning for recommender systems.
    """
    B, D = len(offsets), weight.shape[1]
    ends = list(offsets[1:]) + [len(indices)]
    out = np.zeros((B, D), dtype=weight.dtype)
    for b in range(B):
        members = range(offsets[b], ends[b])
        for j in members:
            a = 1.0 if per_sample_weights is None else per_sample_weights[j]
            out[b] += a * weight[indices[j]]
        if mode == "mean" and len(members):
            out[b] /= len(members)
    return out
