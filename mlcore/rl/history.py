"""What a training run records: returns per episode, evaluations, cost.

Chapter 25: Deep reinforcement learning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["TrainingHistory"]


@dataclass
class TrainingHistory:
    """The record of one training run of an agent.

    Attributes
    ----------
    episode_returns : list of float
        Undiscounted return of every training episode, in order.
    episode_end_steps : list of int
        Total environment steps taken when each training episode ended.
    evaluations : list of (int, int, float)
        ``(episode, step, mean_return)`` of every evaluation run during training.
    solved : bool
        Whether an evaluation reached the target mean return.
    cpu_seconds : float
        Processor time of the run (``time.process_time``), evaluations included.

    Chapter 25: Deep reinforcement learning.
    """

    episode_returns: list = field(default_factory=list)
    episode_end_steps: list = field(default_factory=list)
    evaluations: list = field(default_factory=list)
    solved: bool = False
    cpu_seconds: float = 0.0

    @property
    def episodes(self) -> int:
        """Number of training episodes played."""
        return len(self.episode_returns)

    @property
    def steps(self) -> int:
        """Number of environment steps taken in training."""
        return self.episode_end_steps[-1] if self.episode_end_steps else 0

    def moving_average(self, window: int = 20) -> np.ndarray:
        """Mean return of the last ``window`` episodes (fewer at the start), one value per episode."""
        r = np.asarray(self.episode_returns, dtype=np.float64)
        c = np.concatenate([[0.0], np.cumsum(r)])
        lo = np.maximum(np.arange(1, len(r) + 1) - window, 0)
        return (c[1:] - c[lo]) / (np.arange(1, len(r) + 1) - lo)
