"""Optimisers: rules that turn gradients into parameter updates (chapter 9)."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from mlcore.nn.module import Parameter

__all__ = ["Optimizer", "SGD"]


class Optimizer:
    """Holds a list of parameters and updates them in :meth:`step`."""

    def __init__(self, params: Iterable[Parameter], lr: float):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for p in self.params:
            if not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: parameter of shape {p.shape} does not require grad")
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: learning rate must be positive, got {lr}")
        self.lr = float(lr)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient before the next backward pass."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum and weight decay.

    With gradient :math:`g_t` (plus :math:`\\lambda w` when ``weight_decay`` is
    :math:`\\lambda`), the update is

    .. math::

        v_t = \\mu v_{t-1} + g_t, \\qquad
        w \\leftarrow w - \\eta\\, (g_t + \\mu v_t \\text{ if Nesterov else } v_t),

    which is plain :math:`w \\leftarrow w - \\eta g_t` for :math:`\\mu = 0`
    (the convention of PyTorch's ``torch.optim.SGD``).
    """

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
        if weight_decay < 0:
            raise ValueError(f"SGD: weight_decay must be non-negative, got {weight_decay}")
        if nesterov and momentum == 0:
            raise ValueError("SGD: Nesterov momentum needs momentum > 0")
        self.momentum, self.weight_decay, self.nesterov = momentum, weight_decay, nesterov
        self.velocity = [np.zeros_like(p.data) for p in self.params]

    def step(self) -> None:
        for p, v in zip(self.params, self.velocity):
            if p.grad is None:
                continue
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            if self.momentum:
                v *= self.momentum
                v += g
                g = g + self.momentum * v if self.nesterov else v
            p.data -= (self.lr * g).astype(p.dtype, copy=False)
