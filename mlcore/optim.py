"""Optimisers, learning-rate schedules and gradient clipping.

Chapter 9: Gradient-descent optimisers derives every update rule here;
chapter 11 (Vanishing and exploding gradients) motivates gradient clipping and
chapter 12 (Regularisation) weight decay.

Every optimiser follows the same pattern: :meth:`Optimizer.step` walks the
parameters, skips those whose ``.grad`` is ``None``, and updates ``p.data`` in
place from the gradient and the parameter's own state (a dictionary of arrays
created on its first update).  All arithmetic happens in the parameter's
dtype, so a float32 model stays float32.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from mlcore.tensor import Tensor

__all__ = [
    "Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW",
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearWarmup",
    "clip_grad_norm_", "clip_grad_value_",
]


def _check(name: str, condition: bool, argument: str, value: object, expected: str) -> None:
    """Raise ``ValueError("<name>: <argument> must be <expected>, got <value>")`` unless ``condition``."""
    if not condition:
        raise ValueError(f"{name}: {argument} must be {expected}, got {value!r}")


def _is_positive_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1


# ---------------------------------------------------------------------------
# Optimisers
# ---------------------------------------------------------------------------


class Optimizer:
    """Base class: holds the parameters, their per-parameter state and the learning rate.

    Parameters
    ----------
    params : iterable of Tensor
        The tensors to update, usually ``model.parameters()``. Each must
        require a gradient and appear once.
    lr : float
        Learning rate :math:`\\eta > 0`. A scheduler may change ``self.lr``
        between steps; ``self.initial_lr`` keeps the value given here.
    weight_decay : float
        Coefficient :math:`\\lambda \\ge 0` of an L2 penalty
        :math:`\\tfrac{\\lambda}{2}\\lVert w\\rVert^2`, i.e. :math:`\\lambda w` is
        added to every gradient before the update (chapter 12).

    Notes
    -----
    Subclasses implement :meth:`update`, the rule for one parameter array,
    and :meth:`init_state`. ``self.state[i]`` is the state of
    ``self.params[i]`` (empty until its first update). A subclass that sets
    ``decoupled_weight_decay = True`` receives the raw gradient and applies
    ``weight_decay`` itself (:class:`AdamW`).
    """

    decoupled_weight_decay = False

    def __init__(self, params: Iterable[Tensor], lr: float, weight_decay: float = 0.0):
        name = type(self).__name__
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list")
        seen: set[int] = set()
        for p in self.params:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise ValueError(f"{name}: every parameter must be a Tensor that requires grad, "
                                 f"got {type(p).__name__} of shape {getattr(p, 'shape', None)}")
            if id(p) in seen:
                raise ValueError(f"{name}: parameter of shape {p.shape} is listed twice")
            seen.add(id(p))
        _check(name, lr > 0, "lr", lr, "positive")
        _check(name, weight_decay >= 0, "weight_decay", weight_decay, "non-negative")
        self.lr = self.initial_lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (gradients accumulate otherwise)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            if not state:
                state.update(self.init_state(p.data))
            g = np.asarray(p.grad, dtype=p.dtype)
            if self.weight_decay and not self.decoupled_weight_decay:
                g = g + self.weight_decay * p.data
            self.update(p.data, g, state)

    def init_state(self, w: np.ndarray) -> dict[str, Any]:
        """The state of a parameter with values ``w`` before its first update (none by default)."""
        return {}

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:  # pragma: no cover
        """Change ``w`` in place given its gradient ``g`` (same shape and dtype) and its ``state``."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.

    With gradient :math:`g_t` (plus :math:`\\lambda w_{t-1}` when
    ``weight_decay`` is :math:`\\lambda`), momentum :math:`\\mu` and learning
    rate :math:`\\eta`, PyTorch's ``torch.optim.SGD`` algorithm (no dampening):

    .. math::

        b_t = \\mu b_{t-1} + g_t \\quad (b_0 = 0), \\qquad
        w_t = w_{t-1} - \\eta \\begin{cases}
            g_t + \\mu b_t & \\text{Nesterov} \\\\ b_t & \\text{otherwise,}
        \\end{cases}

    which is plain :math:`w_t = w_{t-1} - \\eta g_t` for :math:`\\mu = 0`.

    Parameters
    ----------
    params : iterable of Tensor
    lr : float
        :math:`\\eta > 0`.
    momentum : float
        :math:`\\mu \\in [0, 1)`.
    weight_decay : float
        :math:`\\lambda \\ge 0` (L2 penalty added to the gradient).
    nesterov : bool
        Use Nesterov's look-ahead form (needs ``momentum > 0``).

    Notes
    -----
    Chapter 9: Gradient-descent optimisers. State per parameter: the
    velocity ``"momentum_buffer"`` :math:`b`, of the parameter's shape.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, lr, weight_decay)
        _check("SGD", 0 <= momentum < 1, "momentum", momentum, "in [0, 1)")
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0, got momentum=0")
        self.momentum, self.nesterov = float(momentum), nesterov

    def init_state(self, w: np.ndarray) -> dict[str, Any]:
        return {"momentum_buffer": np.zeros_like(w)} if self.momentum else {}

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.momentum:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += g
            g = g + self.momentum * b if self.nesterov else b
        w -= self.lr * g


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan and Singer, 2011): a per-coordinate step shrinking with past gradients.

    .. math::

        G_t = G_{t-1} + g_t^2 \\quad (G_0 = 0), \\qquad
        w_t = w_{t-1} - \\eta\\, \\frac{g_t}{\\sqrt{G_t} + \\epsilon},

    element-wise, with :math:`g_t` including :math:`\\lambda w_{t-1}` when
    ``weight_decay`` is set.

    Parameters
    ----------
    params : iterable of Tensor
    lr : float
        :math:`\\eta > 0`.
    eps : float
        :math:`\\epsilon > 0`, guards the division.
    weight_decay : float
        :math:`\\lambda \\ge 0`.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers. State: ``"sum_sq"`` :math:`G`.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, eps: float = 1e-10,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        _check("Adagrad", eps > 0, "eps", eps, "positive")
        self.eps = float(eps)

    def init_state(self, w: np.ndarray) -> dict[str, Any]:
        return {"sum_sq": np.zeros_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        G = state["sum_sq"]
        G += g * g
        w -= self.lr * g / (np.sqrt(G) + self.eps)


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012, Algorithm 1): step sizes from running averages of squared gradients and steps.

    With :math:`\\operatorname{RMS}[a]_t = \\sqrt{E[a^2]_t + \\epsilon}`:

    .. math::

        E[g^2]_t &= \\rho E[g^2]_{t-1} + (1-\\rho) g_t^2, \\\\
        \\Delta w_t &= -\\frac{\\operatorname{RMS}[\\Delta w]_{t-1}}{\\operatorname{RMS}[g]_t}\\, g_t, \\\\
        E[\\Delta w^2]_t &= \\rho E[\\Delta w^2]_{t-1} + (1-\\rho) \\Delta w_t^2, \\\\
        w_t &= w_{t-1} + \\eta\\, \\Delta w_t,

    with both averages starting at 0. The paper has no learning rate: it is
    the default :math:`\\eta = 1`; other values scale the step as in PyTorch.

    Parameters
    ----------
    params : iterable of Tensor
    lr : float
        :math:`\\eta > 0` (1.0 reproduces the paper).
    rho : float
        Decay :math:`\\rho \\in [0, 1)` of both running averages.
    eps : float
        :math:`\\epsilon > 0`.
    weight_decay : float
        :math:`\\lambda \\ge 0`, added to :math:`g_t` as :math:`\\lambda w_{t-1}`.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers. State: ``"sq_avg"``
    :math:`E[g^2]` and ``"delta_sq_avg"`` :math:`E[\\Delta w^2]`.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        _check("Adadelta", 0 <= rho < 1, "rho", rho, "in [0, 1)")
        _check("Adadelta", eps > 0, "eps", eps, "positive")
        self.rho, self.eps = float(rho), float(eps)

    def init_state(self, w: np.ndarray) -> dict[str, Any]:
        return {"sq_avg": np.zeros_like(w), "delta_sq_avg": np.zeros_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        sq_avg, delta_sq_avg = state["sq_avg"], state["delta_sq_avg"]
        rho, eps = self.rho, self.eps
        sq_avg *= rho
        sq_avg += (1 - rho) * g * g
        delta = -np.sqrt(delta_sq_avg + eps) / np.sqrt(sq_avg + eps) * g
        delta_sq_avg *= rho
        delta_sq_avg += (1 - rho) * delta * delta
        w += self.lr * delta


class RMSprop(Optimizer):
    """RMSprop (Tieleman and Hinton, 2012, lecture 6.5): divide by a running RMS of the gradient.

    .. math::

        v_t = \\alpha v_{t-1} + (1-\\alpha) g_t^2 \\quad (v_0 = 0), \\qquad
        w_t = w_{t-1} - \\eta\\, \\frac{g_t}{\\sqrt{v_t} + \\epsilon}.

    With momentum :math:`\\mu > 0` the scaled gradient is smoothed first, as
    in PyTorch: :math:`b_t = \\mu b_{t-1} + g_t/(\\sqrt{v_t}+\\epsilon)`,
    :math:`w_t = w_{t-1} - \\eta b_t`.

    Parameters
    ----------
    params : iterable of Tensor
    lr : float
        :math:`\\eta > 0`.
    alpha : float
        Decay :math:`\\alpha \\in [0, 1)` of the running mean of :math:`g^2`.
    eps : float
        :math:`\\epsilon > 0`.
    momentum : float
        :math:`\\mu \\in [0, 1)`.
    weight_decay : float
        :math:`\\lambda \\ge 0`.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers. State: ``"sq_avg"`` :math:`v`
    and, with momentum, ``"momentum_buffer"`` :math:`b`.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        _check("RMSprop", 0 <= alpha < 1, "alpha", alpha, "in [0, 1)")
        _check("RMSprop", eps > 0, "eps", eps, "positive")
        _check("RMSprop", 0 <= momentum < 1, "momentum", momentum, "in [0, 1)")
        self.alpha, self.eps, self.momentum = float(alpha), float(eps), float(momentum)

    def init_state(self, w: np.ndarray) -> dict[str, Any]:
        state = {"sq_avg": np.zeros_like(w)}
        if self.momentum:
            state["momentum_buffer"] = np.zeros_like(w)
        return state

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        v = state["sq_avg"]
        v *= self.alpha
        v += (1 - self.alpha) * g * g
        step = g / (np.sqrt(v) + self.eps)
        if self.momentum:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += step
            step = b
        w -= self.lr * step


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015, Algorithm 1): momentum and RMS scaling with bias correction.

    .. math::

        m_t &= \\beta_1 m_{t-1} + (1-\\beta_1) g_t, \\qquad
        v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2, \\\\
        \\hat m_t &= m_t / (1-\\beta_1^t), \\qquad
        \\hat v_t = v_t / (1-\\beta_2^t), \\\\
        w_t &= w_{t-1} - \\eta\\, \\hat m_t / (\\sqrt{\\hat v_t} + \\epsilon),

    with :math:`m_0 = v_0 = 0` and :math:`t` counting this parameter's
    updates. ``weight_decay`` adds :math:`\\lambda w_{t-1}` to :math:`g_t`
    (an L2 penalty, which Adam rescales; see :class:`AdamW` for the
    decoupled form).

    Parameters
    ----------
    params : iterable of Tensor
    lr : float
        :math:`\\eta > 0` (the paper's :math:`\\alpha`).
    betas : tuple of float
        :math:`(\\beta_1, \\beta_2)`, each in :math:`[0, 1)`.
    eps : float
        :math:`\\epsilon > 0`, added to :math:`\\sqrt{\\hat v_t}` as in the paper.
    weight_decay : float
        :math:`\\lambda \\ge 0`.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers. State: ``"step"`` :math:`t`
    (an int), ``"exp_avg"`` :math:`m`, ``"exp_avg_sq"`` :math:`v`.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        name = type(self).__name__
        _check(name, len(betas) == 2, "betas", betas, "a pair (beta1, beta2)")
        _check(name, 0 <= betas[0] < 1, "betas[0]", betas[0], "in [0, 1)")
        _check(name, 0 <= betas[1] < 1, "betas[1]", betas[1], "in [0, 1)")
        _check(name, eps > 0, "eps", eps, "positive")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = float(eps)

    def init_state(self, w: np.ndarray) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(w), "exp_avg_sq": np.zeros_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        w -= self.lr * self._adam_direction(g, state)

    def _adam_direction(self, g: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        """Advance the moments and return :math:`\\hat m_t / (\\sqrt{\\hat v_t} + \\epsilon)`."""
        beta1, beta2 = self.betas
        state["step"] = t = state["step"] + 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        return m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter, 2019, Algorithm 2): Adam with decoupled weight decay.

    The decay shrinks the weights directly instead of entering the gradient,
    so Adam's per-coordinate scaling does not weaken it:

    .. math::

        w_t = w_{t-1} - \\eta \\left( \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\epsilon}
              + \\lambda w_{t-1} \\right),

    with :math:`m_t, v_t, \\hat m_t, \\hat v_t` as in :class:`Adam`, computed
    from the raw gradient :math:`g_t`.

    Parameters
    ----------
    params : iterable of Tensor
    lr : float
        :math:`\\eta > 0`.
    betas, eps
        As in :class:`Adam`.
    weight_decay : float
        :math:`\\lambda \\ge 0` (default 0.01, as in PyTorch).

    Notes
    -----
    Chapter 12: Regularisation; chapter 9 for Adam itself. In the paper the
    step is :math:`\\eta_t(\\alpha\\,\\hat m_t/(\\sqrt{\\hat v_t}+\\epsilon) + \\lambda' w)`
    with a schedule multiplier :math:`\\eta_t`; here (as in PyTorch) the
    learning rate is :math:`\\eta = \\eta_t\\alpha`, so the paper's decay is
    :math:`\\lambda' = \\alpha\\lambda`. The update is otherwise identical.
    """

    decoupled_weight_decay = True

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01):
        super().__init__(params, lr, betas, eps, weight_decay)

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        w -= self.lr * (self._adam_direction(g, state) + self.weight_decay * w)


