r"""Classic test functions for optimisers, with their known minima.

Chapter 10: Global and local optimisation.

Each function takes points of shape (..., d) (one point (d,) or a batch
(m, d)) and returns values of shape (...).  ``minimisers`` (m, d) lists the
global minimisers, ``f_min`` the minimum value and ``bounds`` (d, 2) the usual
search box.  The smooth ones have ``gradient``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Benchmark", "Sphere", "Rosenbrock", "Rastrigin", "Ackley", "Himmelblau"]


class Benchmark:
    """Base of the test functions: dimension, minimisers, minimum value, search box.

    Chapter 10: Global and local optimisation.
    """

    name = "benchmark"
    f_min = 0.0

    def __init__(self, dim: int = 2) -> None:
        if dim < 1:
            raise ValueError(f"dim must be >= 1; got {dim}")
        self.dim = dim

    @property
    def minimisers(self) -> np.ndarray:
        """Global minimisers, shape (m, d)."""
        return np.zeros((1, self.dim))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim})"


class Sphere(Benchmark):
    r""":math:`f(x) = \sum_i x_i^2`; minimum 0 at the origin.  Chapter 10: Global and local optimisation."""

    name = "sphere"

    @property
    def bounds(self) -> np.ndarray:
        return np.tile([-5.12, 5.12], (self.dim, 1))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.sum(np.asarray(x) ** 2, axis=-1)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        return 2.0 * np.asarray(x, dtype=np.float64)


class Rosenbrock(Benchmark):
    r""":math:`f(x) = \sum_{i=1}^{d-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2`; minimum 0 at (1, ..., 1).

    Chapter 10: Global and local optimisation.  A curved, narrow valley: easy
    to find, slow to follow.
    """

    name = "rosenbrock"

    def __init__(self, dim: int = 2) -> None:
        if dim < 2:
            raise ValueError(f"Rosenbrock needs dim >= 2; got {dim}")
        super().__init__(dim)

    @property
    def minimisers(self) -> np.ndarray:
        return np.ones((1, self.dim))

    @property
    def bounds(self) -> np.ndarray:
        return np.tile([-2.048, 2.048], (self.dim, 1))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        a, b = x[..., :-1], x[..., 1:]
        return np.sum(100.0 * (b - a**2) ** 2 + (1.0 - a) ** 2, axis=-1)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        a, b = x[..., :-1], x[..., 1:]
        inner = 200.0 * (b - a**2)  # d/db of the first term
        g = np.zeros_like(x)
        g[..., :-1] += -2.0 * a * inner - 2.0 * (1.0 - a)
        g[..., 1:] += inner
        return g


class Rastrigin(Benchmark):
    r""":math:`f(x) = 10 d + \sum_i \big(x_i^2 - 10 \cos 2\pi x_i\big)`; minimum 0 at the origin.

    Chapter 10: Global and local optimisation.  A bowl covered in a regular
    grid of local minima (about :math:`11^d` in the usual box).
    """

    name = "rastrigin"

    @property
    def bounds(self) -> np.ndarray:
        return np.tile([-5.12, 5.12], (self.dim, 1))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return 10.0 * x.shape[-1] + np.sum(x**2 - 10.0 * np.cos(2.0 * np.pi * x), axis=-1)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return 2.0 * x + 20.0 * np.pi * np.sin(2.0 * np.pi * x)


class Ackley(Benchmark):
    r""":math:`f(x) = -20 e^{-0.2\sqrt{\overline{x^2}}} - e^{\overline{\cos 2\pi x}} + 20 + e`; minimum 0 at the origin.

    Chapter 10: Global and local optimisation.  Nearly flat far out, many
    shallow local minima, one sharp funnel at the origin (not differentiable
    there, so no gradient is given).
    """

    name = "ackley"

    @property
    def bounds(self) -> np.ndarray:
        return np.tile([-32.768, 32.768], (self.dim, 1))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        rms = np.sqrt(np.mean(x**2, axis=-1))
        return -20.0 * np.exp(-0.2 * rms) - np.exp(np.mean(np.cos(2.0 * np.pi * x), axis=-1)) + 20.0 + np.e


class Himmelblau(Benchmark):
    r""":math:`f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2`; four global minima, all with value 0.

    Chapter 10: Global and local optimisation.  Two-dimensional only.
    """

    name = "himmelblau"

    def __init__(self, dim: int = 2) -> None:
        if dim != 2:
            raise ValueError(f"Himmelblau is defined in 2 dimensions; got dim={dim}")
        super().__init__(2)

    @property
    def minimisers(self) -> np.ndarray:
        return np.array(
            [
                [3.0, 2.0],
                [-2.805118086952745, 3.131312518250573],
                [-3.779310253377747, -3.283185991286170],
                [3.584428340330492, -1.848126526964404],
            ]
        )

    @property
    def bounds(self) -> np.ndarray:
        return np.tile([-5.0, 5.0], (2, 1))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        u, v = x[..., 0], x[..., 1]
        return (u**2 + v - 11.0) ** 2 + (u + v**2 - 7.0) ** 2

    def gradient(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        u, v = x[..., 0], x[..., 1]
        a, b = u**2 + v - 11.0, u + v**2 - 7.0
        return np.stack([4.0 * u * a + 2.0 * b, 2.0 * a + 4.0 * v * b], axis=-1)
