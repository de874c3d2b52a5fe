"""Optimisers, schedules and clipping against the published formulas, computed by hand in float64."""

import math

import numpy as np
import pytest

import mlcore
from mlcore import optim
from mlcore.nn import Linear, Parameter

W0 = np.array([0.5, -1.0, 2.0])
GRADS = [np.array([0.1, -0.2, 0.3]), np.array([-0.4, 0.5, 0.05]),
         np.array([0.2, 0.2, -0.6]), np.array([1.0, -0.1, 0.0])]


def run(make_optimizer, grads=GRADS, w0=W0):
    """Apply ``len(grads)`` steps with the given gradients; return the parameter after each step."""
    p = Parameter(w0.copy(), dtype=np.float64)
    opt = make_optimizer([p])
    trajectory = []
    for g in grads:
        p.grad = g.copy()
        opt.step()
        trajectory.append(p.data.copy())
    return trajectory


def assert_trajectory(ours, expected):
    assert len(ours) == len(expected)
    for step, (a, b) in enumerate(zip(ours, expected)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15, err_msg=f"step {step + 1}")


# -- each optimiser against its formula ---------------------------------------


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_weight_decay(nesterov):
    lr, mu, lam = 0.1, 0.9, 0.01
    w, b, expected = W0.copy(), np.zeros(3), []
    for g in GRADS:
        g = g + lam * w                      # L2 penalty
        b = mu * b + g                       # b_t = mu b_{t-1} + g_t
        w = w - lr * (g + mu * b if nesterov else b)
        expected.append(w)
    assert_trajectory(run(lambda ps: optim.SGD(ps, lr=lr, momentum=mu, weight_decay=lam,
                                               nesterov=nesterov)), expected)


def test_plain_sgd():
    w, expected = W0.copy(), []
    for g in GRADS:
        w = w - 0.5 * g
        expected.append(w)
    assert_trajectory(run(lambda ps: optim.SGD(ps, lr=0.5)), expected)


def test_adagrad():
    lr, eps = 0.1, 1e-10
    w, G, expected = W0.copy(), np.zeros(3), []
    for g in GRADS:
        G = G + g**2                          # G_t = G_{t-1} + g_t^2
        w = w - lr * g / (np.sqrt(G) + eps)
        expected.append(w)
    assert_trajectory(run(lambda ps: optim.Adagrad(ps, lr=lr, eps=eps)), expected)


@pytest.mark.parametrize("lr", [1.0, 0.5])
def test_adadelta(lr):
    rho, eps = 0.95, 1e-6
    w, Eg2, Edx2, expected = W0.copy(), np.zeros(3), np.zeros(3), []
    for g in GRADS:
        Eg2 = rho * Eg2 + (1 - rho) * g**2                     # E[g^2]_t
        dx = -np.sqrt(Edx2 + eps) / np.sqrt(Eg2 + eps) * g     # -RMS[dx]_{t-1}/RMS[g]_t g_t
        Edx2 = rho * Edx2 + (1 - rho) * dx**2                  # E[dx^2]_t
        w = w + lr * dx
        expected.append(w)
    assert_trajectory(run(lambda ps: optim.Adadelta(ps, lr=lr, rho=rho, eps=eps)), expected)


@pytest.mark.parametrize("mu", [0.0, 0.8])
def test_rmsprop(mu):
    lr, alpha, eps = 0.01, 0.9, 1e-8
    w, v, b, expected = W0.copy(), np.zeros(3), np.zeros(3), []
    for g in GRADS:
        v = alpha * v + (1 - alpha) * g**2
        b = mu * b + g / (np.sqrt(v) + eps)                    # b = scaled step when mu = 0
        w = w - lr * b
        expected.append(w)
    assert_trajectory(run(lambda ps: optim.RMSprop(ps, lr=lr, alpha=alpha, eps=eps, momentum=mu)),
                      expected)


@pytest.mark.parametrize("lam", [0.0, 0.1])
def test_adam(lam):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    w, m, v, expected = W0.copy(), np.zeros(3), np.zeros(3), []
    for t, g in enumerate(GRADS, start=1):
        g = g + lam * w                                          # coupled L2
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)              # eps outside the sqrt
        expected.append(w)
    assert_trajectory(run(lambda ps: optim.Adam(ps, lr=lr, betas=(b1, b2), eps=eps,
                                                weight_decay=lam)), expected)


def test_adam_first_step_is_lr_times_sign():
    # With bias correction, m_hat_1 = g and v_hat_1 = g^2: the first step is lr*sign(g) (up to eps).
    (w,) = run(lambda ps: optim.Adam(ps, lr=0.01, eps=1e-12), grads=GRADS[:1])
    np.testing.assert_allclose(W0 - w, 0.01 * np.sign(GRADS[0]), rtol=1e-9)


