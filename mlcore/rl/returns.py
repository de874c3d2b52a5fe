"""Discounted returns and reward-to-go.

For rewards :math:`r_0, \\dots, r_{T-1}` of one episode and a discount
:math:`\\gamma \\in [0, 1]`, the *return from step t* (the reward-to-go) is

.. math::

    G_t = \\sum_{k=t}^{T-1} \\gamma^{k-t} r_k = r_t + \\gamma G_{t+1}, \\qquad G_T = 0,

and the discounted return of the whole episode is :math:`G_0`.
Chapter 25: Deep reinforcement learning.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcore.rl._checks import check_fraction

__all__ = ["discounted_return", "reward_to_go"]


def _check_rewards(fn: str, rewards: Any) -> np.ndarray:
    try:
        r = np.asarray(rewards, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{fn}: rewards must be a 1-D array of numbers, got {type(rewards).__name__}") from err
    if r.ndim != 1:
        raise ValueError(f"{fn}: rewards must be 1-D (one episode), got shape {r.shape}")
    if not np.all(np.isfinite(r)):
        raise ValueError(f"{fn}: rewards contain NaN or infinity")
    return r


def reward_to_go(rewards: Any, gamma: float = 1.0) -> np.ndarray:
    """The discounted return from every step of one episode, :math:`G_t = r_t + \\gamma G_{t+1}`.

    Parameters
    ----------
    rewards : array_like, shape (T,)
        The rewards :math:`r_0, \\dots, r_{T-1}` in the order they were received.
    gamma : float
        Discount :math:`\\gamma \\in [0, 1]`.

    Returns
    -------
    ndarray, shape (T,), float64
        :math:`G_t = \\sum_{k \\ge t} \\gamma^{k-t} r_k`, computed backwards in one
        pass (:math:`O(T)`). Chapter 25: Deep reinforcement learning.
    """
    r = _check_rewards("reward_to_go", rewards)
    gamma = check_fraction("reward_to_go", "gamma", gamma)
    out = np.empty_like(r)
    running = 0.0
    for t in range(len(r) - 1, -1, -1):
        running = r[t] + gamma * running
        out[t] = running
    return out


def discounted_return(rewards: Any, gamma: float = 1.0) -> float:
    """The discounted return of a whole episode, :math:`G_0 = \\sum_t \\gamma^t r_t`.

    Parameters
    ----------
    rewards : array_like, shape (T,)
    gamma : float
        Discount :math:`\\gamma \\in [0, 1]`.

    Chapter 25: Deep reinforcement learning.
    """
    r = _check_rewards("discounted_return", rewards)
    gamma = check_fraction("discounted_return", "gamma", gamma)
    return float(np.sum(r * gamma ** np.arange(len(r)))) if len(r) else 0.0
