"""mlcore.rl (Chapter 25: Deep reinforcement learning): returns, replay buffer,
exploration schedules, the cheap forward pass, determinism, bad inputs and
short runs of both trainers on CartPole-v1."""

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

import mlcore as mc  # noqa: E402
from mlcore import nn, rl  # noqa: E402


def cartpole():
    return gym.make("CartPole-v1")


# -- returns -------------------------------------------------------------------------
def test_reward_to_go_by_hand():
    np.testing.assert_allclose(rl.reward_to_go([1.0, 1.0, 1.0], gamma=0.5), [1.75, 1.5, 1.0])
    np.testing.assert_allclose(rl.reward_to_go([0.0, 0.0, 2.0], gamma=0.9), [1.62, 1.8, 2.0])
    assert rl.discounted_return([1.0, 1.0, 1.0], gamma=0.5) == pytest.approx(1.75)
    assert rl.discounted_return([], gamma=0.9) == 0.0
    assert rl.reward_to_go([], gamma=0.9).shape == (0,)


def test_reward_to_go_matches_the_definition():
    r = np.random.default_rng(0).normal(size=30)
    for gamma in (0.0, 0.37, 0.99, 1.0):
        naive = [sum(gamma ** (k - t) * r[k] for k in range(t, len(r))) for t in range(len(r))]
        np.testing.assert_allclose(rl.reward_to_go(r, gamma), naive, rtol=1e-12, atol=1e-12)
        assert rl.discounted_return(r, gamma) == pytest.approx(naive[0], rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(rl.reward_to_go(r, 1.0), np.cumsum(r[::-1])[::-1])
    np.testing.assert_allclose(rl.reward_to_go(r, 0.0), r)


@pytest.mark.parametrize("rewards,gamma,match", [
    ([[1.0, 2.0]], 0.9, "1-D"), ([1.0, np.nan], 0.9, "NaN"), ([1.0], 1.5, "gamma"),
    ([1.0], -0.1, "gamma"), ([1.0], "0.9", "gamma"),
])
def test_returns_reject_bad_input(rewards, gamma, match):
    with pytest.raises(ValueError, match=match):
        rl.reward_to_go(rewards, gamma)
    with pytest.raises(ValueError, match=match):
        rl.discounted_return(rewards, gamma)


def test_returns_reject_non_numbers():
    with pytest.raises(TypeError, match="rewards"):
        rl.reward_to_go(["a", "b"], 0.9)


# -- replay buffer ---------------------------------------------------------------------
def fill(buffer, n, start=0):
    for i in range(start, start + n):
        buffer.push(np.full(2, i), i, float(i), np.full(2, i + 1), i % 2 == 0)


def test_replay_buffer_wraps_around():
    buf = rl.ReplayBuffer(3, obs_size=2, rng=0)
    fill(buf, 2)
    assert len(buf) == 2 and buf.position == 2
    fill(buf, 3, start=2)  # transitions 0..4 into 3 slots: 3, 4, 2 remain
    assert len(buf) == 3 and buf.position == 2
    np.testing.assert_array_equal(buf.actions, [3, 4, 2])
    np.testing.assert_array_equal(buf.obs[:, 0], [3, 4, 2])
    np.testing.assert_array_equal(buf.next_obs[:, 0], [4, 5, 3])
    np.testing.assert_array_equal(buf.terminated, [False, True, True])
    batch = buf.sample(200)
    assert set(batch.actions.tolist()) == {2, 3, 4}
    # every row of a sample is one consistent stored transition
    np.testing.assert_array_equal(batch.obs[:, 0], batch.actions)
    np.testing.assert_array_equal(batch.rewards, batch.actions)
    np.testing.assert_array_equal(batch.next_obs[:, 0], batch.actions + 1)
    assert batch.obs.dtype == np.float32 and batch.actions.dtype == np.int64


def test_replay_sampling_is_uniform_and_seeded():
    buf = rl.ReplayBuffer(100, obs_size=2, rng=1)
    fill(buf, 10)  # only 10 of 100 slots filled: never sample the empty ones
    counts = np.bincount(buf.sample(20_000).actions, minlength=10)
    assert counts.size == 10
    expected = 2_000
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 27.9  # 99.9% quantile of chi-square with 9 degrees of freedom
    a, b = rl.ReplayBuffer(10, 2, rng=5), rl.ReplayBuffer(10, 2, rng=5)
    fill(a, 10), fill(b, 10)
    np.testing.assert_array_equal(a.sample(50).actions, b.sample(50).actions)


def test_replay_buffer_bad_input_changes_nothing():
    with pytest.raises(ValueError, match="capacity"):
        rl.ReplayBuffer(0, 2)
    with pytest.raises(ValueError, match="obs_size"):
        rl.ReplayBuffer(5, 2.5)
    buf = rl.ReplayBuffer(4, obs_size=2)
    with pytest.raises(ValueError, match="empty"):
        buf.sample(1)
    fill(buf, 1)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        buf.push(np.zeros(3), 0, 0.0, np.zeros(2), False)
    assert len(buf) == 1 and buf.position == 1
    with pytest.raises(ValueError, match="batch_size"):
        buf.sample(0)
    with pytest.raises(TypeError, match="rng"):
        rl.ReplayBuffer(4, 2, rng="seed")


# -- schedules -------------------------------------------------------------------------
def test_linear_schedule():
    s = rl.LinearSchedule(1.0, 0.1, duration=100)
    assert s(0) == 1.0 and s(50) == pytest.approx(0.55) and s(100) == pytest.approx(0.1)
    assert s(10_000) == pytest.approx(0.1)
    values = [s(t) for t in range(150)]
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_exponential_schedule():
    s = rl.ExponentialSchedule(1.0, 0.05, tau=100.0)
    assert s(0) == 1.0
    assert s(100) == pytest.approx(0.05 + 0.95 / np.e)
    assert s(10_000) == pytest.approx(0.05, abs=1e-12)


@pytest.mark.parametrize("make", [
    lambda: rl.LinearSchedule(1.2, 0.1, 10), lambda: rl.LinearSchedule(1.0, -0.1, 10),
    lambda: rl.LinearSchedule(1.0, 0.1, 0), lambda: rl.ExponentialSchedule(1.0, 0.1, tau=0.0),
    lambda: rl.ExponentialSchedule(1.0, 0.1, tau=float("inf")),
])
def test_schedules_reject_bad_arguments(make):
    with pytest.raises(ValueError):
        make()


def test_schedules_reject_negative_steps():
    with pytest.raises(ValueError, match="step"):
        rl.LinearSchedule()(-1)
    with pytest.raises(ValueError, match="step"):
        rl.ExponentialSchedule()(1.5)


# -- networks --------------------------------------------------------------------------
def test_numpy_forward_matches_the_autograd_forward():
    x = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    net = rl.mlp(4, 3, hidden=(16, 8), rng=0)
    assert [type(m).__name__ for m in net.layers] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    with mc.no_grad():
        reference = net(mc.Tensor(x)).data
    np.testing.assert_allclose(rl.numpy_forward(net, x), reference, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(rl.numpy_forward(net, x[0]), reference[0], rtol=1e-6, atol=1e-6)
    tanh_net = nn.Sequential(nn.Linear(4, 5, rng=1), nn.Tanh(), nn.Linear(5, 2, bias=False, rng=2))
    with mc.no_grad():
        np.testing.assert_allclose(rl.numpy_forward(tanh_net, x), tanh_net(mc.Tensor(x)).data, rtol=1e-6, atol=1e-6)
    # a layer it does not know: the ordinary forward pass, still without a graph
    other = nn.Sequential(nn.Linear(4, 5, rng=1), nn.Sigmoid())
    with mc.no_grad():
        np.testing.assert_allclose(rl.numpy_forward(other, x), other(mc.Tensor(x)).data, rtol=1e-6)
    with pytest.raises(ValueError, match="Linear"):
        rl.numpy_forward(net, np.zeros((2, 5)))


def test_mlp_rejects_bad_sizes():
    with pytest.raises(ValueError, match="hidden"):
        rl.mlp(4, 2, hidden=(0,))
    with pytest.raises(ValueError, match="in_features"):
        rl.mlp(0, 2)


# -- environments ------------------------------------------------------------------------
def test_agents_need_discrete_actions():
    continuous = gym.make("Pendulum-v1")
    for agent in (rl.Reinforce, rl.DQN):
        with pytest.raises(ValueError, match="discrete action space"):
            agent(continuous)
        with pytest.raises(TypeError, match="Gymnasium environment"):
            agent("CartPole-v1")


@pytest.mark.parametrize("kwargs,match", [
    ({"gamma": 1.1}, "gamma"), ({"lr": 0.0}, "lr"), ({"seed": -1}, "seed"), ({"hidden": (64, -1)}, "hidden"),
])
def test_agents_reject_bad_arguments(kwargs, match):
    for agent in (rl.Reinforce, rl.DQN):
        with pytest.raises(ValueError, match=match):
            agent(cartpole(), **kwargs)


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_size": 0}, "batch_size"), ({"tau": 0.0}, "tau"), ({"target_update": 0}, "target_update"),
    ({"buffer_size": -5}, "buffer_size"), ({"train_every": 1.5}, "train_every"),
])
def test_dqn_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rl.DQN(cartpole(), **kwargs)
    with pytest.raises(TypeError, match="epsilon"):
        rl.DQN(cartpole(), epsilon=0.1)


