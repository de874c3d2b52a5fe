"""Experience replay: a fixed-capacity ring buffer of transitions, sampled uniformly.

Chapter 25: Deep reinforcement learning.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlcore._random import check_rng
from mlcore.rl._checks import check_positive_int

__all__ = ["Transitions", "ReplayBuffer"]


class Transitions(NamedTuple):
    """A batch of transitions :math:`(s, a, r, s', \\text{terminated})`, one row each.

    Shapes: ``obs`` and ``next_obs`` (B, obs_size) float32, ``actions`` (B,)
    int64, ``rewards`` (B,) float32, ``terminated`` (B,) bool. Chapter 25:
    Deep reinforcement learning.
    """

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_obs: np.ndarray
    terminated: np.ndarray


class ReplayBuffer:
    """Keep the last ``capacity`` transitions in preallocated NumPy arrays; sample them uniformly.

    A new transition goes to slot ``position``, which then advances modulo
    ``capacity``: once the buffer is full, the oldest transition is
    overwritten (a ring buffer). Sampling draws ``batch_size`` slots
    uniformly *with* replacement from the filled ones, as
    Mnih et al. (2015) did, using the generator ``rng``.

    Parameters
    ----------
    capacity : int
        Maximum number of transitions kept.
    obs_size : int
        Length of one observation vector.
    rng : numpy.random.Generator or int, optional
        Source of the sampled indices.

    Notes
    -----
    Only *termination* is stored, not truncation: an episode cut off by a
    time limit is not a terminal state, so its last transition still
    bootstraps from :math:`s'`. Chapter 25: Deep reinforcement learning.
    """

    def __init__(self, capacity: int, obs_size: int, rng: Any = None):
        self.capacity = check_positive_int("ReplayBuffer", "capacity", capacity)
        self.obs_size = check_positive_int("ReplayBuffer", "obs_size", obs_size)
        self.rng = check_rng(rng)
        self.obs = np.zeros((self.capacity, self.obs_size), dtype=np.float32)
        self.next_obs = np.zeros((self.capacity, self.obs_size), dtype=np.float32)
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=bool)
        self.position = 0  # the slot the next transition goes to
        self.size = 0      # how many slots are filled

    def __len__(self) -> int:
        return self.size

    def push(self, obs: Any, action: int, reward: float, next_obs: Any, terminated: bool) -> None:
        """Store one transition, overwriting the oldest when the buffer is full."""
        obs = np.asarray(obs, dtype=np.float32)
        next_obs = np.asarray(next_obs, dtype=np.float32)
        if obs.shape != (self.obs_size,) or next_obs.shape != (self.obs_size,):
            raise ValueError(f"ReplayBuffer.push: obs and next_obs must have shape ({self.obs_size},), "
                             f"got {obs.shape} and {next_obs.shape}")
        i = self.position
        self.obs[i] = obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_obs[i] = next_obs
        self.terminated[i] = terminated
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int) -> Transitions:
        """Draw ``batch_size`` stored transitions uniformly at random (with replacement); copies."""
        batch_size = check_positive_int("ReplayBuffer.sample", "batch_size", batch_size)
        if self.size == 0:
            raise ValueError("ReplayBuffer.sample: the buffer is empty")
        idx = self.rng.integers(0, self.size, size=batch_size)
        return Transitions(self.obs[idx], self.actions[idx], self.rewards[idx],
                           self.next_obs[idx], self.terminated[idx])

    def __repr__(self) -> str:
        return f"ReplayBuffer(capacity={self.capacity}, obs_size={self.obs_size}, size={self.size})"
