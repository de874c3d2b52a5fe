"""Metric learning: distances between embeddings, the contrastive and triplet losses, triplet mining.

Chapter 23: Siamese networks and one-shot learning derives these losses.
A network :math:`f` maps inputs to embeddings; the losses pull embeddings
of the same class together and push those of different classes at least a
margin apart.  Everything is built from differentiable :mod:`mlcore.ops`,
so autograd supplies the gradients (checked against finite differences in
``tests/test_metric.py``).  Names, arguments and defaults follow PyTorch
where PyTorch has the function (``pairwise_distance``,
``triplet_margin_loss``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcore import ops
from mlcore.tensor import Tensor, as_tensor

__all__ = ["pairwise_distance", "distance_matrix", "contrastive_loss", "triplet_margin_loss",
           "batch_hard_triplet_loss", "semi_hard_triplets"]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(fn: str, reduction: Any) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _embeddings(fn: str, name: str, x: Any) -> Tensor:
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: {name} must be floating point, got dtype {x.dtype}")
    if x.ndim not in (1, 2) or x.size == 0:
        raise ValueError(f"{fn}: {name} must have shape (N, D) or (D,) and not be empty, got {x.shape}")
    return x


def _number(fn: str, name: str, value: Any, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be a number, got {type(value).__name__}")
    if not np.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError(f"{fn}: {name} must be finite and {'> 0' if positive else '>= 0'}, got {value}")
    return float(value)


def _labels(fn: str, labels: Any, n: int) -> np.ndarray:
    y = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise TypeError(f"{fn}: labels must be a 1-D array of ints, got dtype {y.dtype} and shape {y.shape}")
    if y.shape[0] != n:
        raise ValueError(f"{fn}: {n} embeddings but {y.shape[0]} labels")
    return y


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """:math:`\\|x_1 - x_2 + \\epsilon\\|_p` along the last axis, as ``torch.nn.functional.pairwise_distance``.

    The :math:`\\epsilon` inside the norm keeps the distance (and its
    gradient) finite when :math:`x_1 = x_2`, where :math:`\\|\\cdot\\|_2` has no derivative.

    Parameters
    ----------
    x1, x2 : Tensor (N, D) or (D,)
        Embeddings, broadcast against each other.
    p : float > 0
        Order of the norm.

    Returns
    -------
    Tensor (N,) (or (N, 1) with ``keepdim``).

    Chapter 23: Siamese networks and one-shot learning.
    """
    fn = "pairwise_distance"
    x1, x2 = _embeddings(fn, "x1", x1), _embeddings(fn, "x2", x2)
    p = _number(fn, "p", p, positive=True)
    eps = _number(fn, "eps", eps)
    if x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"{fn}: x1 and x2 must have the same embedding size, got {x1.shape} and {x2.shape}")
    diff = x1 - x2 + eps
    if p == 2.0:
        return ops.sqrt((diff * diff).sum(axis=-1, keepdims=keepdim))
    return (ops.abs(diff) ** p).sum(axis=-1, keepdims=keepdim) ** (1.0 / p)


def distance_matrix(x: Any, eps: float = 1e-6) -> Tensor:
    """All Euclidean distances :math:`D_{ij} = \\|x_i - x_j + \\epsilon\\|_2` between the rows of ``x``.

    Built from the (N, N, D) differences rather than from
    :math:`\\|x_i\\|^2 + \\|x_j\\|^2 - 2 x_i\\cdot x_j`, which cancels badly for
    close points; the :math:`\\epsilon` keeps the diagonal differentiable.

    Parameters
    ----------
    x : Tensor (N, D)

    Returns
    -------
    Tensor (N, N)

    Chapter 23: Siamese networks and one-shot learning.
    """
    fn = "distance_matrix"
    x = _embeddings(fn, "x", x)
    eps = _number(fn, "eps", eps)
    if x.ndim != 2:
        raise ValueError(f"{fn}: x must have shape (N, D), got {x.shape}")
    n, dim = x.shape
    diff = x.reshape(n, 1, dim) - x.reshape(1, n, dim) + eps          # (N, N, D)
    return ops.sqrt((diff * diff).sum(axis=-1))


def contrastive_loss(x1: Any, x2: Any, target: Any, margin: float = 1.0, eps: float = 1e-6,
                     reduction: str = "mean") -> Tensor:
    """The contrastive loss of Hadsell, Chopra and LeCun (2006) for pairs of embeddings.

    With :math:`d = \\|x_1 - x_2 + \\epsilon\\|_2` and :math:`t = 1` for a
    pair of the same class (0 otherwise),

    .. math:: \\ell = \\tfrac12\\, t\\, d^2 + \\tfrac12\\,(1 - t)\\, \\max(0, m - d)^2 ,

    so similar pairs are pulled together and dissimilar pairs pushed until
    they are at least the margin :math:`m` apart (then they cost nothing).
    (Hadsell et al. write :math:`Y = 0` for similar pairs; we use :math:`t = 1`,
    as ``torch.nn.CosineEmbeddingLoss`` does.)

    Parameters
    ----------
    x1, x2 : Tensor (N, D)
    target : array (N,) of 0/1 (bool, int or float)
    margin : float >= 0

    Chapter 23: Siamese networks and one-shot learning.
    """
    fn = "contrastive_loss"
    _check_reduction(fn, reduction)
    margin = _number(fn, "margin", margin)
    d = pairwise_distance(x1, x2, eps=eps)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.shape != d.shape:
        raise ValueError(f"{fn}: target must have shape {d.shape} (one 0/1 per pair), got {t.shape}")
    if t.dtype.kind not in "biuf" or not np.all((t == 0) | (t == 1)):
        raise ValueError(f"{fn}: target must hold only 0 (different classes) and 1 (same class)")
    t = t.astype(d.dtype)
    push = ops.maximum(margin - d, 0.0)
    return _reduce(0.5 * (t * d * d + (1.0 - t) * push * push), reduction)


def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, reduction: str = "mean") -> Tensor:
    """The triplet loss :math:`\\max(0,\\ d(a, p) - d(a, n) + m)` of FaceNet, as ``torch.nn.functional.triplet_margin_loss``.

    :math:`d` is :func:`pairwise_distance` of order ``p``.  The loss is zero
    once the negative is farther from the anchor than the positive by at
    least the margin :math:`m`.  With ``swap=True`` the negative's distance is
    :math:`\\min(d(a, n), d(p, n))`, the "distance swap" of Balntas et al. (2016).

    Parameters
    ----------
    anchor, positive, negative : Tensor (N, D) or (D,)
    margin : float >= 0

    Returns
    -------
    Tensor: scalar, or (N,) with ``reduction="none"``.

    Chapter 23: Siamese networks and one-shot learning.
    """
    fn = "triplet_margin_loss"
    _check_reduction(fn, reduction)
    margin = _number(fn, "margin", margin)
    if not isinstance(swap, bool):
        raise TypeError(f"{fn}: swap must be a bool, got {type(swap).__name__}")
    shapes = [as_tensor(t).shape for t in (anchor, positive, negative)]
    if len(set(shapes)) != 1:
        raise ValueError(f"{fn}: anchor, positive and negative must have the same shape, got {shapes}")
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = ops.minimum(d_an, pairwise_distance(positive, negative, p, eps))
    return _reduce(ops.maximum(d_ap - d_an + margin, 0.0), reduction)


def batch_hard_triplet_loss(embeddings: Any, labels: Any, margin: float = 1.0, eps: float = 1e-6,
                            reduction: str = "mean") -> Tensor:
    """Triplet loss of the hardest positive and hardest negative of every anchor in the batch.

    Hermans, Beyer and Leibe (2017): for anchor :math:`i`,

    .. math:: \\ell_i = \\max\\Big(0,\\ \\max_{j:\\,y_j = y_i,\\, j\\ne i} D_{ij}
              - \\min_{k:\\,y_k \\ne y_i} D_{ik} + m\\Big),

    with :math:`D` the :func:`distance_matrix` of the batch.  Anchors with no
    positive or no negative in the batch are left out; a batch with no usable
    anchor is an error (sample P classes times K > 1 examples).

    Parameters
    ----------
    embeddings : Tensor (N, D)
    labels : array (N,) of int

    Returns
    -------
    Tensor: scalar, or one loss per usable anchor with ``reduction="none"``.

    Chapter 23: Siamese networks and one-shot learning.
    """
    fn = "batch_hard_triplet_loss"
    _check_reduction(fn, reduction)
    margin = _number(fn, "margin", margin)
    x = _embeddings(fn, "embeddings", embeddings)
    if x.ndim != 2:
        raise ValueError(f"{fn}: embeddings must have shape (N, D), got {x.shape}")
    y = _labels(fn, labels, x.shape[0])
    same = y[:, None] == y[None, :]
    pos_mask = same & ~np.eye(len(y), dtype=bool)
    usable = pos_mask.any(axis=1) & (~same).any(axis=1)
    if not usable.any():
        raise ValueError(f"{fn}: no anchor has both a positive and a negative in the batch; "
                         "sample several classes with at least two examples each")
    d = distance_matrix(x, eps)[usable]                                  # (A, N)
    pos_mask, neg_mask = pos_mask[usable], ~same[usable]
    hardest_pos = ops.where(pos_mask, d, 0.0).max(axis=1)               # distances are >= 0
    far = float(d.data.max()) + 1.0
    hardest_neg = -(ops.where(neg_mask, -d, -far).max(axis=1))
    return _reduce(ops.maximum(hardest_pos - hardest_neg + margin, 0.0), reduction)


def semi_hard_triplets(embeddings: Any, labels: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index triplets ``(anchor, positive, negative)`` with FaceNet's semi-hard negatives.

    For every ordered positive pair :math:`(a, p)` of the batch, the negative
    is the *closest* negative that is still *farther* than the positive,
    :math:`n = \\arg\\min \\{D_{an} : y_n \\ne y_a,\\ D_{an} > D_{ap}\\}`
    (Schroff et al., 2015); when every negative is closer than the positive,
    the farthest negative is used (as TensorFlow Addons' semi-hard loss does).
    The hardest negatives of all, much closer than the positive, tend to
    collapse training early on; semi-hard ones are informative but not
    overwhelming.  Selection uses the current embeddings as constants: feed
    the indices to :func:`triplet_margin_loss`.

    Parameters
    ----------
    embeddings : Tensor or ndarray (N, D)
    labels : array (N,) of int

    Returns
    -------
    Three int arrays of the same length (T,).

    Chapter 23: Siamese networks and one-shot learning.
    """
    fn = "semi_hard_triplets"
    x = np.asarray(embeddings.data if isinstance(embeddings, Tensor) else embeddings, dtype=np.float64)
    if x.ndim != 2 or x.size == 0:
        raise ValueError(f"{fn}: embeddings must have shape (N, D), got {x.shape}")
    y = _labels(fn, labels, x.shape[0])
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    same = y[:, None] == y[None, :]
    anchors, positives = np.nonzero(same & ~np.eye(len(y), dtype=bool))
    keep = (~same[anchors]).any(axis=1)
    anchors, positives = anchors[keep], positives[keep]
    if anchors.size == 0:
        raise ValueError(f"{fn}: no anchor has both a positive and a negative in the batch")
    d_an = np.where(~same[anchors], d[anchors], np.nan)                 # (T, N), NaN on non-negatives
    d_ap = d[anchors, positives][:, None]
    outside = np.where(d_an > d_ap, d_an, np.inf)
    has_outside = np.isfinite(outside).any(axis=1)
    negatives = np.where(has_outside, np.argmin(outside, axis=1), np.nanargmax(d_an, axis=1))
    return anchors, positives, negatives