def test_evaluate_and_rollout_agree_with_a_hand_loop():
    always_left = lambda obs: np.zeros(len(obs), dtype=np.int64)  # noqa: E731
    env = cartpole()
    returns = rl.evaluate(always_left, env, episodes=4, seed=3)
    by_hand = []
    for i in range(4):
        e = cartpole()
        e.reset(seed=3 + i)
        total, done = 0.0, False
        while not done:
            _, r, terminated, truncated, _ = e.step(0)
            total, done = total + r, terminated or truncated
        by_hand.append(total)
    np.testing.assert_array_equal(returns, by_hand)
    states, actions, rewards = rl.rollout(always_left, env, seed=3)
    assert len(states) == len(actions) + 1 and rewards.sum() == by_hand[0]
    assert abs(states[-1, 2]) > 12 * np.pi / 180  # it fell: the pole passed 12 degrees


# -- REINFORCE ----------------------------------------------------------------------------
def test_reinforce_is_deterministic_for_a_seed():
    runs = []
    for _ in range(2):
        agent = rl.Reinforce(cartpole(), hidden=(16,), seed=7)
        history = agent.train(max_episodes=15, target_return=None)
        runs.append((history.episode_returns, agent.policy.state_dict(), agent.value.state_dict()))
    assert runs[0][0] == runs[1][0]
    for k in runs[0][1]:
        np.testing.assert_array_equal(runs[0][1][k], runs[1][1][k])
    other = rl.Reinforce(cartpole(), hidden=(16,), seed=8).train(max_episodes=15, target_return=None)
    assert other.episode_returns != runs[0][0]


