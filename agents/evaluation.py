"""Scoring agents the same way whatever they are: episode logs, evaluation, graph scores.

``EpisodeLog`` is a wrapper that records every finished episode's env-step count, return and
success while any agent (SB3 or CSML) trains on the env; ``evaluate`` plays fresh episodes
with ``predict`` (deterministic) and reports the success rate with its Wilson 95% interval;
``window_fix_succeeds`` / ``window_fixes`` ask the env's exact counterfactual whether (and
which) one-window changes would have saved a failed episode.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import networkx as nx
import numpy as np
import torch

import causal_gym
from agents.csml_agent import CSMLAgent
from causal_gym.files import atomic_write
from causal_gym.tasks import TASKS


class EpisodeLog(gym.Wrapper):
    """Records ``(timesteps, return, success, length)`` for each finished episode.

    With ``log_path`` every finished episode is also appended to that CSV file (and flushed)
    as it ends. ``episodes`` and ``timesteps`` continue a log from a training checkpoint: the
    file is rewritten to hold exactly those rows first, so rows that a killed run wrote after
    its last checkpoint are dropped, not duplicated, when the resumed run plays them again.
    """

    FIELDS = ("timesteps", "return", "success", "length")

    def __init__(
        self,
        env: gym.Env,
        log_path: str | Path | None = None,
        episodes: list[dict[str, float]] | None = None,
        timesteps: int = 0,
    ):
        super().__init__(env)
        self.episodes: list[dict[str, float]] = [dict(e) for e in episodes or []]
        self.timesteps = int(timesteps)
        self._return, self._length = 0.0, 0
        self._file = None
        if log_path is not None:
            lines = [",".join(self.FIELDS), *map(self._row, self.episodes)]
            atomic_write(log_path, "".join(f"{line}\n" for line in lines))
            self._file = open(log_path, "a", encoding="utf-8")  # closed by close()

    def reset(self, **kwargs: Any):
        self._return, self._length = 0.0, 0
        return self.env.reset(**kwargs)

    def step(self, action: Any):
        observation, reward, terminated, truncated, info = self.env.step(action)
        self.timesteps += 1
        self._return += float(reward)
        self._length += 1
        if terminated or truncated:
            episode = {
                "timesteps": float(self.timesteps),
                "return": self._return,
                "success": float(info["is_success"]),
                "length": float(self._length),
            }
            self.episodes.append(episode)
            if self._file is not None:
                self._file.write(self._row(episode) + "\n")
                self._file.flush()
        return observation, reward, terminated, truncated, info

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        super().close()

    @classmethod
    def _row(cls, episode: dict[str, float]) -> str:
        return ",".join(repr(float(episode[name])) for name in cls.FIELDS)


def wilson_interval(successes: int, trials: int) -> tuple[float, float]:
    """The Wilson score 95% interval of a success rate."""
    if trials == 0:
        return 0.0, 1.0
    z = 1.959963984540054
    rate = successes / trials
    centre = (rate + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half / (1 + z * z / trials)), min(
        1.0, centre + half / (1 + z * z / trials)
    )


def evaluate(agent: Any, env: gym.Env, episodes: int, seed: int) -> dict[str, Any]:
    """Success rate, mean return and decision time (mean per step and the slowest call) of
    ``agent.predict`` over ``episodes`` episodes seeded ``seed``, ``seed + 1``, ...; recurrent
    ``state`` is passed back."""
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    successes, returns, decision_seconds, slowest, steps = 0, [], 0.0, 0.0, 0
    for episode in range(episodes):
        observation, _ = env.reset(seed=seed + episode)
        state, start, done, total = None, True, False, 0.0
        while not done:
            clock = time.perf_counter()
            action, state = agent.predict(
                observation, state=state, episode_start=np.array([start]), deterministic=True
            )
            elapsed = time.perf_counter() - clock
            decision_seconds += elapsed
            slowest = max(slowest, elapsed)
            start = False
            observation, reward, terminated, truncated, info = env.step(action)
            total += float(reward)
            steps += 1
            done = terminated or truncated
        successes += int(bool(info["is_success"]))
        returns.append(total)
    low, high = wilson_interval(successes, episodes)
    return {
        "episodes": episodes,
        "first_seed": seed,
        "success_rate": successes / episodes,
        "success_interval_95": [low, high],
        "mean_return": float(np.mean(returns)),
        "decision_ms_per_step": 1000.0 * decision_seconds / steps,
        "slowest_decision_ms": 1000.0 * slowest,
    }


def play_episode(agent: Any, env: gym.Env, seed: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """One deterministic episode of ``agent.predict`` (recurrent ``state`` passed back) on
    ``env`` reset with ``seed``: its observations ``(T + 1, ...)``, actions ``(T, ...)`` and
    whether it ended in success."""
    observation, _ = env.reset(seed=seed)
    observations, actions, state, done = [observation], [], None, False
    while not done:
        action, state = agent.predict(observation, state=state)
        observation, _, terminated, truncated, info = env.step(action)
        observations.append(observation)
        actions.append(action)
        done = terminated or truncated
    return np.array(observations), np.array(actions), bool(info["is_success"])


def checkpoint_parser(description: str, episodes: int) -> argparse.ArgumentParser:
    """The options of every script that studies a saved CSML agent: ``--checkpoint``, the
    ``--env`` and ``--task`` it plays, and how many ``--episodes`` (``episodes`` by default)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--env", default="CausalWorld-Ramp-v0", choices=sorted(causal_gym.SCENES))
    parser.add_argument("--task", default="test", choices=list(TASKS))
    parser.add_argument("--episodes", type=int, default=episodes)
    return parser


