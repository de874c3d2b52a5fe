"""REINFORCE: the Monte-Carlo policy gradient, with an optional learned value baseline.

For a policy :math:`\\pi_\\theta(a\\mid s)` and episodes
:math:`(s_0, a_0, r_0, \\dots)`, the gradient of the expected return is
estimated by REINFORCE (Williams, 1992)

.. math::

    \\hat g = \\frac1N \\sum_{i=1}^{N} \\sum_t \\nabla_\\theta \\log \\pi_\\theta(a_t^i \\mid s_t^i)\\,
              \\bigl(G_t^i - b(s_t^i)\\bigr),

where :math:`G_t` is the discounted reward-to-go and :math:`b` a baseline that
does not depend on the action: :math:`b = 0` (plain REINFORCE) or a value
network :math:`V_\\phi(s)` fitted to :math:`G_t` by least squares.
Chapter 25: Deep reinforcement learning.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

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
from mlcore.rl.returns import reward_to_go
from mlcore.tensor import Tensor

__all__ = ["Episode", "Reinforce"]


class Episode(NamedTuple):
    """One played episode: ``obs`` (T, obs_size) float32, ``actions`` (T,) int64, ``rewards`` (T,) float64.

    ``obs[t]`` is the state in which ``actions[t]`` was taken and
    ``rewards[t]`` received. Chapter 25: Deep reinforcement learning.
    """

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


class Reinforce:
    """REINFORCE with an optional value baseline, on a Gymnasium environment with discrete actions.

    Parameters
    ----------
    env : gymnasium.Env
        Flat Box observations, ``Discrete(n)`` actions (anything else is a ValueError).
    hidden : int or sequence of int
        Hidden widths of the policy network (and of the value network).
    lr : float
        Adam learning rate of the policy.
    gamma : float
        Discount in [0, 1].
    baseline : bool
        Subtract a learned value :math:`V_\\phi(s_t)` from the return.
    value_lr : float
        Adam learning rate of the value network.
    episodes_per_update : int
        Episodes :math:`N` averaged in one gradient estimate.
    seed : int
        Seeds the policy and value initialisation, the action sampling and
        the environment's first reset: the same seed gives the same run.

    Chapter 25: Deep reinforcement learning.
    """

    def __init__(self, env: Any, hidden: Any = (64,), lr: float = 5e-3, gamma: float = 0.99,
                 baseline: bool = True, value_lr: float = 1e-2, episodes_per_update: int = 1,
                 seed: int = 0):
        self.obs_size, self.n_actions = check_discrete_env("Reinforce", env)
        self.gamma = check_fraction("Reinforce", "gamma", gamma)
        self.episodes_per_update = check_positive_int("Reinforce", "episodes_per_update", episodes_per_update)
        self.seed = check_non_negative_int("Reinforce", "seed", seed)
        lr = check_positive("Reinforce", "lr", lr)
        value_lr = check_positive("Reinforce", "value_lr", value_lr)
        self.env = env
        policy_rng, value_rng, self.rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
        self.policy = mlp(self.obs_size, self.n_actions, hidden, rng=policy_rng)
        self.policy_optimizer = optim.Adam(self.policy.parameters(), lr=lr)
        self.value = mlp(self.obs_size, 1, hidden, rng=value_rng) if baseline else None
        self.value_optimizer = optim.Adam(self.value.parameters(), lr=value_lr) if baseline else None
        self._first_reset = True

    # -- acting --------------------------------------------------------------

    def probabilities(self, obs: Any) -> np.ndarray:
        """:math:`\\pi_\\theta(\\cdot\\mid s)` for observations of shape (obs_size,) or (B, obs_size)."""
        return _softmax(numpy_forward(self.policy, np.asarray(obs, dtype=np.float32)))

    def greedy(self, obs: Any) -> np.ndarray:
        """The most probable action for each observation in a batch (B, obs_size)."""
        return numpy_forward(self.policy, np.asarray(obs, dtype=np.float32)).argmax(axis=-1)

    def play_episode(self) -> Episode:
        """Play one episode, sampling actions from the policy with the agent's generator."""
        obs, _ = self.env.reset(seed=self.seed if self._first_reset else None)
        self._first_reset = False
        states, actions, rewards = [], [], []
        done = False
        while not done:
            p = self.probabilities(obs)
            a = int(self.rng.choice(self.n_actions, p=p)) if self.n_actions > 2 else int(self.rng.random() < p[1])
            states.append(obs)
            actions.append(a)
            obs, r, terminated, truncated, _ = self.env.step(a)
            rewards.append(float(r))
            done = terminated or truncated
        return Episode(np.asarray(states, dtype=np.float32), np.asarray(actions, dtype=np.int64),
                       np.asarray(rewards, dtype=np.float64))

    # -- learning --------------------------------------------------------------

    def advantages(self, episode: Episode, use_baseline: bool | None = None) -> np.ndarray:
        """:math:`G_t - b(s_t)` for every step of ``episode`` (:math:`b = V_\\phi` or 0), float32."""
        use_baseline = self.value is not None if use_baseline is None else use_baseline
        if use_baseline and self.value is None:
            raise ValueError("Reinforce.advantages: this agent was built with baseline=False")
        G = reward_to_go(episode.rewards, self.gamma)
        if use_baseline:
            G = G - numpy_forward(self.value, episode.obs)[:, 0]
        return G.astype(np.float32)

    def surrogate_loss(self, episodes: list[Episode], use_baseline: bool | None = None) -> Tensor:
        """:math:`-\\frac1N \\sum_i \\sum_t \\log \\pi_\\theta(a_t^i\\mid s_t^i)\\,(G_t^i - b(s_t^i))`.

        Its gradient with respect to the policy parameters is :math:`-\\hat g`,
        so a descent step on it is an ascent step on the expected return.
        """
        obs = np.concatenate([e.obs for e in episodes])
        actions = np.concatenate([e.actions for e in episodes])
        adv = np.concatenate([self.advantages(e, use_baseline) for e in episodes])
        log_p = F.log_softmax(self.policy(Tensor(obs)), axis=-1)
        chosen = log_p[np.arange(len(actions)), actions]
        return -(chosen * Tensor(adv)).sum() / len(episodes)

    def update(self, episodes: list[Episode]) -> None:
        """One gradient step on the policy (and, with a baseline, on the value network)."""
        loss = self.surrogate_loss(episodes)  # advantages use V before its own update
        self.policy_optimizer.zero_grad()
        loss.backward()
        self.policy_optimizer.step()
        if self.value is not None:
            obs = np.concatenate([e.obs for e in episodes])
            G = np.concatenate([reward_to_go(e.rewards, self.gamma) for e in episodes]).astype(np.float32)
            value_loss = F.mse_loss(self.value(Tensor(obs))[:, 0], G)
            self.value_optimizer.zero_grad()
            value_loss.backward()
            self.value_optimizer.step()

    def train(self, max_episodes: int = 1000, target_return: float | None = 475.0,
              eval_episodes: int = 100, eval_seed: int = 10_000, eval_gap: int = 5) -> TrainingHistory:
        """Play and learn until solved or ``max_episodes`` episodes.

        After a training episode whose return reaches ``target_return`` (and
        at least ``eval_gap`` episodes after the previous evaluation), the
        greedy policy is evaluated on ``eval_episodes`` episodes (seeds from
        ``eval_seed``); training stops when their mean return reaches
        ``target_return``. ``target_return=None`` trains for ``max_episodes``.
        """
        max_episodes = check_positive_int("Reinforce.train", "max_episodes", max_episodes)
        eval_episodes = check_positive_int("Reinforce.train", "eval_episodes", eval_episodes)
        eval_gap = check_positive_int("Reinforce.train", "eval_gap", eval_gap)
        history = TrainingHistory()
        start, steps, last_eval, batch = time.process_time(), 0, -eval_gap, []
        while history.episodes < max_episodes:
            episode = self.play_episode()
            steps += len(episode.actions)
            history.episode_returns.append(float(episode.rewards.sum()))
            history.episode_end_steps.append(steps)
            batch.append(episode)
            if len(batch) == self.episodes_per_update:
                self.update(batch)
                batch = []
            if (target_return is not None and history.episode_returns[-1] >= target_return
                    and history.episodes - last_eval >= eval_gap):
                last_eval = history.episodes
                mean = float(evaluate(self.greedy, self.env, eval_episodes, eval_seed).mean())
                history.evaluations.append((history.episodes, steps, mean))
                if mean >= target_return:
                    history.solved = True
                    break
        history.cpu_seconds = time.process_time() - start
        return history