def test_reinforce_baseline_changes_only_the_weights_of_the_log_probabilities():
    agent = rl.Reinforce(cartpole(), hidden=(8,), seed=0)
    episodes = [agent.play_episode() for _ in range(3)]
    # the surrogate without a baseline is -(1/N) sum_t log pi(a_t|s_t) G_t, by hand:
    obs = np.concatenate([e.obs for e in episodes])
    actions = np.concatenate([e.actions for e in episodes])
    G = np.concatenate([rl.reward_to_go(e.rewards, agent.gamma) for e in episodes])
    logits = rl.numpy_forward(agent.policy, obs).astype(np.float64)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    by_hand = -(log_p[np.arange(len(actions)), actions] * G).sum() / 3
    assert agent.surrogate_loss(episodes, use_baseline=False).item() == pytest.approx(by_hand, rel=1e-4)
    V = rl.numpy_forward(agent.value, obs)[:, 0]
    by_hand_b = -(log_p[np.arange(len(actions)), actions] * (G - V)).sum() / 3
    assert agent.surrogate_loss(episodes).item() == pytest.approx(by_hand_b, rel=1e-4)
    with pytest.raises(ValueError, match="baseline=False"):
        rl.Reinforce(cartpole(), baseline=False).advantages(episodes[0], use_baseline=True)


