"""Generative models: the pieces of a variational autoencoder and of a GAN.

* Chapter 20: Autoencoders and variational autoencoders -- reparametrised
  sampling, Gaussian and Bernoulli log-densities, the :class:`VAE` with its
  evidence lower bound (ELBO) and the importance-weighted bound (IWAE) on
  :math:`\\log p(x)`.  The closed-form Gaussian KL divergence is
  :func:`mlcore.functional.kl_div_gaussian`.
* Chapter 21: Generative adversarial networks -- the discriminator and
  generator losses (saturating and non-saturating), PacGAN packing, the
  ring and grid of Gaussians and the mode-coverage statistics measured on them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import logsumexp

from mlcore import functional as F
from mlcore._random import check_rng
from mlcore.nn.layers import Linear, ReLU
from mlcore.nn.module import Module, Sequential
from mlcore.tensor import Tensor, as_tensor, no_grad

__all__ = [
    "reparameterize", "gaussian_log_prob", "bernoulli_log_prob", "log_mean_exp", "VAE",
    "gan_discriminator_loss", "gan_generator_loss", "pack",
    "ring_of_gaussians", "grid_of_gaussians", "mode_statistics",
]

_LOG_2PI = math.log(2.0 * math.pi)


def _float(fn: str, name: str, x: Any, like: Tensor | None = None) -> Tensor:
    if like is not None and not isinstance(x, Tensor):
        x = Tensor(x, dtype=like.dtype)  # plain arrays follow the tensor they meet
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: {name} must be floating point, got dtype {x.dtype}")
    return x


def _same_shape(fn: str, **tensors: Tensor) -> None:
    shapes = {name: t.shape for name, t in tensors.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"{fn}: shapes must match, got " + ", ".join(f"{k} {v}" for k, v in shapes.items()))


def _positive_int(fn: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{fn}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _positive(fn: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not value > 0:
        raise ValueError(f"{fn}: {name} must be a positive number, got {value!r}")
    return float(value)


# ---------------------------------------------------------------------------
# Chapter 20: Autoencoders and variational autoencoders
# ---------------------------------------------------------------------------


def reparameterize(mu: Any, logvar: Any, rng: Any = None) -> Tensor:
    """A differentiable sample :math:`z = \\mu + e^{v/2} \\odot \\varepsilon`, :math:`\\varepsilon \\sim \\mathcal N(0, I)`.

    The randomness sits in :math:`\\varepsilon`, which does not depend on the
    parameters, so gradients reach :math:`\\mu` and :math:`v = \\log\\sigma^2`
    through an ordinary deterministic function (the reparametrisation trick):
    :math:`\\partial z/\\partial\\mu = 1`, :math:`\\partial z/\\partial v = \\tfrac12 e^{v/2}\\varepsilon`.

    Parameters
    ----------
    mu, logvar : Tensor, the same shape (N, D)
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    Tensor of shape (N, D), the dtype of ``mu``.

    Chapter 20: Autoencoders and variational autoencoders.
    """
    fn = "reparameterize"
    mu, logvar = _float(fn, "mu", mu), _float(fn, "logvar", logvar)
    _same_shape(fn, mu=mu, logvar=logvar)
    eps = check_rng(rng).standard_normal(mu.shape).astype(mu.dtype)
    return mu + (logvar * 0.5).exp() * Tensor(eps, dtype=mu.dtype)


def gaussian_log_prob(z: Any, mu: Any, logvar: Any) -> Tensor:
    """Log-density of a diagonal Gaussian, summed over the last axis.

    .. math:: \\log \\mathcal N(z; \\mu, \\mathrm{diag}\\,e^{v}) = -\\tfrac12 \\sum_j
              \\big(\\log 2\\pi + v_j + (z_j - \\mu_j)^2 e^{-v_j}\\big).

    Parameters
    ----------
    z : Tensor, shape (..., D)
    mu, logvar : Tensor, broadcastable to the shape of ``z``

    Returns
    -------
    Tensor of shape ``z.shape[:-1]``.

    Chapter 20: Autoencoders and variational autoencoders.
    """
    fn = "gaussian_log_prob"
    z = _float(fn, "z", z)
    mu, logvar = _float(fn, "mu", mu, like=z), _float(fn, "logvar", logvar, like=z)
    try:
        shape = np.broadcast_shapes(z.shape, mu.shape, logvar.shape)
    except ValueError:
        shape = None
    if shape != z.shape or z.ndim == 0:
        raise ValueError(f"{fn}: mu {mu.shape} and logvar {logvar.shape} must broadcast to z's shape {z.shape}")
    diff = z - mu
    return (diff * diff * (-logvar).exp() + logvar + _LOG_2PI).sum(axis=-1) * -0.5


def bernoulli_log_prob(x: Any, logits: Any) -> Tensor:
    """Log-probability of binary data under independent Bernoullis with logits, summed over the last axis.

    .. math:: \\log p(x) = \\sum_j \\big(x_j \\log\\sigma(l_j) + (1-x_j)\\log(1-\\sigma(l_j))\\big),

    i.e. minus the summed binary cross-entropy (computed stably from the logits).

    Parameters
    ----------
    x : array_like, shape (N, D), values in [0, 1]
    logits : Tensor, shape (N, D)

    Returns
    -------
    Tensor of shape (N,), in nats.

    Chapter 20: Autoencoders and variational autoencoders.
    """
    logits = _float("bernoulli_log_prob", "logits", logits)
    if logits.ndim != 2:
        raise ValueError(f"bernoulli_log_prob: logits must have shape (N, D), got {logits.shape}")
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(axis=1)


def log_mean_exp(a: Any, axis: int = 0) -> np.ndarray:
    """:math:`\\log \\frac1K \\sum_k e^{a_k}` along ``axis``, computed without overflow (a plain array).

    Chapter 20: Autoencoders and variational autoencoders (the IWAE bound).
    """
    a = np.asarray(a.data if isinstance(a, Tensor) else a, dtype=np.float64)
    if a.ndim == 0 or a.shape[axis] == 0:
        raise ValueError(f"log_mean_exp: need a non-empty axis {axis}, got shape {a.shape}")
    return logsumexp(a, axis=axis) - math.log(a.shape[axis])


class VAE(Module):
    """A variational autoencoder with Gaussian encoder, standard-normal prior and Bernoulli decoder.

    Encoder: :math:`x \\mapsto h = \\mathrm{ReLU}(x W_1 + b_1) \\mapsto (\\mu, v)`, the two halves
    of one linear layer of width :math:`2d`; decoder: :math:`z \\mapsto` ReLU hidden layer
    :math:`\\mapsto` logits of :math:`p(x \\mid z)`.  Per example,

    .. math:: \\mathrm{ELBO}(x) = \\mathbb E_{q(z\\mid x)}[\\log p(x\\mid z)] -
              \\mathrm{KL}(q(z\\mid x) \\,\\|\\, \\mathcal N(0, I)),

    estimated with one reparametrised sample; the KL term is in closed form.

    Parameters
    ----------
    n_in : int
        Data dimension :math:`D` (64 for 8x8 digits).
    n_hidden : int
        Width of the hidden layer of the encoder and of the decoder.
    n_latent : int
        Latent dimension :math:`d`.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights.

    Chapter 20: Autoencoders and variational autoencoders.
    """

    def __init__(self, n_in: int, n_hidden: int, n_latent: int, rng: Any = None):
        for name, value in (("n_in", n_in), ("n_hidden", n_hidden), ("n_latent", n_latent)):
            _positive_int("VAE", name, value)
        rng = check_rng(rng)
        self.n_in, self.n_latent = n_in, n_latent
        self.encoder = Sequential(Linear(n_in, n_hidden, rng=rng), ReLU(), Linear(n_hidden, 2 * n_latent, rng=rng))
        self.decoder = Sequential(Linear(n_latent, n_hidden, rng=rng), ReLU(), Linear(n_hidden, n_in, rng=rng))

    def encode(self, x: Any) -> tuple[Tensor, Tensor]:
        """The posterior's mean and log-variance, each of shape (N, d)."""
        h = self.encoder(as_tensor(x))
        return h[:, : self.n_latent], h[:, self.n_latent:]

    def decode(self, z: Any) -> Tensor:
        """Logits of :math:`p(x \\mid z)`, shape (N, D)."""
        return self.decoder(as_tensor(z))

    def forward(self, x: Any, rng: Any = None) -> tuple[Tensor, Tensor, Tensor]:
        """``(logits, mu, logvar)`` for one reparametrised sample per example."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, rng)), mu, logvar

    def elbo_terms(self, x: Any, rng: Any = None) -> tuple[Tensor, Tensor]:
        """Per-example reconstruction term :math:`\\log p(x\\mid z)` (one sample) and KL, each shape (N,), in nats."""
        x = as_tensor(x)
        logits, mu, logvar = self(x, rng)
        return bernoulli_log_prob(x, logits), F.kl_div_gaussian(mu, logvar, reduction="none")

    def loss(self, x: Any, rng: Any = None, beta: float = 1.0) -> Tensor:
        """The negative (beta-weighted) ELBO, **averaged over examples** (nats per example).

        Both terms are summed over pixels and latent dimensions and both are
        averaged over the batch, so that ``beta = 1`` gives the true bound.
        """
        if isinstance(beta, bool) or not isinstance(beta, (int, float, np.number)) or beta < 0:
            raise ValueError(f"VAE.loss: beta must be a non-negative number, got {beta!r}")
        rec, kl = self.elbo_terms(x, rng)
        return (kl * beta - rec).mean()

    def iwae_bound(self, x: Any, k: int, rng: Any = None, chunk: int = 100) -> np.ndarray:
        """Importance-weighted lower bound on :math:`\\log p(x)` with ``k`` samples, per example (array, nats).

        .. math:: \\mathcal L_K(x) = \\mathbb E\\Big[\\log \\frac1K \\sum_{k=1}^K
                  \\frac{p(x\\mid z_k)\\,p(z_k)}{q(z_k\\mid x)}\\Big], \\quad z_k \\sim q(z\\mid x),

        estimated with one draw of the ``k`` samples (Burda et al., 2016).  ``k = 1`` is the
        ELBO; the bound rises with ``k`` towards :math:`\\log p(x)`.  ``chunk`` samples are
        decoded at a time to bound memory.
        """
        k, chunk = _positive_int("iwae_bound", "k", k), _positive_int("iwae_bound", "chunk", chunk)
        rng = check_rng(rng)
        x = np.asarray(x.data if isinstance(x, Tensor) else x)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"iwae_bound: x must have shape (N, {self.n_in}), got {x.shape}")
        with no_grad():
            mu, logvar = (t.data for t in self.encode(Tensor(x)))
            log_w = []
            for start in range(0, k, chunk):
                m = min(chunk, k - start)
                eps = rng.standard_normal((m,) + mu.shape).astype(mu.dtype)
                z = (mu + np.exp(0.5 * logvar) * eps).reshape(-1, self.n_latent)  # (m*N, d)
                xs = np.broadcast_to(x, (m,) + x.shape).reshape(-1, self.n_in)
                log_px = bernoulli_log_prob(xs, self.decode(Tensor(z))).data
                log_pz = -0.5 * (z * z + _LOG_2PI).sum(axis=1)
                log_qz = -0.5 * (eps * eps + logvar + _LOG_2PI).sum(axis=2).reshape(-1)
                log_w.append((log_px + log_pz - log_qz).reshape(m, -1))
        return log_mean_exp(np.concatenate(log_w, axis=0), axis=0)


# ---------------------------------------------------------------------------
# Chapter 21: Generative adversarial networks
# ---------------------------------------------------------------------------


def gan_discriminator_loss(real_logits: Any, fake_logits: Any) -> Tensor:
    """The discriminator's loss: minus the GAN value function, estimated on a batch.

    .. math:: L_D = -\\frac1n\\sum_i \\log D(x_i) - \\frac1m\\sum_j \\log(1 - D(G(z_j))),

    with :math:`D = \\sigma(\\text{logit})`, i.e. binary cross-entropy with label 1 for
    real and 0 for generated samples.

    Parameters
    ----------
    real_logits : Tensor, shape (n,) or (n, 1)
    fake_logits : Tensor, shape (m,) or (m, 1)

    Chapter 21: Generative adversarial networks.
    """
    real = _float("gan_discriminator_loss", "real_logits", real_logits)
    fake = _float("gan_discriminator_loss", "fake_logits", fake_logits)
    return (F.binary_cross_entropy_with_logits(real, np.ones(real.shape))
            + F.binary_cross_entropy_with_logits(fake, np.zeros(fake.shape)))


def gan_generator_loss(fake_logits: Any, saturating: bool = False) -> Tensor:
    """The generator's loss on a batch of discriminator logits for generated samples.

    * saturating (the minimax game itself): :math:`\\frac1m\\sum_j \\log(1 - D(G(z_j)))`,
      whose derivative with respect to the logit, :math:`-D`, vanishes when the
      discriminator confidently rejects the fakes;
    * non-saturating (default, Goodfellow et al., 2014): :math:`-\\frac1m\\sum_j \\log D(G(z_j))`,
      derivative :math:`-(1 - D)`, large exactly then.

    Chapter 21: Generative adversarial networks.
    """
    if not isinstance(saturating, (bool, np.bool_)):
        raise TypeError(f"gan_generator_loss: saturating must be True or False, got {saturating!r}")
    fake = _float("gan_generator_loss", "fake_logits", fake_logits)
    if saturating:
        return -F.binary_cross_entropy_with_logits(fake, np.zeros(fake.shape))
    return F.binary_cross_entropy_with_logits(fake, np.ones(fake.shape))


def pack(x: Any, packing: int) -> Tensor:
    """PacGAN packing: concatenate groups of ``packing`` consecutive samples, (N, D) -> (N/m, m D).

    The discriminator then judges ``m`` samples jointly, all real or all generated
    (Lin et al., 2018), which penalises a generator whose samples lack diversity.

    Chapter 21: Generative adversarial networks.
    """
    packing = _positive_int("pack", "packing", packing)
    x = as_tensor(x)
    if x.ndim != 2:
        raise ValueError(f"pack: x must have shape (N, D), got {x.shape}")
    if x.shape[0] % packing:
        raise ValueError(f"pack: the batch size {x.shape[0]} is not a multiple of packing={packing}")
    return x.reshape(x.shape[0] // packing, packing * x.shape[1])


def _mixture(centers: np.ndarray, n_samples: int, std: float, rng: Any) -> np.ndarray:
    rng = check_rng(rng)
    idx = rng.integers(0, len(centers), n_samples)
    return centers[idx] + std * rng.standard_normal((n_samples, 2))


def ring_of_gaussians(n_samples: int, n_modes: int = 8, radius: float = 1.0, std: float = 0.05,
                      rng: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Samples from ``n_modes`` equally weighted 2-D Gaussians with centres on a circle.

    Centre :math:`k` is :math:`r(\\cos 2\\pi k/M, \\sin 2\\pi k/M)`; every component has
    covariance :math:`\\text{std}^2 I`.

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    centers : ndarray, shape (n_modes, 2)

    Chapter 21: Generative adversarial networks.
    """
    fn = "ring_of_gaussians"
    n_samples, n_modes = _positive_int(fn, "n_samples", n_samples), _positive_int(fn, "n_modes", n_modes)
    radius, std = _positive(fn, "radius", radius), _positive(fn, "std", std)
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    centers = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    return _mixture(centers, n_samples, std, rng), centers


