"""EmbeddingBag: sums (or means) of embedding rows over bags of indices, a sparse linear layer.

A bag is a set of active feature indices :math:`S_b` (with optional weights
:math:`a_j`).  The layer returns

.. math:: y_b = \\sum_{j \\in S_b} a_j\\, W_{i_j,:} \\quad (\\text{mode "sum"}), \\qquad
          y_b = \\frac{1}{|S_b|}\\sum_{j \\in S_b} W_{i_j,:} \\quad (\\text{mode "mean"}),

which is the product :math:`y = A W` of the sparse bag-by-feature matrix
:math:`A` (:math:`A_{b,i}` = the summed weights of index ``i`` in bag ``b``)
with the table :math:`W`: a linear model on one-hot (multi-hot) features
that never builds the one-hot vectors.  The backward pass is
:math:`\\partial L/\\partial W = A^\\top G` and
:math:`\\partial L/\\partial a_j = G_{b(j),:} \\cdot W_{i_j,:}`.
Chapter 24: Wide and deep learning for recommender systems derives it and
uses it as the wide part of a wide and deep model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from mlcore._checks import check_choice, check_int
from mlcore.nn.module import Module, Parameter
from mlcore.tensor import Context, Function, Tensor, as_tensor

__all__ = ["EmbeddingBag", "embedding_bag", "EmbeddingBagFunction", "bags_from_input"]


def bags_from_input(owner: str, input: Any, offsets: Any, num_embeddings: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Checked ``(indices (M,), bag_of_each_index (M,), number_of_bags)`` from PyTorch-style arguments.

    ``input`` is either 2-D ``(B, N)`` (``B`` bags of ``N`` indices, ``offsets``
    must be ``None``) or 1-D ``(M,)`` with ``offsets`` ``(B,)``, the start of
    each bag in ``input`` (non-decreasing, starting at 0).  Chapter 24: Wide
    and deep learning for recommender systems.
    """
    idx = np.asarray(input.data if isinstance(input, Tensor) else input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{owner}: input must hold integer indices, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= num_embeddings):
        raise ValueError(f"{owner}: input indices must lie in 0..{num_embeddings - 1}, "
                         f"got values from {idx.min()} to {idx.max()}")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{owner}: offsets must be None when input is 2-D (each row is a bag), "
                             f"got offsets of shape {np.shape(offsets)}")
        B, N = idx.shape
        return idx.reshape(-1).astype(np.int64), np.repeat(np.arange(B), N), B
    if idx.ndim != 1:
        raise ValueError(f"{owner}: input must be 1-D (with offsets) or 2-D (bags as rows), got shape {idx.shape}")
    if offsets is None:
        raise ValueError(f"{owner}: offsets are required when input is 1-D")
    off = np.asarray(offsets.data if isinstance(offsets, Tensor) else offsets)
    if off.dtype.kind not in "iu" or off.ndim != 1 or off.size == 0:
        raise ValueError(f"{owner}: offsets must be a non-empty 1-D array of integers, got {off!r}")
    if off[0] != 0 or np.any(np.diff(off) < 0) or off[-1] > idx.size:
        raise ValueError(f"{owner}: offsets must start at 0, never decrease and stay <= len(input)={idx.size}, "
                         f"got {off.tolist()[:8]}")
    counts = np.diff(np.append(off, idx.size))
    return idx.astype(np.int64), np.repeat(np.arange(off.size), counts), int(off.size)


class EmbeddingBagFunction(Function):
    """:math:`y = AW` for the sparse bag matrix ``A`` (module docstring); inputs ``weight`` (V, D)
    and optionally ``per_sample_weights`` (M,); options ``indices`` (M,), ``bags`` (M,),
    ``n_bags`` and ``mode``.  Chapter 24: Wide and deep learning for recommender systems."""

    @staticmethod
    def forward(ctx: Context, weight: np.ndarray, per_sample_weights: np.ndarray | None = None, *,
                indices: np.ndarray, bags: np.ndarray, n_bags: int, mode: str) -> np.ndarray:
        if per_sample_weights is not None:
            a = per_sample_weights.astype(weight.dtype, copy=False)
        elif mode == "mean":
            counts = np.bincount(bags, minlength=n_bags)
            a = (1.0 / counts[bags]).astype(weight.dtype)
        else:
            a = np.ones(indices.shape[0], dtype=weight.dtype)
        # A: (n_bags, V) in CSR form; duplicates inside a bag are summed by SciPy.
        A = sp.csr_matrix((a, (bags, indices)), shape=(n_bags, weight.shape[0]))
        ctx.A, ctx.weight, ctx.indices, ctx.bags = A, weight, indices, bags
        ctx.has_psw = per_sample_weights is not None
        return np.asarray(A @ weight)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        dW = np.asarray(ctx.A.T @ grad).astype(ctx.weight.dtype, copy=False) if ctx.needs_input_grad[0] else None
        if not ctx.has_psw:
            return dW
        # d y_b / d a_j = W[i_j]: one dot product per index.
        da = np.einsum("md,md->m", grad[ctx.bags], ctx.weight[ctx.indices]) if ctx.needs_input_grad[1] else None
        return dW, da


