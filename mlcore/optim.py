"""Optimisers, learning-rate schedules and gradient clipping.

Chapter 9: Gradient-descent optimisers derives every update rule here;
chapter 11 (Vanishing and exploding gradients) motivates gradient clipping and
chapter 12 (Regularisation) weight decay.

Every optimiser follows PyTorch's layout. The parameters are split into
*parameter groups* (``optimizer.param_groups``, a list of dictionaries), each
with its own hyper-parameters: a plain list of parameters makes one group,
and a list of dictionaries makes several::

    optim.Adam([{"params": trunk.parameters(), "lr": 1e-4},
                {"params": head.parameters()}], lr=1e-3)

gives the trunk the rate ``1e-4`` and the head the default ``1e-3``.
:meth:`Optimizer.step` walks the groups, skips every parameter whose
``.grad`` is ``None`` (frozen with ``requires_grad_(False)``, or not used by
the loss), and updates ``p.data`` in place from the gradient, the group's
hyper-parameters and the parameter's own state (a dictionary of arrays
created on its first update).  All arithmetic happens in the parameter's
dtype, so a float32 model stays float32.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Iterator

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


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


# ---------------------------------------------------------------------------
# Optimisers
# ---------------------------------------------------------------------------


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``step``, ``zero_grad`` and state dicts.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        The tensors to update, usually ``model.parameters()``, or *parameter
        groups*: dictionaries with a ``"params"`` entry (a tensor or an
        iterable of tensors) and any hyper-parameters that should differ from
        ``defaults`` in that group. Each tensor must be a floating-point leaf
        and appear once in all groups. Tensors that do not require a gradient
        (frozen ones) are accepted and skipped while their ``.grad`` is ``None``.
    defaults : dict
        The hyper-parameters of the optimiser (``lr``, ``weight_decay`` and
        its own), used for every key a group does not set.

    Attributes
    ----------
    param_groups : list of dict
        One dictionary per group: ``"params"`` (a list of tensors) and every
        hyper-parameter, filled from ``defaults``. A scheduler changes
        ``group["lr"]`` and records the starting rate as ``group["initial_lr"]``.
    params : list of Tensor
        All parameters, group after group.
    state : list of dict
        ``state[i]`` is the state of ``params[i]`` (empty until its first update).

    Notes
    -----
    Chapter 9: Gradient-descent optimisers. Every group has ``lr``
    :math:`\\eta > 0` and ``weight_decay`` :math:`\\lambda \\ge 0`, the
    coefficient of an L2 penalty :math:`\\tfrac{\\lambda}{2}\\lVert w\\rVert^2`:
    :math:`\\lambda w` is added to every gradient before the update (Chapter 12:
    Regularisation). Subclasses implement :meth:`update`, the rule for one
    parameter array, :meth:`init_state`, and extend :meth:`check_group`. A
    subclass that sets ``decoupled_weight_decay = True`` receives the raw
    gradient and applies ``weight_decay`` itself (:class:`AdamW`).
    """

    decoupled_weight_decay = False

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]):
        name = type(self).__name__
        if isinstance(params, (Tensor, dict)):
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts (parameter "
                            f"groups), got a single {type(params).__name__}; wrap it in a list")
        self.defaults = self.check_group(dict(defaults), "")
        self.param_groups: list[dict[str, Any]] = []
        self.params: list[Tensor] = []
        self.state: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        if not all(isinstance(g, dict) for g in groups):
            if any(isinstance(g, dict) for g in groups):
                raise TypeError(f"{name}: params mixes tensors and dicts; give either tensors "
                                f"(one group) or dicts (one per group)")
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- parameter groups --------------------------------------------------------

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        """Validate the hyper-parameters of ``group`` and return them as plain Python numbers.

        ``where`` (e.g. ``" (parameter group 1)"``) ends every error message.
        Subclasses check their own hyper-parameters after calling this.
        """
        name = type(self).__name__
        for key in ("lr", "weight_decay"):
            _check(name, _is_number(group[key]), key + where, group[key], "a number")
        _check(name, group["lr"] > 0, "lr" + where, group["lr"], "positive")
        _check(name, group["weight_decay"] >= 0, "weight_decay" + where, group["weight_decay"],
               "non-negative")
        group["lr"], group["weight_decay"] = float(group["lr"]), float(group["weight_decay"])
        return group

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (missing ones come from ``defaults``).

        Everything is checked before anything changes: a failed call leaves
        the optimiser as it was. Raises ``TypeError`` for a parameter that is
        not a floating-point :class:`Tensor` and ``ValueError`` for a
        parameter listed twice or already in another group, a non-leaf
        tensor, an unknown key or a bad hyper-parameter.
        """
        name = type(self).__name__
        index = len(self.param_groups)
        where = f" (parameter group {index})" if index else ""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{name}: a parameter group must be a dict with a 'params' entry, "
                            f"got {type(param_group).__name__}")
        unknown = sorted(set(param_group) - set(self.defaults) - {"params", "initial_lr"})
        if unknown:
            raise ValueError(f"{name}: unknown hyper-parameter(s) {unknown}{where}; "
                             f"known: {sorted(self.defaults)}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for p in self.params}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: params[{i}]{where} is a {type(p).__name__}, not a Tensor")
            if p.dtype.kind != "f":
                raise TypeError(f"{name}: params[{i}]{where} has dtype {p.dtype}; only floating-point "
                                f"tensors can be optimised")
            if not p.is_leaf:
                raise ValueError(f"{name}: params[{i}]{where} (shape {p.shape}) is the result of an "
                                 f"operation, not a leaf tensor; optimise the leaves it came from")
            if id(p) in seen:
                where_else = "twice" if any(p is q for q in params[:i]) else "in more than one parameter group"
                raise ValueError(f"{name}: parameter of shape {p.shape} is listed {where_else}")
            seen.add(id(p))
        group = dict(self.defaults)
        group.update((k, v) for k, v in param_group.items() if k != "params")
        group = self.check_group(group, where)
        if "initial_lr" in group:
            _check(name, _is_number(group["initial_lr"]) and group["initial_lr"] > 0,
                   "initial_lr" + where, group["initial_lr"], "a positive number")
        group["params"] = params
        self.param_groups.append(group)
        self.params.extend(params)
        self.state.extend({} for _ in params)

    def _groups_params_states(self) -> Iterator[tuple[dict[str, Any], Tensor, dict[str, Any]]]:
        """Yield ``(group, parameter, state)`` for every parameter, group after group."""
        i = 0
        for group in self.param_groups:
            for p in group["params"]:
                yield group, p, self.state[i]
                i += 1

    @property
    def lr(self) -> float:
        """The learning rate of the first group, ``param_groups[0]["lr"]``.

        Setting it is allowed with a single group only; with several, set
        ``param_groups[i]["lr"]``.
        """
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        name = type(self).__name__
        if len(self.param_groups) > 1:
            raise AttributeError(f"{name}: optimizer.lr is ambiguous with {len(self.param_groups)} "
                                 f"parameter groups; set param_groups[i]['lr'] instead")
        _check(name, _is_number(value) and value > 0, "lr", value, "a positive number")
        self.param_groups[0]["lr"] = float(value)

    # -- the update ----------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient (gradients accumulate otherwise): to ``None``, or to zeros."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad[...] = 0

    def step(self) -> None:
        """Update every parameter that has a gradient, in place, with its group's hyper-parameters.

        Every gradient is checked first (an array of its parameter's shape,
        real-valued and finite-or-not but numeric): one bad gradient raises
        ``ValueError``/``TypeError`` before any parameter changes.
        """
        name = type(self).__name__
        grads = []
        for i, (group, p, state) in enumerate(self._groups_params_states()):
            if p.grad is None:
                grads.append(None)
                continue
            g = p.grad
            if not isinstance(g, np.ndarray) or g.dtype.kind not in "fiu":
                raise TypeError(f"{name}.step: the gradient of parameter {i} (shape {p.shape}) must be a real "
                                f"numeric array, got {getattr(g, 'dtype', type(g).__name__)}")
            if g.shape != p.shape:
                raise ValueError(f"{name}.step: the gradient of parameter {i} has shape {g.shape} but the "
                                 f"parameter has shape {p.shape}; nothing was updated")
            grads.append(g)
        for (group, p, state), g in zip(self._groups_params_states(), grads):
            if g is None:
                continue  # frozen, or not used by the loss
            if not state:
                state.update(self.init_state(p.data, group))
            g = np.asarray(g, dtype=p.dtype)
            if group["weight_decay"] and not self.decoupled_weight_decay:
                g = g + group["weight_decay"] * p.data
            self.update(p.data, g, state, group)

    def init_state(self, w: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        """The state of a parameter with values ``w`` in ``group`` before its first update (none by default)."""
        return {}

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:  # pragma: no cover
        """Change ``w`` in place given its gradient ``g`` (same shape and dtype), ``state`` and ``group``."""
        raise NotImplementedError

    # -- saving and loading ------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimiser's state in PyTorch's layout, as copies.

        ``{"state": {i: {name: value}}, "param_groups": [{hyper-parameters..., "params": [i, ...]}]}``,
        where ``i`` numbers the parameters group after group (the order of
        ``self.params``) and ``"state"`` holds only parameters updated at least
        once. :func:`mlcore.io.save_optimizer` writes it to an ``.npz`` file.
        """
        groups, start = [], 0
        for group in self.param_groups:
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = list(range(start, start + len(group["params"])))
            start += len(group["params"])
            groups.append(saved)
        state = {i: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                 for i, s in enumerate(self.state) if s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and per-parameter state saved by :meth:`state_dict`.

        Everything is validated first (the number of groups and of parameters
        in each, the hyper-parameter names and values, the state's names,
        shapes and step counts), so a failed load raises a ``ValueError`` or
        ``TypeError`` naming the problem and leaves the optimiser unchanged.
        State arrays are copied into the parameters' dtypes.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}: expected a dict with keys 'state' and 'param_groups', "
                            f"got {type(state_dict).__name__}")
        if set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}: expected keys ['param_groups', 'state'], got {sorted(map(str, state_dict))}")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or not isinstance(saved_state, dict):
            raise TypeError(f"{name}: 'param_groups' must be a list and 'state' a dict")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the state has {len(saved_groups)} parameter groups, "
                             f"the optimizer {len(self.param_groups)}")
        new_groups, index_of = [], {}   # saved parameter index -> position in self.params
        start = 0
        for k, (saved, own) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise TypeError(f"{name}: param_groups[{k}] must be a dict with a 'params' entry")
            ids = list(saved["params"])
            if len(ids) != len(own["params"]):
                raise ValueError(f"{name}: param_groups[{k}] has {len(ids)} parameters in the state, "
                                 f"{len(own['params'])} in the optimizer")
            keys = set(saved) - {"params", "initial_lr"}
            if keys != set(self.defaults):
                raise ValueError(f"{name}: param_groups[{k}] has hyper-parameters {sorted(keys)}, "
                                 f"expected {sorted(self.defaults)}")
            group = self.check_group({key: saved[key] for key in keys}, f" (parameter group {k})")
            if "initial_lr" in saved:
                _check(name, _is_number(saved["initial_lr"]) and saved["initial_lr"] > 0,
                       f"param_groups[{k}]['initial_lr']", saved["initial_lr"], "a positive number")
                group["initial_lr"] = float(saved["initial_lr"])
            group["params"] = own["params"]
            new_groups.append(group)
            for j, saved_id in enumerate(ids):
                if not isinstance(saved_id, (int, np.integer)) or saved_id in index_of:
                    raise ValueError(f"{name}: param_groups[{k}]['params'] must list distinct "
                                     f"integer indices, got {ids}")
                index_of[int(saved_id)] = start + j
            start += len(ids)
        groups_of = [g for g in new_groups for _ in g["params"]]
        new_state: list[dict[str, Any]] = [{} for _ in self.params]
        for key, saved in saved_state.items():
            try:
                i = index_of[int(key)]
            except (KeyError, ValueError, TypeError):
                raise ValueError(f"{name}: state for parameter {key!r}, which no group lists") from None
            if not isinstance(saved, dict):
                raise TypeError(f"{name}: state[{key!r}] must be a dict, got {type(saved).__name__}")
            p = self.params[i]
            expected = self.init_state(p.data, groups_of[i])
            if set(saved) != set(expected):
                raise ValueError(f"{name}: state[{key!r}] has entries {sorted(saved)}, expected "
                                 f"{sorted(expected)}")
            for entry, template in expected.items():
                value = saved[entry]
                if isinstance(template, np.ndarray):
                    value = np.asarray(value)
                    if value.shape != template.shape or value.dtype.kind not in "iuf":
                        raise ValueError(f"{name}: state[{key!r}]['{entry}'] has shape {value.shape} "
                                         f"and dtype {value.dtype}, expected {template.shape} float")
                    new_state[i][entry] = value.astype(p.dtype, copy=True)
                else:   # a step counter
                    number = np.asarray(value)
                    if number.size != 1 or number.dtype.kind not in "iuf" or number != int(number) or number < 0:
                        raise ValueError(f"{name}: state[{key!r}]['{entry}'] must be a non-negative "
                                         f"integer, got {value!r}")
                    new_state[i][entry] = int(number)
        # Everything checked: now change the optimiser.
        self.param_groups[:] = new_groups
        for own, new in zip(self.state, new_state):
            own.clear()
            own.update(new)


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
    params : iterable of Tensor, or iterable of dict (parameter groups)
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

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 0.01,
                 momentum: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        _check("SGD", _is_number(group["momentum"]) and 0 <= group["momentum"] < 1,
               "momentum" + where, group["momentum"], "in [0, 1)")
        if group["nesterov"] and group["momentum"] == 0:
            raise ValueError(f"SGD: nesterov=True needs momentum > 0, got momentum=0{where}")
        group["momentum"], group["nesterov"] = float(group["momentum"]), bool(group["nesterov"])
        return group

    def init_state(self, w: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"momentum_buffer": np.zeros_like(w)} if group["momentum"] else {}

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        momentum = group["momentum"]
        if momentum:
            b = state["momentum_buffer"]
            b *= momentum
            b += g
            g = g + momentum * b if group["nesterov"] else b
        w -= group["lr"] * g


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan and Singer, 2011): a per-coordinate step shrinking with past gradients.

    .. math::

        G_t = G_{t-1} + g_t^2 \\quad (G_0 = 0), \\qquad
        w_t = w_{t-1} - \\eta\\, \\frac{g_t}{\\sqrt{G_t} + \\epsilon},

    element-wise, with :math:`g_t` including :math:`\\lambda w_{t-1}` when
    ``weight_decay`` is set.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict (parameter groups)
    lr : float
        :math:`\\eta > 0`.
    eps : float
        :math:`\\epsilon > 0`, guards the division.
    weight_decay : float
        :math:`\\lambda \\ge 0`.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers. State (PyTorch's names):
    ``"step"`` :math:`t` and ``"sum"`` :math:`G`.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 0.01,
                 eps: float = 1e-10, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, eps=eps, weight_decay=weight_decay))

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        _check("Adagrad", _is_number(group["eps"]) and group["eps"] > 0, "eps" + where, group["eps"], "positive")
        group["eps"] = float(group["eps"])
        return group

    def init_state(self, w: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "sum": np.zeros_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] += 1
        G = state["sum"]
        G += g * g
        w -= group["lr"] * g / (np.sqrt(G) + group["eps"])


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
    params : iterable of Tensor, or iterable of dict (parameter groups)
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
    Chapter 9: Gradient-descent optimisers. State (PyTorch's names):
    ``"step"``, ``"square_avg"`` :math:`E[g^2]` and ``"acc_delta"`` :math:`E[\\Delta w^2]`.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        _check("Adadelta", _is_number(group["rho"]) and 0 <= group["rho"] < 1, "rho" + where,
               group["rho"], "in [0, 1)")
        _check("Adadelta", _is_number(group["eps"]) and group["eps"] > 0, "eps" + where, group["eps"], "positive")
        group["rho"], group["eps"] = float(group["rho"]), float(group["eps"])
        return group

    def init_state(self, w: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "square_avg": np.zeros_like(w), "acc_delta": np.zeros_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] += 1
        sq_avg, delta_sq_avg = state["square_avg"], state["acc_delta"]
        rho, eps = group["rho"], group["eps"]
        sq_avg *= rho
        sq_avg += (1 - rho) * g * g
        delta = -np.sqrt(delta_sq_avg + eps) / np.sqrt(sq_avg + eps) * g
        delta_sq_avg *= rho
        delta_sq_avg += (1 - rho) * delta * delta
        w += group["lr"] * delta


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
    params : iterable of Tensor, or iterable of dict (parameter groups)
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
    Chapter 9: Gradient-descent optimisers. State (PyTorch's names):
    ``"step"``, ``"square_avg"`` :math:`v` and, with momentum,
    ``"momentum_buffer"`` :math:`b`.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum,
                                      weight_decay=weight_decay))

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        _check("RMSprop", _is_number(group["alpha"]) and 0 <= group["alpha"] < 1, "alpha" + where,
               group["alpha"], "in [0, 1)")
        _check("RMSprop", _is_number(group["eps"]) and group["eps"] > 0, "eps" + where, group["eps"], "positive")
        _check("RMSprop", _is_number(group["momentum"]) and 0 <= group["momentum"] < 1,
               "momentum" + where, group["momentum"], "in [0, 1)")
        for key in ("alpha", "eps", "momentum"):
            group[key] = float(group[key])
        return group

    def init_state(self, w: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "square_avg": np.zeros_like(w)}
        if group["momentum"]:
            state["momentum_buffer"] = np.zeros_like(w)
        return state

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] += 1
        alpha, momentum = group["alpha"], group["momentum"]
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * g * g
        step = g / (np.sqrt(v) + group["eps"])
        if momentum:
            b = state.setdefault("momentum_buffer", np.zeros_like(w))
            b *= momentum
            b += step
            step = b
        w -= group["lr"] * step


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
    params : iterable of Tensor, or iterable of dict (parameter groups)
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

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def check_group(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        group = super().check_group(group, where)
        name, betas = type(self).__name__, group["betas"]
        _check(name, isinstance(betas, (tuple, list, np.ndarray)) and len(betas) == 2,
               "betas" + where, betas, "a pair (beta1, beta2)")
        _check(name, _is_number(betas[0]) and 0 <= betas[0] < 1, "betas[0]" + where, betas[0], "in [0, 1)")
        _check(name, _is_number(betas[1]) and 0 <= betas[1] < 1, "betas[1]" + where, betas[1], "in [0, 1)")
        _check(name, _is_number(group["eps"]) and group["eps"] > 0, "eps" + where, group["eps"], "positive")
        group["betas"], group["eps"] = (float(betas[0]), float(betas[1])), float(group["eps"])
        return group

    def init_state(self, w: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(w), "exp_avg_sq": np.zeros_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        w -= group["lr"] * self._adam_direction(g, state, group)

    def _adam_direction(self, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> np.ndarray:
        """Advance the moments and return :math:`\\hat m_t / (\\sqrt{\\hat v_t} + \\epsilon)`."""
        beta1, beta2 = group["betas"]
        state["step"] = t = state["step"] + 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        return m_hat / (np.sqrt(v_hat) + group["eps"])


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
    params : iterable of Tensor, or iterable of dict (parameter groups)
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

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01):
        super().__init__(params, lr, betas, eps, weight_decay)

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        w -= group["lr"] * (self._adam_direction(g, state, group) + group["weight_decay"] * w)


# ---------------------------------------------------------------------------
# Learning-rate schedules
# ---------------------------------------------------------------------------


class LRScheduler:
    """Base class: sets every parameter group's ``lr`` from a closed-form schedule :math:`\\eta(t)`.

    ``t`` (``self.last_epoch``) starts at 0, when the optimiser gets
    :math:`\\eta(0)`; each :meth:`step` (usually once per epoch, after the
    optimiser's steps) advances ``t`` by one and sets each group's ``lr`` to
    :math:`\\eta(t)` computed from that group's base rate :math:`\\eta_0`. As
    in PyTorch, the base rate is ``group["initial_lr"]``, which the first
    scheduler of an optimiser records from ``group["lr"]``; so two groups
    with rates ``1e-4`` and ``1e-3`` keep their ratio along the schedule.
    ``self.base_lrs`` lists the base rates and ``self.base_lr`` is the first.

    Notes
    -----
    Chapter 9: Gradient-descent optimisers. Subclasses implement
    :meth:`lr_at`.
    """

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._set_lrs()

    @property
    def base_lr(self) -> float:
        """The base rate :math:`\\eta_0` of the first parameter group."""
        return self.base_lrs[0]

    def lr_at(self, t: int, base_lr: float | None = None) -> float:  # pragma: no cover - abstract
        """The learning rate :math:`\\eta(t)` after ``t`` calls of :meth:`step`, for base rate
        ``base_lr`` (the first group's, :attr:`base_lr`, by default)."""
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        """The learning rate of every group for the current step ``self.last_epoch``."""
        return [self.lr_at(self.last_epoch, base) for base in self.base_lrs]

    def get_last_lr(self) -> list[float]:
        """The learning rate each group uses now (``group["lr"]``), as in PyTorch."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def _set_lrs(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise RuntimeError(f"{type(self).__name__}: the optimizer has {len(groups)} parameter groups "
                               f"but the scheduler was built for {len(self.base_lrs)}; build a new scheduler "
                               f"after add_param_group")
        for group, lr in zip(groups, self.get_lr()):
            group["lr"] = lr

    def step(self) -> None:
        """Advance the schedule by one step and set every group's learning rate."""
        self.last_epoch += 1
        self._set_lrs()

    def state_dict(self) -> dict[str, Any]:
        """The schedule's progress: ``{"last_epoch": t, "base_lrs": [...]}``."""
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict` and set the optimiser's rates; checked first, unchanged on error."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"last_epoch", "base_lrs"}:
            raise ValueError(f"{name}: expected a dict with keys 'base_lrs' and 'last_epoch', got {state_dict!r}")
        t, bases = state_dict["last_epoch"], list(np.ravel(state_dict["base_lrs"]))
        if not (_is_number(t) and t >= 0 and t == int(t)):
            raise ValueError(f"{name}: last_epoch must be a non-negative integer, got {t!r}")
        if len(bases) != len(self.base_lrs) or not all(_is_number(b) and b > 0 for b in bases):
            raise ValueError(f"{name}: base_lrs must be {len(self.base_lrs)} positive numbers, got {bases!r}")
        self.last_epoch, self.base_lrs = int(t), [float(b) for b in bases]
        self._set_lrs()


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

    def lr_at(self, t: int, base_lr: float | None = None) -> float:
        eta0 = self.base_lr if base_lr is None else base_lr
        return eta0 * self.gamma ** (t // self.step_size)


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

    def lr_at(self, t: int, base_lr: float | None = None) -> float:
        eta0 = self.base_lr if base_lr is None else base_lr
        return eta0 * self.gamma ** t


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

    def lr_at(self, t: int, base_lr: float | None = None) -> float:
        eta0 = self.base_lr if base_lr is None else base_lr
        progress = min(t, self.T_max) / self.T_max
        return self.eta_min + 0.5 * (eta0 - self.eta_min) * (1 + math.cos(math.pi * progress))


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

    def lr_at(self, t: int, base_lr: float | None = None) -> float:
        eta0 = self.base_lr if base_lr is None else base_lr
        if t < self.warmup_steps:
            return eta0 * (t + 1) / self.warmup_steps
        return eta0 if self.after is None else self.after.lr_at(t - self.warmup_steps, eta0)


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
