"""Optimisers of mlcore.optimize (Chapter 10): local methods against SciPy,
the Wolfe conditions of the line search, global methods on multimodal functions."""

import numpy as np
import pytest
import scipy.optimize

from mlcore.optimize import (
    Ackley,
    Himmelblau,
    Rastrigin,
    Rosenbrock,
    Sphere,
    bfgs,
    genetic_algorithm,
    hill_climbing,
    line_search_wolfe,
    nelder_mead,
    numerical_gradient,
    particle_swarm,
    simulated_annealing,
)

X0 = np.array([-1.2, 1.0])  # the classic Rosenbrock start


# -- test functions ------------------------------------------------------------------
@pytest.mark.parametrize("fn", [Sphere(3), Rosenbrock(3), Rastrigin(3), Ackley(3), Himmelblau()])
def test_functions_vanish_at_their_minimisers_and_are_vectorised(fn):
    np.testing.assert_allclose(fn(fn.minimisers), fn.f_min, atol=1e-12)
    points = np.random.default_rng(0).uniform(fn.bounds[:, 0], fn.bounds[:, 1], size=(6, fn.dim))
    np.testing.assert_allclose(fn(points), [fn(p) for p in points])
    assert np.all(fn(points) > fn.f_min)


@pytest.mark.parametrize("fn", [Sphere(3), Rosenbrock(4), Rastrigin(3), Himmelblau()])
def test_gradients_match_finite_differences(fn):
    points = np.random.default_rng(1).uniform(-2, 2, size=(5, fn.dim))
    for p in points:
        np.testing.assert_allclose(fn.gradient(p), numerical_gradient(fn, p), rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(fn.gradient(points), [fn.gradient(p) for p in points])
    np.testing.assert_allclose(fn.gradient(fn.minimisers), 0.0, atol=1e-12 if not isinstance(fn, Himmelblau) else 1e-10)


# -- local methods vs SciPy -------------------------------------------------------------
def test_bfgs_matches_scipy_on_rosenbrock():
    fn = Rosenbrock()
    ours = bfgs(fn, X0, jac=fn.gradient, gtol=1e-8)
    ref = scipy.optimize.minimize(fn, X0, jac=fn.gradient, method="BFGS", options={"gtol": 1e-8})
    assert ours.success and ref.success
    np.testing.assert_allclose(ours.x, [1.0, 1.0], atol=1e-7)
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-7)
    assert ours.fun < 1e-14
    assert ours.nfev <= 2 * ref.nfev  # measured: 62 vs 40 at gtol=1e-6
    assert np.all(np.diff(ours.fun_history) <= 0)  # the Wolfe step always decreases f


def test_bfgs_with_numerical_gradient_counts_its_evaluations():
    fn = Rosenbrock()
    result = bfgs(fn, X0)
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-5)
    assert result.njev == 0 and result.nfev > 4 * result.nit  # 2d evaluations per gradient
    assert result.path.shape == (result.nit + 1, 2)


def test_nelder_mead_matches_scipy_on_rosenbrock():
    fn = Rosenbrock()
    ours = nelder_mead(fn, X0, xatol=1e-8, fatol=1e-8, max_fev=2000)
    ref = scipy.optimize.minimize(fn, X0, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-8, "maxfev": 2000})
    assert ours.success
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-7)
    np.testing.assert_allclose(ours.x, [1.0, 1.0], atol=1e-7)
    assert abs(ours.nfev - ref.nfev) <= 0.2 * ref.nfev  # same rules, same initial simplex: measured 219 vs 219


def test_wolfe_conditions_hold_on_every_accepted_step():
    fn = Rosenbrock(4)
    rng = np.random.default_rng(0)
    c1, c2 = 1e-4, 0.9
    checked = 0
    for _ in range(30):
        x = rng.uniform(-2, 2, size=4)
        g = fn.gradient(x)
        for p in (-g, -g / np.linalg.norm(g), -g * 1e-4):
            step = line_search_wolfe(fn, fn.gradient, x, p, fn(x), g, c1=c1, c2=c2)
            assert step.success
            a = step.alpha
            assert fn(x + a * p) <= fn(x) + c1 * a * (g @ p)  # sufficient decrease
            assert abs(fn.gradient(x + a * p) @ p) <= c2 * abs(g @ p)  # strong curvature
            np.testing.assert_allclose(step.g_new, fn.gradient(x + a * p))
            checked += 1
    assert checked == 90


def test_line_search_rejects_an_ascent_direction():
    fn = Sphere()
    x = np.array([1.0, 1.0])
    with pytest.raises(ValueError, match="not a descent direction"):
        line_search_wolfe(fn, fn.gradient, x, fn.gradient(x), fn(x), fn.gradient(x))


# -- randomised methods ----------------------------------------------------------------
@pytest.mark.parametrize("fn", [Rastrigin(), Ackley()])
def test_particle_swarm_finds_the_global_minimum(fn):
    result = particle_swarm(fn, fn.bounds, max_fev=3000, rng=0)
    assert result.fun < 1e-3
    np.testing.assert_allclose(result.x, 0.0, atol=1e-3)
    assert result.nfev <= 3000


@pytest.mark.parametrize("fn", [Rastrigin(), Ackley()])
def test_genetic_algorithm_finds_the_global_minimum(fn):
    result = genetic_algorithm(fn, fn.bounds, max_fev=4000, rng=1)
    assert result.fun < 1e-2
    np.testing.assert_allclose(result.x, 0.0, atol=1e-2)


