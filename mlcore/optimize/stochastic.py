r"""Randomised search: hill climbing, simulated annealing, a genetic algorithm, particle swarm.

Chapter 10: Global and local optimisation.

Every method draws its randomness from an explicit ``rng``, counts every
evaluation of f against ``max_fev`` and returns an
:class:`~mlcore.optimize.OptimizeResult`.  Points are kept inside ``bounds``
by clipping.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from mlcore._checks import check_int, check_number

from ._common import BudgetExhausted, Objective, OptimizeResult, check_bounds, check_budget, check_rng, check_x0

__all__ = ["hill_climbing", "simulated_annealing", "genetic_algorithm", "particle_swarm"]

Function = Callable[[np.ndarray], float]


def _start(x0: np.ndarray, bounds: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    x0 = check_x0(x0)
    if bounds is None:
        return x0, None
    bounds = check_bounds(bounds, x0.size)
    if np.any(x0 < bounds[:, 0]) or np.any(x0 > bounds[:, 1]):
        raise ValueError(f"x0={x0} lies outside bounds {bounds.tolist()}")
    return x0, bounds


def _clip(x: np.ndarray, bounds: np.ndarray | None) -> np.ndarray:
    return x if bounds is None else np.clip(x, bounds[:, 0], bounds[:, 1])


def _budget_message(max_fev: int) -> str:
    return f"budget of max_fev={max_fev} evaluations used"


def hill_climbing(
    f: Function,
    x0: np.ndarray,
    *,
    step_size: float = 0.1,
    bounds: np.ndarray | None = None,
    max_fev: int = 1000,
    rng: np.random.Generator | int | None = None,
) -> OptimizeResult:
    r"""Stochastic hill climbing (descending): move to a random neighbour only if it is better.

    Chapter 10: Global and local optimisation.

    Each iteration proposes :math:`x' = x + \sigma z`, :math:`z \sim \mathcal N(0, I)`,
    and keeps it if :math:`f(x') < f(x)`.  It finds the bottom of the basin it
    starts in, and stays there.

    Parameters
    ----------
    f : callable, (d,) -> float
    x0 : ndarray, shape (d,)
    step_size : float, :math:`\sigma`
    bounds : ndarray, shape (d, 2), optional
    max_fev : int, budget (the only stopping rule)
    rng : Generator or seed
    """
    x, bounds = _start(x0, bounds)
    step_size = check_number("hill_climbing", "step_size", step_size, 0, low_open=True)
    rng = check_rng(rng)
    obj = Objective(f, check_budget(max_fev))
    try:
        fx = obj(x)
        obj.record(x)
        while True:
            candidate = _clip(x + step_size * rng.standard_normal(x.size), bounds)
            fc = obj(candidate)
            if fc < fx:
                x, fx = candidate, fc
            obj.record(x)
    except BudgetExhausted:
        return obj.result(False, _budget_message(max_fev))


def simulated_annealing(
    f: Function,
    x0: np.ndarray,
    *,
    step_size: float = 0.5,
    initial_temperature: float = 10.0,
    cooling: float = 0.995,
    bounds: np.ndarray | None = None,
    max_fev: int = 5000,
    rng: np.random.Generator | int | None = None,
) -> OptimizeResult:
    r"""Simulated annealing with Gaussian proposals and geometric cooling.

    Chapter 10: Global and local optimisation.

    At iteration k the temperature is :math:`T_k = T_0 c^k`.  A proposal
    :math:`x' = x + \sigma z` with :math:`\Delta = f(x') - f(x)` is accepted with
    the Metropolis probability :math:`\min(1, e^{-\Delta / T_k})`: always when
    it is better, sometimes when it is worse, which lets the walk leave local
    minima while :math:`T` is high.  The best point seen is returned.

    Parameters
    ----------
    f : callable, (d,) -> float
    x0 : ndarray, shape (d,)
    step_size : float, :math:`\sigma`
    initial_temperature : float, :math:`T_0`
    cooling : float in (0, 1), :math:`c`
    bounds : ndarray, shape (d, 2), optional
    max_fev : int
    rng : Generator or seed

    Returns
    -------
    OptimizeResult; ``path`` is the accepted walk.
    """
    x, bounds = _start(x0, bounds)
    step_size = check_number("simulated_annealing", "step_size", step_size, 0, low_open=True)
    cooling = check_number("simulated_annealing", "cooling", cooling, 0, 1, low_open=True, high_open=True)
    initial_temperature = check_number("simulated_annealing", "initial_temperature", initial_temperature, 0,
                                       low_open=True)
    rng = check_rng(rng)
    obj = Objective(f, check_budget(max_fev))
    temperature = initial_temperature
    try:
        fx = obj(x)
        obj.record(x)
        while True:
            candidate = _clip(x + step_size * rng.standard_normal(x.size), bounds)
            fc = obj(candidate)
            delta = fc - fx
            if delta <= 0 or rng.random() < np.exp(-delta / temperature):
                x, fx = candidate, fc
            temperature *= cooling
            obj.record(x)
    except BudgetExhausted:
        return obj.result(False, _budget_message(max_fev))


def genetic_algorithm(
    f: Function,
    bounds: np.ndarray,
    *,
    population_size: int = 40,
    crossover_rate: float = 0.9,
    mutation_rate: float = 0.2,
    mutation_scale: float = 0.1,
    tournament_size: int = 3,
    n_elite: int = 2,
    max_fev: int = 4000,
    rng: np.random.Generator | int | None = None,
) -> OptimizeResult:
    r"""A real-coded genetic algorithm.

    Chapter 10: Global and local optimisation.

    The population starts uniform in ``bounds``.  Each generation keeps the
    ``n_elite`` best unchanged and breeds the rest:

    * selection: the fittest of ``tournament_size`` random members, twice;
    * crossover (probability ``crossover_rate``): each gene a random convex
      combination :math:`u a + (1-u) b`, :math:`u \sim U(0, 1)`, of the parents'
      genes (otherwise the child copies the first parent);
    * mutation: each gene, with probability ``mutation_rate``, gets Gaussian
      noise of standard deviation ``mutation_scale`` times the width of its bound.

    Parameters
    ----------
    f : callable, (d,) -> float
    bounds : ndarray, shape (d, 2)
    population_size, tournament_size, n_elite : int
    crossover_rate, mutation_rate, mutation_scale : float
    max_fev : int
    rng : Generator or seed

    Returns
    -------
    OptimizeResult; ``nit`` counts generations, ``path`` holds each generation's best.
    """
    bounds = check_bounds(bounds)
    name = "genetic_algorithm"
    population_size = check_int(name, "population_size", population_size, 2)
    n_elite = check_int(name, "n_elite", n_elite, 0)
    tournament_size = check_int(name, "tournament_size", tournament_size, 1)
    if tournament_size > population_size:
        raise ValueError(f"{name}: tournament_size must be at most population_size={population_size}, "
                         f"got {tournament_size}")
    crossover_rate = check_number(name, "crossover_rate", crossover_rate, 0, 1)
    mutation_rate = check_number(name, "mutation_rate", mutation_rate, 0, 1)
    mutation_scale = check_number(name, "mutation_scale", mutation_scale, 0)
    if not 0 <= n_elite < population_size or population_size < 2:
        raise ValueError(f"need population_size >= 2 and 0 <= n_elite < population_size; got {population_size}, {n_elite}")
    rng = check_rng(rng)
    obj = Objective(f, check_budget(max_fev))
    low, high = bounds[:, 0], bounds[:, 1]
    d = bounds.shape[0]
    try:
        population = rng.uniform(low, high, size=(population_size, d))
        fitness = obj.many(population)
        obj.record(population[np.argmin(fitness)])
        while True:
            order = np.argsort(fitness, kind="stable")
            children = [population[i] for i in order[:n_elite]]
            while len(children) < population_size:
                contenders = rng.integers(population_size, size=(2, tournament_size))
                a, b = (population[c[np.argmin(fitness[c])]] for c in contenders)
                if rng.random() < crossover_rate:
                    u = rng.random(d)
                    child = u * a + (1.0 - u) * b
                else:
                    child = a.copy()
                mutate = rng.random(d) < mutation_rate
                child = child + mutate * rng.normal(0.0, mutation_scale * (high - low))
                children.append(np.clip(child, low, high))
            population = np.array(children)
            fitness = np.concatenate([fitness[order[:n_elite]], obj.many(population[n_elite:])])
            obj.record(population[np.argmin(fitness)])
    except BudgetExhausted:
        return obj.result(False, _budget_message(max_fev))


def particle_swarm(
    f: Function,
    bounds: np.ndarray,
    *,
    n_particles: int = 30,
    inertia: float = 0.7298,
    cognitive: float = 1.49618,
    social: float = 1.49618,
    max_fev: int = 3000,
    rng: np.random.Generator | int | None = None,
) -> OptimizeResult:
    r"""Global-best particle swarm optimisation.

    Chapter 10: Global and local optimisation.

    Particle i has position :math:`x_i`, velocity :math:`v_i` and its own best
    point :math:`p_i`; :math:`g` is the swarm's best.  Each iteration, with
    :math:`r_1, r_2 \sim U(0, 1)^d`,

    .. math:: v_i \leftarrow w v_i + c_1 r_1 (p_i - x_i) + c_2 r_2 (g - x_i), \qquad x_i \leftarrow x_i + v_i .

    The defaults :math:`w = 0.7298`, :math:`c_1 = c_2 = 1.49618` are Clerc and
    Kennedy's constriction values (2002).  A particle that leaves the box is
    clipped back and its velocity in that coordinate set to 0.

    Parameters
    ----------
    f : callable, (d,) -> float
    bounds : ndarray, shape (d, 2)
    n_particles : int
    inertia, cognitive, social : float, :math:`w, c_1, c_2`
    max_fev : int
    rng : Generator or seed

    Returns
    -------
    OptimizeResult; ``path`` holds the swarm's best after each iteration.
    """
    bounds = check_bounds(bounds)
    n_particles = check_int("particle_swarm", "n_particles", n_particles, 1)
    inertia = check_number("particle_swarm", "inertia", inertia, 0)
    cognitive = check_number("particle_swarm", "cognitive", cognitive, 0)
    social = check_number("particle_swarm", "social", social, 0)
    rng = check_rng(rng)
    obj = Objective(f, check_budget(max_fev))
    low, high = bounds[:, 0], bounds[:, 1]
    d = bounds.shape[0]
    try:
        x = rng.uniform(low, high, size=(n_particles, d))
        v = rng.uniform(-1.0, 1.0, size=(n_particles, d)) * 0.1 * (high - low)
        fx = obj.many(x)
        p, fp = x.copy(), fx.copy()
        obj.record(p[np.argmin(fp)])
        while True:
            g = p[np.argmin(fp)]
            r1, r2 = rng.random((2, n_particles, d))
            v = inertia * v + cognitive * r1 * (p - x) + social * r2 * (g - x)
            x = x + v
            outside = (x < low) | (x > high)
            x = np.clip(x, low, high)
            v[outside] = 0.0
            fx = obj.many(x)
            improved = fx < fp
            p[improved], fp[improved] = x[improved], fx[improved]
            obj.record(p[np.argmin(fp)])
    except BudgetExhausted:
        return obj.result(False, _budget_message(max_fev))
