"""Layers: dense, embedding, reshaping, dropout, activation modules and loss modules.

Activation and loss modules are thin wrappers of :mod:`mlcore.functional`,
so that a model can be written as a :class:`~mlcore.nn.Sequential` and a loss
configured once.  Batch and layer normalisation are in
:mod:`mlcore.nn.normalization`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcore import functional as F
from mlcore._checks import check_int
from mlcore.nn.module import Module, Parameter
from mlcore.tensor import Tensor, as_tensor

__all__ = [
    "Linear", "Embedding", "Flatten", "Identity", "Dropout",
    "ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss", "KLDivGaussian",
]


class Linear(Module):
    """Dense layer :math:`y = xW + b` (chapter 6 derives its backward pass).

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output sample.
    bias : bool
        Whether to add the learnable bias ``b``.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights, drawn uniformly from
        :math:`[-1/\\sqrt{\\text{in}}, 1/\\sqrt{\\text{in}}]`.

    Notes
    -----
    ``weight`` has shape ``(in_features, out_features)``, so that a batch
    ``x`` of shape ``(N, in_features)`` maps to ``x @ weight`` of shape
    ``(N, out_features)``, the convention of the book's derivations.
    (PyTorch stores the transpose.)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng=None):
        in_features = check_int("Linear", "in_features", in_features)
        out_features = check_int("Linear", "out_features", out_features)
        rng = np.random.default_rng(rng)
        bound = 1.0 / np.sqrt(in_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(rng.uniform(-bound, bound, size=(in_features, out_features)))
        self.bias = Parameter(rng.uniform(-bound, bound, size=out_features)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}): expected input with last "
                f"dimension {self.in_features}, got shape {x.shape}"
            )
        y = x @ self.weight
        return y + self.bias if self.bias is not None else y

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` is the learned vector of token ``i``.

    Parameters
    ----------
    num_embeddings : int
        Size of the vocabulary.
    embedding_dim : int
        Length of each vector.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights, :math:`\\mathcal N(0, 1)`.

    ``forward(indices)`` takes integers of any shape ``S`` in ``0 .. num_embeddings-1``
    and returns shape ``S + (embedding_dim,)``.  It equals multiplying one-hot
    vectors by ``weight``, so the gradient of a row is the sum of the gradients
    of every position that looked it up (repeated indices accumulate): the
    weight gradient of a dense layer on one-hot inputs, which Chapter 6:
    Backpropagation derives.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, rng=None):
        if num_embeddings <= 0 or embedding_dim <= 0:
            raise ValueError(
                f"Embedding: sizes must be positive, got num_embeddings={num_embeddings}, "
                f"embedding_dim={embedding_dim}"
            )
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(np.random.default_rng(rng).standard_normal((num_embeddings, embedding_dim)))

    def forward(self, indices: Any) -> Tensor:
        idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        name = f"Embedding({self.num_embeddings}, {self.embedding_dim})"
        if idx.dtype.kind not in "iu":
            raise TypeError(f"{name}: indices must be integers, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            raise ValueError(
                f"{name}: indices must lie in 0..{self.num_embeddings - 1}, got values from "
                f"{idx.min()} to {idx.max()}"
            )
        return self.weight[idx]  # (*S,) -> (*S, embedding_dim); backward uses np.add.at

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class Flatten(Module):
    """Merge axes ``start_dim .. end_dim`` into one: ``(N, C, H, W) -> (N, C*H*W)`` by default.

    Chapter 14: Convolutional networks.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        start, end = self.start_dim, self.end_dim
        if not (-x.ndim <= start < x.ndim and -x.ndim <= end < x.ndim) or start % x.ndim > end % x.ndim:
            raise ValueError(
                f"Flatten(start_dim={start}, end_dim={end}): cannot flatten an input of shape {x.shape}"
            )
        start, end = start % x.ndim, end % x.ndim
        return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Return the input unchanged (a placeholder, or the linear activation).

    Chapter 5: Neurons, layers and activations.
    """

    def forward(self, x: Any) -> Tensor:
        return F.identity(x)


class Dropout(Module):
    """Inverted dropout (Chapter 12: Regularisation).

    In training mode each entry is zeroed with probability ``p`` and the rest
    are scaled by :math:`1/(1-p)`; after :meth:`eval` the layer is the identity.

    Parameters
    ----------
    p : float in [0, 1)
        Probability of dropping a unit.
    rng : numpy.random.Generator or int, optional
        Source of the masks. The layer keeps one generator, so a given seed
        reproduces the whole sequence of masks.
    """

    def __init__(self, p: float = 0.5, rng=None):
        self.p = F._check_dropout_p("Dropout", p)
        self.rng = np.random.default_rng(rng)

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, training=self.training, rng=self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


# ---------------------------------------------------------------------------
# Activations (Chapter 5: Neurons, layers and activations)
# ---------------------------------------------------------------------------


class ReLU(Module):
    """Module form of :func:`mlcore.functional.relu`.

    Chapter 5: Neurons, layers and activations.
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """Module form of :func:`mlcore.functional.leaky_relu`.

    Chapter 5: Neurons, layers and activations.
    """

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = F._check_number("LeakyReLU", "negative_slope", negative_slope, 0, True)

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """Module form of :func:`mlcore.functional.elu`.

    Chapter 5: Neurons, layers and activations.
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = F._check_number("ELU", "alpha", alpha, 0, False)

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """Module form of :func:`mlcore.functional.gelu` (exact erf form).

    Chapter 5: Neurons, layers and activations.
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x)


class Sigmoid(Module):
    """Module form of :func:`mlcore.functional.sigmoid`.

    Chapter 5: Neurons, layers and activations.
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """Module form of :func:`mlcore.functional.tanh`.

    Chapter 5: Neurons, layers and activations.
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Softmax(Module):
    """Module form of :func:`mlcore.functional.softmax` along ``axis``.

    Chapter 5: Neurons, layers and activations.
    """

    def __init__(self, axis: int = -1):
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """Module form of :func:`mlcore.functional.log_softmax` along ``axis``.

    Chapter 5: Neurons, layers and activations.
    """

    def __init__(self, axis: int = -1):
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


# ---------------------------------------------------------------------------
# Losses (Chapter 8: Losses and the training loop)
# ---------------------------------------------------------------------------


class _Loss(Module):
    """A loss module: remembers its ``reduction`` ('mean', 'sum' or 'none')."""

    def __init__(self, reduction: str = "mean"):
        F._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """``MSELoss()(pred, target)`` is :func:`mlcore.functional.mse_loss`.

    Chapter 8: Losses and the training loop.
    """

    def forward(self, pred: Any, target: Any) -> Tensor:
        return F.mse_loss(pred, target, reduction=self.reduction)


class L1Loss(_Loss):
    """``L1Loss()(pred, target)`` is :func:`mlcore.functional.l1_loss`.

    Chapter 8: Losses and the training loop.
    """

    def forward(self, pred: Any, target: Any) -> Tensor:
        return F.l1_loss(pred, target, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """``CrossEntropyLoss()(logits, labels)`` is :func:`mlcore.functional.cross_entropy`.

    Chapter 8: Losses and the training loop.
    """

    def forward(self, logits: Any, labels: Any) -> Tensor:
        return F.cross_entropy(logits, labels, reduction=self.reduction)


class NLLLoss(_Loss):
    """``NLLLoss()(log_probs, labels)`` is :func:`mlcore.functional.nll_loss`.

    Chapter 8: Losses and the training loop.
    """

    def forward(self, log_probs: Any, labels: Any) -> Tensor:
        return F.nll_loss(log_probs, labels, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``BCEWithLogitsLoss()(logits, target)`` is :func:`mlcore.functional.binary_cross_entropy_with_logits`.

    Chapter 8: Losses and the training loop.
    """

    def forward(self, logits: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(logits, target, reduction=self.reduction)


class KLDivGaussian(_Loss):
    """``KLDivGaussian()(mu, logvar[, mu_prior, logvar_prior])`` is :func:`mlcore.functional.kl_div_gaussian`.

    The KL term of a VAE (Chapter 20: Autoencoders and variational autoencoders); ``'mean'`` averages
    over the batch.
    """

    def forward(self, mu: Any, logvar: Any, mu_prior: Any = None, logvar_prior: Any = None) -> Tensor:
        return F.kl_div_gaussian(mu, logvar, mu_prior, logvar_prior, reduction=self.reduction)
