"""Deep Q-networks: Q-learning with a neural network, experience replay and a target network.

The network :math:`Q_\\theta(s, \\cdot)` outputs one value per action. Each
training step samples a minibatch of stored transitions and regresses
:math:`Q_\\theta(s, a)` towards the one-step Bellman target

.. math::

    y = r + \\gamma\\, (1 - \\text{terminated}) \\max_{a'} Q_{\\bar\\theta}(s', a'),

with the Huber loss (Huber, 1964), where :math:`\\bar\\theta` are
the weights of the *target network*: a copy of :math:`\\theta` refreshed every
``target_update`` steps (or moved towards it by Polyak averaging), or
:math:`\\theta` itself when the target network is switched off
(Mnih et al., 2015). Chapter 25: Deep reinforcement learning.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from mlcore import functional as F
from mlcore import optim
from mlcore.rl._checks import (
    check_discrete_env,
    check_fraction,
    check_non_negative_int,
    check_positive,
    check_positive_int,
)
from mlcore.rl.evaluation import evaluate
from mlcore.rl.history import TrainingHistory
from mlcore.rl.networks import mlp, numpy_forward
from mlcore.rl.replay import ReplayBuffer, Transitions
from mlcore.rl.schedules import LinearSchedule
from mlcore.tensor import Tensor

__all__ = ["DQN"]


class DQN:
    """A deep Q-network agent for a Gymnasium environment with discrete actions.

    Parameters
    ----------
    env : gymnasium.Env
        Flat Box observations, ``Discrete(n)`` actions (anything else is a ValueError).
    hidden : int or sequence of int
        Hidden widths of the Q-network.
    lr : float
        Adam learning rate.
    gamma : float
        Discount in [0, 1].
    buffer_size : int
        Capacity of the replay buffer. ``buffer_size=batch_size`` with
        ``train_every=1`` approximates learning from the latest transitions only.
    batch_size : int
        Transitions per gradient step.
    learning_starts : int
        Environment steps taken (acting by the schedule) before the first gradient step.
    train_every : int
        One gradient step every this many environment steps.
    target_network : bool
        Use a separate target network; ``False`` bootstraps from the online network.
    target_update : int
        Hard update: copy the online weights into the target every this many
        gradient steps (ignored when ``tau`` is given).
    tau : float, optional
        Polyak averaging :math:`\\bar\\theta \\leftarrow \\tau\\theta + (1-\\tau)\\bar\\theta`
        after every gradient step, :math:`\\tau \\in (0, 1]`.
    epsilon : callable, optional
        Exploration schedule, step -> probability of a random action
        (default ``LinearSchedule(1.0, 0.02, 5_000)``).
    huber_delta : float
        Threshold :math:`\\delta` of the Huber loss.
    max_grad_norm : float, optional
        Clip the gradient's norm to this value (``None``: no clipping).
    seed : int
        Seeds the network initialisation, the exploration, the replay
        sampling and the environment's first reset.

    Chapter 25: Deep reinforcement learning.
    """

    def __init__(self, env: Any, hidden: Any = (64, 64), lr: float = 1e-3, gamma: float = 0.99,
                 buffer_size: int = 50_000, batch_size: int = 64, learning_starts: int = 500,
                 train_every: int = 1, target_network: bool = True, target_update: int = 100,
                 tau: float | None = None, epsilon: Any = None, huber_delta: float = 1.0,
                 max_grad_norm: float | None = 10.0, seed: int = 0):
        owner = "DQN"
        self.obs_size, self.n_actions = check_discrete_env(owner, env)
        self.gamma = check_fraction(owner, "gamma", gamma)
        self.batch_size = check_positive_int(owner, "batch_size", batch_size)
        self.learning_starts = check_non_negative_int(owner, "learning_starts", learning_starts)
        self.train_every = check_positive_int(owner, "train_every", train_every)
        self.target_update = check_positive_int(owner, "target_update", target_update)
        self.tau = None if tau is None else check_fraction(owner, "tau", tau, open_low=True)
        self.huber_delta = check_positive(owner, "huber_delta", huber_delta)
        self.max_grad_norm = None if max_grad_norm is None else check_positive(owner, "max_grad_norm", max_grad_norm)
        self.seed = check_non_negative_int(owner, "seed", seed)
        self.epsilon = LinearSchedule(1.0, 0.02, 5_000) if epsilon is None else epsilon
        if not callable(self.epsilon):
            raise TypeError(f"DQN: epsilon must be a schedule (a callable step -> probability), "
                            f"got {type(self.epsilon).__name__}")
        lr = check_positive(owner, "lr", lr)
        self.env = env
        net_rng, self.rng, replay_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
        self.q_network = mlp(self.obs_size, self.n_actions, hidden, rng=net_rng)
        self.target = mlp(self.obs_size, self.n_actions, hidden) if target_network else None
        if self.target is not None:
            self.target.load_state_dict(self.q_network.state_dict())
        self._parameters = self.q_network.parameters()
        self.optimizer = optim.Adam(self._parameters, lr=lr)
        self.buffer = ReplayBuffer(check_positive_int(owner, "buffer_size", buffer_size), self.obs_size,
                                   rng=replay_rng)
        self.steps = 0           # environment steps taken in training
        self.gradient_steps = 0

    # -- acting --------------------------------------------------------------

    def q_values(self, obs: Any) -> np.ndarray:
        """:math:`Q_\\theta(s, \\cdot)` for observations (obs_size,) or (B, obs_size), no gradient."""
        return numpy_forward(self.q_network, np.asarray(obs, dtype=np.float32))

    def greedy(self, obs: Any) -> np.ndarray:
        """:math:`\\arg\\max_a Q_\\theta(s, a)` for each observation in a batch (B, obs_size)."""
        return self.q_values(obs).argmax(axis=-1)

    def act(self, obs: Any, epsilon: float) -> int:
        """An :math:`\\epsilon`-greedy action for one observation, drawn with the agent's generator."""
        if self.rng.random() < epsilon:
            return int(self.rng.integers(self.n_actions))
        return int(self.q_values(obs).argmax())

    # -- learning --------------------------------------------------------------

    def td_targets(self, batch: Transitions) -> np.ndarray:
        """:math:`y = r + \\gamma (1 - \\text{terminated}) \\max_{a'} Q(s', a')`, from the target network if any."""
        bootstrap = numpy_forward(self.target if self.target is not None else self.q_network, batch.next_obs)
        return (batch.rewards + self.gamma * (~batch.terminated) * bootstrap.max(axis=1)).astype(np.float32)

    def td_loss(self, batch: Transitions) -> Tensor:
        """Huber loss between :math:`Q_\\theta(s, a)` and the (constant) targets :func:`td_targets`."""
        q = self.q_network(Tensor(batch.obs))
        q_taken = q[np.arange(len(batch.actions)), batch.actions]
        return F.huber_loss(q_taken, self.td_targets(batch), delta=self.huber_delta)

    def update_target(self) -> None:
        """Hard copy (``tau`` None) or Polyak step of the online weights into the target network."""
        if self.target is None:
            return
        for p_target, p in zip(self.target.parameters(), self._parameters):
            if self.tau is None:
                p_target.data[...] = p.data
            else:
                p_target.data += self.tau * (p.data - p_target.data)

    def train_step(self) -> float:
        """One gradient step on a sampled minibatch; returns the loss."""
        loss = self.td_loss(self.buffer.sample(self.batch_size))
        self.optimizer.zero_grad()
        loss.backward()
        if self.max_grad_norm is not None:
            optim.clip_grad_norm_(self._parameters, self.max_grad_norm)
        self.optimizer.step()
        self.gradient_steps += 1
        if self.tau is not None or self.gradient_steps % self.target_update == 0:
            self.update_target()
        return float(loss.data)

    def train(self, max_steps: int = 50_000, target_return: float | None = 475.0,
              eval_episodes: int = 100, eval_seed: int = 10_000, eval_gap: int = 5) -> TrainingHistory:
        """Act, store, learn until solved or ``max_steps`` environment steps.

        After a training episode whose return reaches ``target_return`` (and
        at least ``eval_gap`` episodes after the previous evaluation), the
        greedy policy is evaluated on ``eval_episodes`` episodes (seeds from
        ``eval_seed``); training stops when their mean return reaches
        ``target_return``. ``target_return=None`` trains for ``max_steps``.
        """
        max_steps = check_positive_int("DQN.train", "max_steps", max_steps)
        eval_episodes = check_positive_int("DQN.train", "eval_episodes", eval_episodes)
        eval_gap = check_positive_int("DQN.train", "eval_gap", eval_gap)
        history = TrainingHistory()
        start, last_eval = time.process_time(), -eval_gap
        obs, _ = self.env.reset(seed=self.seed)
        episode_return, end = 0.0, self.steps + max_steps
        while self.steps < end:
            a = self.act(obs, self.epsilon(self.steps))
            next_obs, r, terminated, truncated, _ = self.env.step(a)
            self.buffer.push(obs, a, r, next_obs, terminated)
            self.steps += 1
            episode_return += r
            obs = next_obs
            if self.steps >= self.learning_starts and self.steps % self.train_every == 0:
                self.train_step()
            if terminated or truncated:
                history.episode_returns.append(float(episode_return))
                history.episode_end_steps.append(self.steps)
                obs, _ = self.env.reset()
                episode_return = 0.0
                if (target_return is not None and history.episode_returns[-1] >= target_return
                        and history.episodes - last_eval >= eval_gap):
                    last_eval = history.episodes
                    mean = float(evaluate(self.greedy, self.env, eval_episodes, eval_seed).mean())
                    history.evaluations.append((history.episodes, self.steps, mean))
                    if mean >= target_return:
                        history.solved = True
                        break
        history.cpu_seconds = time.process_time() - start
        return history