def open_checkpoint(args: argparse.Namespace) -> tuple[gym.Env, CSMLAgent]:
    """The env and the saved agent that ``checkpoint_parser``'s arguments name; torch on one
    thread, so timings and results do not depend on what else the machine runs."""
    torch.set_num_threads(1)
    env = gym.make(args.env, task=args.task)
    return env, CSMLAgent.load(args.checkpoint, env)


def window_fix_succeeds(
    env: gym.Env, actions: np.ndarray, start: int, length: int, action: np.ndarray
) -> bool:
    """Would ``env``'s current episode have succeeded with ``action`` held over env steps
    ``[start, start + length)`` and every other action of ``actions`` (``(T, A)``, in [-1, 1])
    as it was? The scene's exact counterfactual: same episode, same noise."""
    changed = np.array(actions, dtype=np.float32)
    changed[start : start + length] = action
    return bool(env.unwrapped.counterfactual(changed).is_success)


def window_fixes(
    env: gym.Env, actions: np.ndarray, steps: int, length: int, alternatives: np.ndarray
) -> Iterator[tuple[int, np.ndarray]]:
    """Every (window start, alternative action) that ``window_fix_succeeds`` confirms, over
    the windows of ``length`` env steps that start in the first ``steps`` steps; lazily, so
    ``any(window_fixes(...))`` stops at the first."""
    for start in range(0, steps, length):
        for action in alternatives:
            if window_fix_succeeds(env, actions, start, length, action):
                yield start, action


def true_dynamics_adjacency(env: gym.Env) -> tuple[list[str], np.ndarray]:
    """The scene's ``dynamics_graph`` restricted to what an agent sees: nodes are the
    observed state variables then the action variables; ``[j, i] = 1`` when j at step t is a
    parent of i at step t + 1."""
    scene = env.unwrapped
    nodes = [*scene.state_variables, *scene.action_variables]
    graph: nx.DiGraph = scene.dynamics_graph
    adjacency = np.array(
        [[int(graph.has_edge(parent, child)) for child in nodes] for parent in nodes]
    )
    return nodes, adjacency