def test_adamw_decoupled_decay():
    lr, b1, b2, eps, lam = 0.01, 0.9, 0.99, 1e-8, 0.1
    w, m, v, expected = W0.copy(), np.zeros(3), np.zeros(3), []
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g                                # raw gradient: no decay inside
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        w = w - lr * (m_hat / (np.sqrt(v_hat) + eps) + lam * w)
        expected.append(w)
    assert_trajectory(run(lambda ps: optim.AdamW(ps, lr=lr, betas=(b1, b2), eps=eps,
                                                 weight_decay=lam)), expected)


# -- common behaviour ------------------------------------------------------------

ALL = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adagrad(ps, lr=0.5),
    lambda ps: optim.Adadelta(ps, eps=1e-3),  # first steps are about sqrt(eps): not too small
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5),
    lambda ps: optim.Adam(ps, lr=0.05),
    lambda ps: optim.AdamW(ps, lr=0.05),
]


@pytest.mark.parametrize("make", ALL)
def test_skips_missing_grad_and_keeps_state_per_parameter(make):
    a, b = Parameter(np.ones(2), dtype=np.float64), Parameter(np.ones(3), dtype=np.float64)
    opt = make([a, b])
    b_before = b.data.copy()
    for _ in range(3):
        a.grad, b.grad = np.full(2, 0.3), None
        opt.step()
    np.testing.assert_array_equal(b.data, b_before)
    assert opt.state[1] == {}
    # b's first real step equals the first step of a fresh optimiser: its state was untouched.
    b.grad = np.full(3, 0.3)
    opt.step()
    fresh = Parameter(np.ones(3), dtype=np.float64)
    opt2 = make([fresh])
    fresh.grad = np.full(3, 0.3)
    opt2.step()
    np.testing.assert_allclose(b.data, fresh.data, rtol=1e-15)


@pytest.mark.parametrize("make", ALL)
def test_updates_in_place_and_keep_float32(make):
    p = Parameter(np.ones((2, 2)))
    data = p.data
    opt = make([p])
    p.grad = np.full((2, 2), 0.5, dtype=np.float64)  # a float64 gradient must not promote p
    opt.step()
    assert p.data is data and p.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[0].values() if isinstance(v, np.ndarray))


def test_zero_grad():
    p = Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.ones(2, dtype=np.float32)
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("make", ALL)
def test_minimises_a_quadratic(make):
    # f(w) = 1/2 (w - c)^T A (w - c) with an ill-conditioned diagonal A.
    A, c = np.array([1.0, 10.0]), np.array([1.0, -2.0])
    p = Parameter(np.zeros(2), dtype=np.float64)
    opt = make([p])
    f0 = 0.5 * np.sum(A * c**2)
    for _ in range(300):
        p.grad = A * (p.data - c)
        opt.step()
    assert 0.5 * np.sum(A * (p.data - c) ** 2) < 1e-2 * f0


@pytest.mark.parametrize("make", ALL)
def test_trains_linear_regression(make):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    model = Linear(3, 1, rng=1)
    opt = make(model.parameters())
    losses = []
    for _ in range(100):
        opt.zero_grad()
        loss = mlcore.functional.mse_loss(model(X), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


@pytest.mark.parametrize("call, message", [
    (lambda p: optim.SGD(p, lr=0), "SGD: lr must be positive, got 0"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=1.5), "SGD: momentum must be in [0, 1), got 1.5"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "SGD: weight_decay must be non-negative, got -1"),
    (lambda p: optim.Adagrad(p, eps=0), "Adagrad: eps must be positive, got 0"),
    (lambda p: optim.Adadelta(p, rho=1.0), "Adadelta: rho must be in [0, 1), got 1.0"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), "RMSprop: alpha must be in [0, 1), got -0.1"),
    (lambda p: optim.RMSprop(p, momentum=1), "RMSprop: momentum must be in [0, 1), got 1"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), "Adam: betas[1] must be in [0, 1), got 1.0"),
    (lambda p: optim.AdamW(p, lr=float("nan")), "AdamW: lr must be positive, got nan"),
    (lambda p: optim.Adam(p + p), "listed twice"),
    (lambda p: optim.Adam([]), "empty parameter list"),
    (lambda p: optim.Adam([mlcore.Tensor([1.0], requires_grad=True) * 2]), "not a leaf tensor"),
])
def test_bad_hyperparameters(call, message):
    with pytest.raises(ValueError) as info:
        call([Parameter(np.ones(2))])
    assert message in str(info.value)


