"""Model-free baselines behind one factory: Stable-Baselines3 PPO and SAC, and a random agent.

``make_agent(name, env, **overrides)`` returns an object with SB3's interface (``learn``,
``predict``, ``save``). The hyperparameters are rl-zoo3's tuned ones for Pendulum-v1
(``hyperparams/ppo.yml`` and ``sac.yml`` of DLR-RM/rl-baselines3-zoo), the zoo's closest match to
these scenes: one continuous action vector, short episodes, a dense shaped reward. The zoo runs
PPO there on 4 envs; one env is used here with the same samples per update (n_steps x n_envs =
4096), so every agent's budget counts env steps on one env. ``overrides`` replace any keyword.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3 import PPO, SAC

PPO_HYPERPARAMETERS: dict[str, Any] = {
    "n_steps": 4096,
    "batch_size": 64,
    "gae_lambda": 0.95,
    "gamma": 0.9,
    "n_epochs": 10,
    "ent_coef": 0.0,
    "learning_rate": 1e-3,
    "clip_range": 0.2,
    "use_sde": True,
    "sde_sample_freq": 4,
}
SAC_HYPERPARAMETERS: dict[str, Any] = {"learning_rate": 1e-3}
AGENTS = ("ppo", "sac", "random")


class RandomAgent:
    """Uniform random actions, with SB3's ``learn`` / ``predict`` / ``save`` shape."""

    def __init__(self, env: gym.Env, seed: int | None = None):
        self.action_space = env.action_space
        self.action_space.seed(seed)
        self.num_timesteps = 0

    def learn(self, total_timesteps: int, callback: Any = None, progress_bar: bool = False):
        """Nothing to learn; counts the steps so budgets line up with the other agents."""
        self.num_timesteps += int(total_timesteps)
        return self

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, None]:
        return self.action_space.sample(), None

    def save(self, path: str | Path) -> None:
        """A random agent has no parameters; writes nothing."""


def make_agent(name: str, env: gym.Env, seed: int | None = None, **overrides: Any) -> Any:
    """``"ppo"``, ``"sac"`` or ``"random"`` on ``env`` (SB3's ``MlpPolicy`` for a ``state``
    observation, ``MultiInputPolicy`` for ``dict``); ``overrides`` replace hyperparameters."""
    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; valid are {list(AGENTS)}")
    if name == "random":
        if overrides:
            raise ValueError(f"the random agent takes no hyperparameters, got {sorted(overrides)}")
        return RandomAgent(env, seed)
    policy = (
        "MultiInputPolicy" if isinstance(env.observation_space, gym.spaces.Dict) else "MlpPolicy"
    )
    algorithm = PPO if name == "ppo" else SAC
    return algorithm(policy, env, seed=seed, **hyperparameters(name, **overrides))


def hyperparameters(name: str, **overrides: Any) -> dict[str, Any]:
    """The keywords ``make_agent`` passes to SB3 for ``"ppo"`` or ``"sac"``."""
    defaults = {"ppo": PPO_HYPERPARAMETERS, "sac": SAC_HYPERPARAMETERS}
    if name not in defaults:
        raise ValueError(f"no hyperparameters for {name!r}; valid are {sorted(defaults)}")
    return {**defaults[name], **overrides}