def grid_of_gaussians(n_samples: int, side: int = 5, spacing: float = 2.0, std: float = 0.05,
                      rng: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Samples from ``side**2`` equally weighted 2-D Gaussians on a square grid centred at 0.

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    centers : ndarray, shape (side**2, 2)

    Chapter 21: Generative adversarial networks.
    """
    fn = "grid_of_gaussians"
    n_samples, side = _positive_int(fn, "n_samples", n_samples), _positive_int(fn, "side", side)
    spacing, std = _positive(fn, "spacing", spacing), _positive(fn, "std", std)
    ticks = spacing * (np.arange(side) - (side - 1) / 2)
    centers = np.array([(a, b) for a in ticks for b in ticks])
    return _mixture(centers, n_samples, std, rng), centers


def mode_statistics(samples: Any, centers: Any, std: float, n_std: float = 3.0,
                    min_share: float = 0.2) -> dict[str, Any]:
    """Mode coverage of 2-D samples from a generator trained on a Gaussian mixture.

    Each sample is assigned to its nearest centre and called *high quality* if it lies
    within ``n_std`` standard deviations of it.  With :math:`M` modes and :math:`n` samples:

    * ``high_quality``: the share of high-quality samples;
    * ``modes``: the number of modes that received at least ``min_share`` times their
      fair share :math:`n/M` of high-quality samples (captured modes);
    * ``kl``: :math:`\\mathrm{KL}(\\hat p \\,\\|\\, \\mathcal U) = \\sum_k \\hat p_k \\log(M \\hat p_k)`,
      where :math:`\\hat p` is the histogram of high-quality samples over modes (0 when the
      samples spread evenly, :math:`\\log M` when they all fall on one mode; ``inf`` if no
      sample is high quality);
    * ``counts``: the histogram itself (ndarray of shape (M,)).

    Chapter 21: Generative adversarial networks.
    """
    fn = "mode_statistics"
    x = np.asarray(samples.data if isinstance(samples, Tensor) else samples, dtype=np.float64)
    c = np.asarray(centers, dtype=np.float64)
    if x.ndim != 2 or c.ndim != 2 or x.shape[1] != c.shape[1] or len(x) == 0 or len(c) == 0:
        raise ValueError(f"{fn}: samples (n, D) and centers (M, D) must be non-empty with the same D, "
                         f"got {x.shape} and {c.shape}")
    std, n_std = _positive(fn, "std", std), _positive(fn, "n_std", n_std)
    if not 0 <= min_share <= 1:
        raise ValueError(f"{fn}: min_share must lie in [0, 1], got {min_share!r}")
    d2 = ((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)  # (n, M)
    nearest = d2.argmin(axis=1)
    good = np.sqrt(d2[np.arange(len(x)), nearest]) <= n_std * std
    counts = np.bincount(nearest[good], minlength=len(c))
    total = counts.sum()
    if total == 0:
        kl = math.inf
    else:
        p = counts[counts > 0] / total
        kl = float(np.sum(p * np.log(len(c) * p)))
    return {
        "high_quality": float(good.mean()),
        "modes": int(np.sum(counts >= min_share * len(x) / len(c))),
        "kl": kl,
        "counts": counts,
    }
