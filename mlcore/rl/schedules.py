"""Exploration schedules: the probability :math:`\\epsilon` of a random action after ``step`` steps.

Chapter 25: Deep reinforcement learning.
"""

from __future__ import annotations

import math

from mlcore.rl._checks import check_fraction, check_non_negative_int, check_positive, check_positive_int

__all__ = ["LinearSchedule", "ExponentialSchedule"]


class LinearSchedule:
    """:math:`\\epsilon` falls linearly from ``start`` to ``end`` over ``duration`` steps, then stays.

    .. math::

        \\epsilon(t) = \\text{start} + (\\text{end} - \\text{start}) \\min(t / \\text{duration}, 1).

    Parameters
    ----------
    start, end : float
        Values in [0, 1].
    duration : int
        Number of steps of the decay, >= 1.

    Chapter 25: Deep reinforcement learning.
    """

    def __init__(self, start: float = 1.0, end: float = 0.05, duration: int = 10_000):
        self.start = check_fraction("LinearSchedule", "start", start)
        self.end = check_fraction("LinearSchedule", "end", end)
        self.duration = check_positive_int("LinearSchedule", "duration", duration)

    def __call__(self, step: int) -> float:
        step = check_non_negative_int("LinearSchedule", "step", step)
        return self.start + (self.end - self.start) * min(step / self.duration, 1.0)

    def __repr__(self) -> str:
        return f"LinearSchedule(start={self.start}, end={self.end}, duration={self.duration})"


class ExponentialSchedule:
    """:math:`\\epsilon` decays geometrically from ``start`` towards ``end`` with time constant ``tau`` steps.

    .. math::

        \\epsilon(t) = \\text{end} + (\\text{start} - \\text{end})\\, e^{-t/\\tau}.

    Parameters
    ----------
    start, end : float
        Values in [0, 1].
    tau : float
        Time constant in steps, > 0: after ``tau`` steps the gap to ``end``
        has shrunk by a factor :math:`e`.

    Chapter 25: Deep reinforcement learning.
    """

    def __init__(self, start: float = 1.0, end: float = 0.05, tau: float = 2_000.0):
        self.start = check_fraction("ExponentialSchedule", "start", start)
        self.end = check_fraction("ExponentialSchedule", "end", end)
        self.tau = check_positive("ExponentialSchedule", "tau", tau)

    def __call__(self, step: int) -> float:
        step = check_non_negative_int("ExponentialSchedule", "step", step)
        return self.end + (self.start - self.end) * math.exp(-step / self.tau)

    def __repr__(self) -> str:
        return f"ExponentialSchedule(start={self.start}, end={self.end}, tau={self.tau})"