# -- schedules --------------------------------------------------------------------


def lrs(scheduler, n):
    """Learning rates in use for steps 0..n-1 (the optimiser's lr, read before each step)."""
    out = []
    for _ in range(n):
        out.append(scheduler.optimizer.lr)
        assert [scheduler.optimizer.lr] == scheduler.get_lr() == scheduler.get_last_lr()
        scheduler.step()
    return out


def sgd(lr=0.1):
    return optim.SGD([Parameter(np.ones(1))], lr=lr)


def test_step_lr():
    expected = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]   # 0.1 * 0.5 ** (t // 3)
    np.testing.assert_allclose(lrs(optim.StepLR(sgd(), step_size=3, gamma=0.5), 7), expected)


def test_exponential_lr():
    np.testing.assert_allclose(lrs(optim.ExponentialLR(sgd(), gamma=0.9), 4),
                               [0.1, 0.09, 0.081, 0.0729])


def test_cosine_annealing_lr():
    # eta(t) = eta_min + (eta0 - eta_min)(1 + cos(pi t / T)) / 2, then eta_min after T.
    expected = [0.1, 0.01 + 0.09 * (1 + math.cos(math.pi / 4)) / 2, 0.055,
                0.01 + 0.09 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.01, 0.01]
    np.testing.assert_allclose(lrs(optim.CosineAnnealingLR(sgd(), T_max=4, eta_min=0.01), 6), expected)


def test_linear_warmup_then_constant_and_then_cosine():
    np.testing.assert_allclose(lrs(optim.LinearWarmup(sgd(), warmup_steps=4), 6),
                               [0.025, 0.05, 0.075, 0.1, 0.1, 0.1])
    opt = sgd()
    cosine = optim.CosineAnnealingLR(opt, T_max=2)
    warm = optim.LinearWarmup(opt, warmup_steps=2, after=cosine)
    np.testing.assert_allclose(lrs(warm, 6), [0.05, 0.1, 0.1, 0.05, 0.0, 0.0], atol=1e-15)


def test_scheduler_sets_optimizer_lr_used_by_step():
    p = Parameter(np.zeros(1), dtype=np.float64)
    opt = optim.SGD([p], lr=1.0)
    sched = optim.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = np.ones(1)
        opt.step()
        sched.step()
    np.testing.assert_allclose(p.data, [-(1 + 0.5 + 0.25)])


@pytest.mark.parametrize("call, message", [
    (lambda o: optim.StepLR(o, step_size=0), "StepLR: step_size must be a positive integer, got 0"),
    (lambda o: optim.StepLR(o, step_size=2.5), "got 2.5"),
    (lambda o: optim.ExponentialLR(o, gamma=0), "ExponentialLR: gamma must be positive, got 0"),
    (lambda o: optim.CosineAnnealingLR(o, T_max=3, eta_min=-1), "eta_min must be non-negative"),
    (lambda o: optim.LinearWarmup(o, warmup_steps=0), "warmup_steps must be a positive integer"),
    (lambda o: optim.LinearWarmup(o, 2, after=optim.StepLR(sgd(), 1)), "same optimizer"),
])
def test_bad_schedule_arguments(call, message):
    with pytest.raises(ValueError) as info:
        call(sgd())
    assert message in str(info.value)


# -- clipping ----------------------------------------------------------------------


def test_clip_grad_norm():
    a, b, c = (Parameter(np.zeros(2), dtype=np.float64) for _ in range(3))
    a.grad, b.grad = np.array([3.0, 0.0]), np.array([0.0, 4.0])   # joint norm 5
    total = optim.clip_grad_norm_([a, b, c], max_norm=1.0)
    assert total == pytest.approx(5.0)
    scale = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(a.grad, [3 * scale, 0])
    np.testing.assert_allclose(b.grad, [0, 4 * scale])
    assert c.grad is None
    # Below the threshold nothing changes.
    assert optim.clip_grad_norm_([a, b], max_norm=10.0) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(a.grad, [3 * scale, 0])


def test_clip_grad_value():
    p = Parameter(np.zeros(4), dtype=np.float64)
    p.grad = np.array([-3.0, -0.5, 0.2, 7.0])
    optim.clip_grad_value_(p, 1.0)
    np.testing.assert_array_equal(p.grad, [-1.0, -0.5, 0.2, 1.0])
    with pytest.raises(ValueError, match="clip_value must be positive, got -1"):
        optim.clip_grad_value_(p, -1)
    with pytest.raises(ValueError, match="max_norm must be positive, got 0"):
        optim.clip_grad_norm_(p, 0)
