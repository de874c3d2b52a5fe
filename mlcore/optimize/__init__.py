"""Global and local optimisation in NumPy.

Chapter 10: Global and local optimisation.

* Local, deterministic: :func:`nelder_mead`, :func:`bfgs` (with
  :func:`line_search_wolfe`, a strong-Wolfe line search).
* Randomised: :func:`hill_climbing`, :func:`simulated_annealing`,
  :func:`genetic_algorithm`, :func:`particle_swarm`.
* Test functions with known minima: :class:`Sphere`, :class:`Rosenbrock`,
  :class:`Rastrigin`, :class:`Ackley`, :class:`Himmelblau`.

Every method takes a budget ``max_fev`` of function evaluations (and an
explicit ``rng`` where random) and returns an :class:`OptimizeResult`.
"""

from ._common import OptimizeResult
from .functions import Ackley, Benchmark, Himmelblau, Rastrigin, Rosenbrock, Sphere
from .local import LineSearchResult, bfgs, line_search_wolfe, nelder_mead, numerical_gradient
from .stochastic import genetic_algorithm, hill_climbing, particle_swarm, simulated_annealing

__all__ = [
    "OptimizeResult",
    "Benchmark",
    "Sphere",
    "Rosenbrock",
    "Rastrigin",
    "Ackley",
    "Himmelblau",
    "nelder_mead",
    "bfgs",
    "line_search_wolfe",
    "LineSearchResult",
    "numerical_gradient",
    "hill_climbing",
    "simulated_annealing",
    "genetic_algorithm",
    "particle_swarm",
]
