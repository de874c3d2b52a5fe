"""Argument checks shared by :mod:`mlcore.rl`: one mistake, one message everywhere."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def check_positive_int(owner: str, name: str, value: Any) -> int:
    """Return ``value`` as an int after checking it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    return int(value)


def check_non_negative_int(owner: str, name: str, value: Any) -> int:
    """Return ``value`` as an int after checking it is an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_fraction(owner: str, name: str, value: Any, *, open_low: bool = False) -> float:
    """Return ``value`` as a float after checking it lies in [0, 1] (or (0, 1] with ``open_low``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a number in [0, 1], got {value!r}")
    low_ok = value > 0 if open_low else value >= 0
    if not (low_ok and value <= 1):
        interval = "(0, 1]" if open_low else "[0, 1]"
        raise ValueError(f"{owner}: {name} must lie in {interval}, got {value!r}")
    return float(value)


def check_positive(owner: str, name: str, value: Any) -> float:
    """Return ``value`` as a float after checking it is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive number, got {value!r}")
    return float(value)


def check_hidden(owner: str, hidden: Any) -> tuple[int, ...]:
    """Return the hidden-layer sizes as a tuple of positive ints."""
    if isinstance(hidden, numbers.Integral):
        hidden = (hidden,)
    try:
        sizes = tuple(hidden)
    except TypeError:
        raise TypeError(f"{owner}: hidden must be a sequence of layer sizes, got {hidden!r}") from None
    for h in sizes:
        check_positive_int(owner, "every hidden size", h)
    return tuple(int(h) for h in sizes)


def check_discrete_env(owner: str, env: Any) -> tuple[int, int]:
    """Check ``env`` is a Gymnasium environment with a flat Box observation and a Discrete action space.

    Returns ``(observation_size, number_of_actions)``.
    """
    from gymnasium import spaces

    for attr in ("reset", "step", "action_space", "observation_space"):
        if not hasattr(env, attr):
            raise TypeError(f"{owner}: env must be a Gymnasium environment (no attribute {attr!r}); "
                            f"got {type(env).__name__}")
    if not isinstance(env.action_space, spaces.Discrete):
        raise ValueError(f"{owner}: needs a discrete action space (gymnasium.spaces.Discrete); "
                         f"this environment has {env.action_space}")
    if env.action_space.start != 0:
        raise ValueError(f"{owner}: the actions must be numbered from 0; this space starts at "
                         f"{env.action_space.start}")
    space = env.observation_space
    if not isinstance(space, spaces.Box) or len(space.shape) != 1:
        raise ValueError(f"{owner}: needs a flat (1-D) Box observation space; this environment has {space}")
    return int(space.shape[0]), int(env.action_space.n)
