"""Deep reinforcement learning on Gymnasium environments with discrete actions.

* :mod:`~mlcore.rl.returns` -- discounted returns and reward-to-go
* :mod:`~mlcore.rl.replay` -- the replay buffer
* :mod:`~mlcore.rl.schedules` -- exploration schedules
* :mod:`~mlcore.rl.networks` -- small MLPs and a cheap forward pass for acting
* :mod:`~mlcore.rl.evaluation` -- evaluating a policy, recording an episode
* :mod:`~mlcore.rl.reinforce` -- REINFORCE with a value baseline
* :mod:`~mlcore.rl.dqn` -- deep Q-networks with replay and a target network

Chapter 25: Deep reinforcement learning derives all of them. The package
depends on Gymnasium and is imported on demand: ``from mlcore import rl``.
"""

from mlcore.rl.dqn import DQN
from mlcore.rl.evaluation import copy_env, evaluate, rollout
from mlcore.rl.history import TrainingHistory
from mlcore.rl.networks import mlp, numpy_forward
from mlcore.rl.reinforce import Episode, Reinforce
from mlcore.rl.replay import ReplayBuffer, Transitions
from mlcore.rl.returns import discounted_return, reward_to_go
from mlcore.rl.schedules import ExponentialSchedule, LinearSchedule

__all__ = [
    "discounted_return", "reward_to_go", "ReplayBuffer", "Transitions", "LinearSchedule",
    "ExponentialSchedule", "mlp", "numpy_forward", "evaluate", "rollout", "copy_env",
    "TrainingHistory", "Episode", "Reinforce", "DQN",
]