# ---------------------------------------------------------------------------
# Learning-rate schedules
# ---------------------------------------------------------------------------


class LRScheduler:
    """Base class: sets ``optimizer.lr`` from a closed-form schedule :math:`\\eta(t)`.

    ``t`` (``self.last_epoch``) starts at 0, when the optimiser gets
    :math:`\\eta(0)`; each :meth:`step` (usually once per epoch, after the
    optimiser's steps) advances ``t`` by one and sets ``optimizer.lr`` to
    :math:`\\eta(t)`. The base rate :math:`\\eta_0` is ``optimizer.initial_lr``,
    the learning rate the optimiser was built with.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers. Subclasses implement
    :meth:`lr_at`.
    """

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.initial_lr
        self.last_epoch = 0
        optimizer.lr = self.get_lr()

    def lr_at(self, t: int) -> float:  # pragma: no cover - abstract
        """The learning rate :math:`\\eta(t)` after ``t`` calls of :meth:`step`."""
        raise NotImplementedError

    def get_lr(self) -> float:
        """The learning rate for the current step ``self.last_epoch``."""
        return self.lr_at(self.last_epoch)

    def step(self) -> None:
        """Advance the schedule by one step and set the optimiser's learning rate."""
        self.last_epoch += 1
        self.optimizer.lr = self.get_lr()


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` steps: :math:`\\eta(t) = \\eta_0\\,\\gamma^{\\lfloor t/s \\rfloor}`.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        :math:`s \\ge 1`.
    gamma : float
        :math:`\\gamma > 0`.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        _check("StepLR", _is_positive_int(step_size), "step_size", step_size,
               "a positive integer")
        _check("StepLR", gamma > 0, "gamma", gamma, "positive")
        self.step_size, self.gamma = step_size, float(gamma)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every step: :math:`\\eta(t) = \\eta_0\\,\\gamma^t`.

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float
        :math:`\\gamma > 0`.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers.
    """

    def __init__(self, optimizer: Optimizer, gamma: float):
        _check("ExponentialLR", gamma > 0, "gamma", gamma, "positive")
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma ** t


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from :math:`\\eta_0` down to :math:`\\eta_{\\min}` over ``T_max`` steps.

    .. math::

        \\eta(t) = \\eta_{\\min} + \\tfrac12 (\\eta_0 - \\eta_{\\min})
                   \\left(1 + \\cos\\frac{\\pi \\min(t, T_{\\max})}{T_{\\max}}\\right)

    (Loshchilov and Hutter's SGDR without restarts). Unlike PyTorch's
    formula, which rises again after :math:`T_{\\max}`, the rate then stays
    at :math:`\\eta_{\\min}`.

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Number of steps of the decay, :math:`\\ge 1`.
    eta_min : float
        Final rate, :math:`\\ge 0`.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        _check("CosineAnnealingLR", _is_positive_int(T_max), "T_max", T_max,
               "a positive integer")
        _check("CosineAnnealingLR", eta_min >= 0, "eta_min", eta_min, "non-negative")
        self.T_max, self.eta_min = T_max, float(eta_min)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        progress = min(t, self.T_max) / self.T_max
        return self.eta_min + 0.5 * (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * progress))


class LinearWarmup(LRScheduler):
    """Ramp the rate up linearly for ``warmup_steps`` steps, then hand over to another schedule.

    .. math::

        \\eta(t) = \\begin{cases}
            \\eta_0\\,(t+1)/W & t < W, \\\\
            \\eta_{\\text{after}}(t - W) & t \\ge W,
        \\end{cases}

    where :math:`W` is ``warmup_steps`` and :math:`\\eta_{\\text{after}}` is
    the schedule ``after`` (the constant :math:`\\eta_0` when it is ``None``).
    The rate is never 0, and reaches :math:`\\eta_0` at :math:`t = W - 1`.

    Parameters
    ----------
    optimizer : Optimizer
    warmup_steps : int
        :math:`W \\ge 1`.
    after : LRScheduler, optional
        A schedule of the same optimiser that takes over after the warm-up,
        its step 0 at :math:`t = W`. Call :meth:`step` only on the
        ``LinearWarmup``: it drives ``after``.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers.
    """

    def __init__(self, optimizer: Optimizer, warmup_steps: int, after: LRScheduler | None = None):
        _check("LinearWarmup", _is_positive_int(warmup_steps), "warmup_steps",
               warmup_steps, "a positive integer")
        if after is not None and after.optimizer is not optimizer:
            raise ValueError("LinearWarmup: `after` must schedule the same optimizer")
        self.warmup_steps, self.after = warmup_steps, after
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        if t < self.warmup_steps:
            return self.base_lr * (t + 1) / self.warmup_steps
        return self.base_lr if self.after is None else self.after.lr_at(t - self.warmup_steps)


# ---------------------------------------------------------------------------
# Gradient clipping (chapter 11)
# ---------------------------------------------------------------------------


def _with_grad(parameters: Iterable[Tensor] | Tensor) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float) -> float:
    """Rescale the gradients in place so that their joint 2-norm is at most ``max_norm``.

    The total norm treats all gradients as one vector,
    :math:`\\lVert g\\rVert = \\sqrt{\\sum_p \\sum_i g_{p,i}^2}`; when it exceeds
    :math:`c` = ``max_norm`` every gradient is multiplied by
    :math:`c / (\\lVert g\\rVert + 10^{-6})`, which keeps the direction.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Tensors whose ``.grad`` to clip; those without a gradient are skipped.
    max_norm : float
        :math:`c > 0`.

    Returns
    -------
    float
        :math:`\\lVert g\\rVert` before clipping.

    Notes
    -----
    Chapter 11: Vanishing and exploding gradients.
    """
    _check("clip_grad_norm_", max_norm > 0, "max_norm", max_norm, "positive")
    params = _with_grad(parameters)
    total = math.sqrt(sum(float(np.sum(np.square(p.grad, dtype=np.float64))) for p in params))
    if total > max_norm:
        scale = max_norm / (total + 1e-6)
        for p in params:
            p.grad *= scale
    return total


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clip every gradient entry into :math:`[-c, c]` in place, :math:`c` = ``clip_value`` > 0.

    Unlike :func:`clip_grad_norm_` this may change the gradient's direction.

    Notes
    -----
    Chapter 11: Vanishing and exploding gradients.
    """
    _check("clip_grad_value_", clip_value > 0, "clip_value", clip_value, "positive")
    for p in _with_grad(parameters):
        np.clip(p.grad, -clip_value, clip_value, out=p.grad)
