"""Evaluating a policy on many episodes, and recording one episode's states.

Chapter 25: Deep reinforcement learning.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from mlcore.rl._checks import check_non_negative_int, check_positive_int

__all__ = ["evaluate", "rollout", "copy_env"]


def copy_env(env: Any) -> Any:
    """A fresh, independent copy of ``env``: ``gymnasium.make(env.spec)`` when it has a spec, else a deep copy.

    Chapter 25: Deep reinforcement learning.
    """
    if getattr(env, "spec", None) is not None:
        import gymnasium

        return gymnasium.make(env.spec)
    return copy.deepcopy(env)


def evaluate(policy: Callable[[np.ndarray], np.ndarray], env: Any, episodes: int = 100,
             seed: int = 0) -> np.ndarray:
    """The undiscounted return of ``episodes`` episodes played by ``policy``, in lock-step.

    Episode ``i`` runs in its own copy of ``env`` (:func:`copy_env`), reset
    with seed ``seed + i``, until it terminates or is truncated (by the
    environment's time limit). All running episodes advance together, so
    ``policy`` is called once per time step on a batch of observations.

    Parameters
    ----------
    policy : callable
        Maps observations of shape (B, obs_size) to B integer actions.
    env : gymnasium.Env
    episodes : int
    seed : int

    Returns
    -------
    ndarray, shape (episodes,)
        The return of each episode. Chapter 25: Deep reinforcement learning.
    """
    episodes = check_positive_int("evaluate", "episodes", episodes)
    seed = check_non_negative_int("evaluate", "seed", seed)
    envs = [copy_env(env) for _ in range(episodes)]
    obs = np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(envs)]).astype(np.float32)
    returns = np.zeros(episodes)
    running = np.ones(episodes, dtype=bool)
    while running.any():
        live = np.flatnonzero(running)
        actions = np.asarray(policy(obs[live]))
        for j, i in enumerate(live):
            o, r, terminated, truncated, _ = envs[i].step(int(actions[j]))
            obs[i] = o
            returns[i] += r
            if terminated or truncated:
                running[i] = False
    for e in envs:
        e.close()
    return returns


def rollout(policy: Callable[[np.ndarray], np.ndarray], env: Any, seed: int = 0,
            max_steps: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Play one episode with ``policy`` and record it.

    Returns ``(observations, actions, rewards)`` of shapes (T+1, obs_size),
    (T,) and (T,): the states visited (including the last), the actions taken
    and the rewards received. ``max_steps`` stops the episode early.
    Chapter 25: Deep reinforcement learning.
    """
    seed = check_non_negative_int("rollout", "seed", seed)
    if max_steps is not None:
        max_steps = check_positive_int("rollout", "max_steps", max_steps)
    obs, _ = env.reset(seed=seed)
    states, actions, rewards = [np.asarray(obs, dtype=np.float32)], [], []
    done = False
    while not done and (max_steps is None or len(actions) < max_steps):
        a = int(np.asarray(policy(states[-1][None]))[0])
        obs, r, terminated, truncated, _ = env.step(a)
        states.append(np.asarray(obs, dtype=np.float32))
        actions.append(a)
        rewards.append(float(r))
        done = terminated or truncated
    return np.array(states), np.array(actions, dtype=np.int64), np.array(rewards)