@pytest.mark.parametrize("fn, step", [(Rastrigin(), 0.5), (Ackley(), 3.0)])
def test_simulated_annealing_reaches_the_global_basin_and_polishing_finishes(fn, step):
    x0 = np.array([3.7, -4.1]) if isinstance(fn, Rastrigin) else np.array([25.0, -20.0])
    result = simulated_annealing(fn, x0, step_size=step, bounds=fn.bounds, max_fev=5000, rng=0)
    assert np.linalg.norm(result.x) < 0.3  # inside the funnel of the global minimum ...
    assert fn(x0) > 10 * result.fun  # ... far below where it started
    polished = nelder_mead(fn, result.x)
    assert polished.fun < 1e-6  # Ackley has a kink at 0: f grows like 4.5 * |x|
    np.testing.assert_allclose(polished.x, 0.0, atol=1e-6)


def test_hill_climbing_descends_to_its_local_basin():
    fn = Himmelblau()
    result = hill_climbing(fn, np.array([4.0, 4.0]), step_size=0.05, max_fev=2000, rng=0)
    assert result.fun < 1e-3
    np.testing.assert_allclose(result.x, [3.0, 2.0], atol=0.02)
    assert np.all(np.diff(result.fun_history) <= 0)
    np.testing.assert_array_equal(result.path, result.x_history)  # it only ever moves to better points


@pytest.mark.parametrize("method", ["hill", "anneal", "genetic", "swarm"])
def test_same_seed_same_result_and_budget_respected(method):
    fn = Rastrigin()
    run = {
        "hill": lambda rng: hill_climbing(fn, np.array([1.0, 1.0]), max_fev=300, rng=rng),
        "anneal": lambda rng: simulated_annealing(fn, np.array([1.0, 1.0]), max_fev=300, rng=rng),
        "genetic": lambda rng: genetic_algorithm(fn, fn.bounds, max_fev=300, rng=rng),
        "swarm": lambda rng: particle_swarm(fn, fn.bounds, max_fev=300, rng=rng),
    }[method]
    a, b, c = run(7), run(np.random.default_rng(7)), run(8)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.fun_history, b.fun_history)
    assert not np.array_equal(a.fun_history, c.fun_history)
    assert a.nfev == 300 and not a.success and "max_fev=300" in a.message
    assert a.x_history.shape == (a.nit + 1, 2) and a.path.shape == (a.nit + 1, 2)
    assert np.all(np.diff(a.fun_history) <= 0) and a.fun == a.fun_history[-1] == fn(a.x)
    assert a.x.dtype == np.float64


def test_budget_stops_local_methods():
    fn = Rosenbrock()
    for result in (nelder_mead(fn, X0, max_fev=20), bfgs(fn, X0, jac=fn.gradient, max_fev=20)):
        assert result.nfev == 20 and not result.success and "budget" in result.message


# -- bad inputs ------------------------------------------------------------------
def test_bad_inputs():
    fn = Sphere()
    with pytest.raises(ValueError, match="x0 must be finite"):
        nelder_mead(fn, np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match="x0 must be finite"):
        bfgs(fn, np.array([np.inf, 1.0]))
    with pytest.raises(ValueError, match=r"x0 must be a non-empty 1-D array; got shape \(2, 2\)"):
        hill_climbing(fn, np.ones((2, 2)), rng=0)
    with pytest.raises(ValueError, match="max_fev must be a positive integer; got 0"):
        particle_swarm(fn, fn.bounds, max_fev=0, rng=0)
    with pytest.raises(ValueError, match="max_fev must be a positive integer; got 0"):
        bfgs(fn, np.ones(2), max_fev=0)
    with pytest.raises(ValueError, match="low < high in every row"):
        genetic_algorithm(fn, np.array([[1.0, -1.0], [0.0, 1.0]]), rng=0)
    with pytest.raises(ValueError, match=r"bounds must have shape \(d, 2\)"):
        particle_swarm(fn, np.array([0.0, 1.0]), rng=0)
    with pytest.raises(ValueError, match="bounds must be finite"):
        particle_swarm(fn, np.array([[0.0, np.inf]]), rng=0)
    with pytest.raises(ValueError, match="bounds has 1 rows but x0 has 2 coordinates"):
        simulated_annealing(fn, np.zeros(2), bounds=np.array([[0.0, 1.0]]), rng=0)
    with pytest.raises(ValueError, match="lies outside bounds"):
        hill_climbing(fn, np.array([5.0, 0.0]), bounds=np.array([[-1.0, 1.0], [-1.0, 1.0]]), rng=0)
    with pytest.raises(ValueError, match=r"cooling must be a number in \(0, 1\)"):
        simulated_annealing(fn, np.zeros(2), cooling=1.5, rng=0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        particle_swarm(fn, fn.bounds, rng="0")


def test_bfgs_passes_the_saddle_of_himmelblau():
    """Regression: the line search used to re-evaluate alpha_max and collapse its zoom here."""
    from scipy.optimize import minimize

    from mlcore import optimize as opt

    f = opt.Himmelblau()
    x0 = np.random.default_rng(34).uniform(-5, 5, 2)
    result = opt.bfgs(f, x0, jac=f.gradient)
    reference = minimize(f, x0, jac=f.gradient, method="BFGS")
    assert result.success, result.message
    assert result.fun < 1e-10 and reference.fun < 1e-10