def test_reinforce_smoke_run_learns():
    agent = rl.Reinforce(cartpole(), seed=0)
    history = agent.train(max_episodes=60, target_return=None)
    assert history.episodes == 60 and history.steps == sum(history.episode_returns)
    assert np.mean(history.episode_returns[-10:]) > 2 * np.mean(history.episode_returns[:10])


# -- DQN -------------------------------------------------------------------------------------
def test_dqn_td_targets_by_hand():
    agent = rl.DQN(cartpole(), hidden=(8,), gamma=0.5, seed=0)
    batch = rl.Transitions(np.zeros((2, 4), np.float32), np.array([0, 1]), np.array([1.0, 1.0], np.float32),
                           np.ones((2, 4), np.float32), np.array([False, True]))
    q_next = rl.numpy_forward(agent.target, batch.next_obs).max(axis=1)
    np.testing.assert_allclose(agent.td_targets(batch), [1.0 + 0.5 * q_next[0], 1.0], rtol=1e-6)


def test_dqn_target_network_updates():
    agent = rl.DQN(cartpole(), hidden=(8,), target_update=3, learning_starts=0, batch_size=4, seed=0)
    fill_env = cartpole()
    obs, _ = fill_env.reset(seed=0)
    for _ in range(20):
        nxt, r, term, trunc, _ = fill_env.step(0)
        agent.buffer.push(obs, 0, r, nxt, term)
        obs = nxt if not (term or trunc) else fill_env.reset()[0]
    initial = agent.target.state_dict()
    agent.train_step(), agent.train_step()
    for k, v in agent.target.state_dict().items():  # unchanged before the 3rd step
        np.testing.assert_array_equal(v, initial[k])
    agent.train_step()
    for k, v in agent.target.state_dict().items():  # a copy after it
        np.testing.assert_array_equal(v, agent.q_network.state_dict()[k])
    polyak = rl.DQN(cartpole(), hidden=(8,), tau=0.25, batch_size=4, seed=0)
    polyak.buffer = agent.buffer
    before_target = polyak.target.state_dict()
    polyak.train_step()
    after = polyak.q_network.state_dict()
    for k, v in polyak.target.state_dict().items():
        np.testing.assert_allclose(v, 0.75 * before_target[k] + 0.25 * after[k], rtol=1e-6, atol=1e-7)
    assert rl.DQN(cartpole(), hidden=(8,), target_network=False).target is None


def test_dqn_is_deterministic_and_smoke_runs():
    histories, weights = [], []
    for _ in range(2):
        agent = rl.DQN(cartpole(), hidden=(16,), learning_starts=100, buffer_size=500,
                       epsilon=rl.LinearSchedule(1.0, 0.1, 300), seed=3)
        histories.append(agent.train(max_steps=600, target_return=None))
        weights.append(agent.q_network.state_dict())
    assert histories[0].episode_returns == histories[1].episode_returns
    for k in weights[0]:
        np.testing.assert_array_equal(weights[0][k], weights[1][k])
    assert histories[0].steps <= 600 and agent.gradient_steps == 501 and len(agent.buffer) == 500