def embedding_bag(input: Any, weight: Any, offsets: Any = None, mode: str = "mean",
                  per_sample_weights: Any = None) -> Tensor:
    """Functional form of :class:`EmbeddingBag` with PyTorch's argument names (and default ``mode="mean"``).

    ``input`` (B, N) or (M,) with ``offsets`` (B,); ``weight`` (V, D);
    ``per_sample_weights`` shaped like ``input``, only with ``mode="sum"``.
    Returns (B, D); an empty bag gives zeros.  Chapter 24: Wide and deep
    learning for recommender systems.
    """
    weight = as_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding_bag: weight must be 2-D (num_embeddings, embedding_dim), got shape {weight.shape}")
    if weight.data.dtype.kind != "f":
        raise TypeError(f"embedding_bag: weight must be floating point, got dtype {weight.data.dtype}")
    mode = check_choice("embedding_bag", "mode", mode, ("sum", "mean"))
    indices, bags, n_bags = bags_from_input("embedding_bag", input, offsets, weight.shape[0])
    inputs = [weight]
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"embedding_bag: per_sample_weights are only supported with mode='sum', got mode={mode!r}")
        if isinstance(per_sample_weights, Tensor):
            psw = per_sample_weights
        else:  # a plain array takes the weight's dtype (not the default one)
            raw = np.asarray(per_sample_weights)
            if raw.dtype.kind != "f":
                raise TypeError(f"embedding_bag: per_sample_weights must be floating point, got dtype {raw.dtype}")
            psw = Tensor(raw, dtype=weight.data.dtype)
        if psw.shape != np.shape(input.data if isinstance(input, Tensor) else input):
            raise ValueError(f"embedding_bag: per_sample_weights must have the shape of input "
                             f"{np.shape(input)}, got {psw.shape}")
        if psw.data.dtype.kind != "f":
            raise TypeError(f"embedding_bag: per_sample_weights must be floating point, got dtype {psw.data.dtype}")
        inputs.append(psw.reshape(-1))
    return EmbeddingBagFunction.apply(*inputs, indices=indices, bags=bags, n_bags=n_bags, mode=mode)


class EmbeddingBag(Module):
    """Sums or means of rows of a learned table over bags of indices (PyTorch's ``nn.EmbeddingBag``).

    Parameters
    ----------
    num_embeddings : int
        Number of rows ``V`` (features, tokens).
    embedding_dim : int
        Length ``D`` of each row; ``D = 1`` makes a sparse linear model.
    mode : {"sum", "mean"}
        How a bag's rows are combined (PyTorch's default is ``"mean"``;
        ``"max"`` is not implemented).
    rng : numpy.random.Generator or int, optional
        Source of the initial weights, :math:`\\mathcal N(0, 1)` as in PyTorch.

    ``forward(input, offsets=None, per_sample_weights=None)`` returns (B, D);
    see :func:`embedding_bag`.  Chapter 24: Wide and deep learning for
    recommender systems.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, mode: str = "mean", rng=None):
        num_embeddings = check_int("EmbeddingBag", "num_embeddings", num_embeddings)
        embedding_dim = check_int("EmbeddingBag", "embedding_dim", embedding_dim)
        self.mode = check_choice("EmbeddingBag", "mode", mode, ("sum", "mean"))
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(np.random.default_rng(rng).standard_normal((num_embeddings, embedding_dim)))

    def forward(self, input: Any, offsets: Any = None, per_sample_weights: Any = None) -> Tensor:
        return embedding_bag(input, self.weight, offsets, self.mode, per_sample_weights)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}"
