"""Env throughput: steps/s through gymnasium.make (state, pixels) against bare pymunk stepping.

    python benchmarks/env_throughput.py [--env ID ...] [--steps N] [--repeats R] [--vector 1 2 4]

For every scene (default: all registered), each repeat times, back to back in one process:

- ``state``: ``gymnasium.make(env_id)`` (default wrappers), uniform random actions drawn
  beforehand, ``reset()`` whenever an episode ends (reset time included);
- ``pixels``: the same with ``obs_mode="pixels"`` at 84x84;
- ``bare``: the worlds of the same episodes (same seeds, so the same masses, frictions and
  starting positions), built by ``reset()`` outside the timer, then stepped for the same
  number of control steps with the same substeps and nothing else: no actions, reads, rewards
  or Python env code. It uses the same direct chipmunk stepping as the env
  (``causal_gym.physics.stepper``); ``bare (Space.step)`` is the same loop through pymunk's
  public ``Space.step``, for reference.

The ratio env/bare is the env's time per step over the bare loop's, within each repeat, against
both bare loops. Then ``gym.make_vec(id, num_envs=N, vectorization_mode="async")`` is timed
for each N: steps of all sub-envs together per second, random actions, autoreset, the worker
processes' start-up excluded. The median over repeats is reported with the min-max spread.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import gymnasium as gym
import numpy as np

import causal_gym
from causal_gym.physics import stepper


def time_env(env_id: str, obs_mode: str, steps: int, seed: int) -> tuple[float, list[int]]:
    """Steps/s of a random-action loop, and the seeds and lengths of its episodes."""
    env = gym.make(env_id, obs_mode=obs_mode)
    actions = np.random.default_rng(seed).uniform(-1, 1, (steps, *env.action_space.shape))
    actions = actions.astype(np.float32)
    episode_seed = seed
    env.reset(seed=episode_seed)
    episodes, length = [], 0
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        length += 1
        if terminated or truncated:
            episodes.append((episode_seed, length))
            episode_seed, length = episode_seed + 1, 0
            env.reset(seed=episode_seed)
    elapsed = time.perf_counter() - start
    episodes.append((episode_seed, length))
    env.close()
    return steps / elapsed, episodes


def time_bare(env_id: str, episodes: list[tuple[int, int]], direct: bool) -> float:
    env = gym.make(env_id).unwrapped
    elapsed = 0.0
    for episode_seed, length in episodes:
        env.reset(seed=episode_seed)
        space, dt, substeps = env.space, env.control_dt / env.substeps, env.substeps
        if direct:
            advance = stepper(space, dt, substeps)
            start = time.perf_counter()
            for _ in range(length):
                advance()
        else:
            start = time.perf_counter()
            for _ in range(length):
                for _ in range(substeps):
                    space.step(dt)
        elapsed += time.perf_counter() - start
    return sum(length for _, length in episodes) / elapsed


def time_vector(env_id: str, num_envs: int, steps: int, seed: int) -> float:
    """Env steps/s (all sub-envs together) of an async vector env, process start excluded."""
    envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="async")
    calls = max(1, steps // num_envs)
    actions = np.random.default_rng(seed).uniform(-1, 1, (calls, *envs.action_space.shape))
    actions = actions.astype(np.float32)
    envs.reset(seed=seed)
    envs.step(actions[0])
    start = time.perf_counter()
    for batch in actions:
        envs.step(batch)
    elapsed = time.perf_counter() - start
    envs.close()
    return calls * num_envs / elapsed


def spread(values: list[float], digits: int = 0) -> str:
    return (
        f"{statistics.median(values):.{digits}f} "
        f"(min {min(values):.{digits}f}, max {max(values):.{digits}f})"
    )


def single_env(env_id: str, steps: int, repeats: int) -> None:
    rates: dict[str, list[float]] = {"state": [], "pixels": [], "bare": [], "bare (Space.step)": []}
    ratios: dict[str, list[float]] = {
        "state": [],
        "pixels": [],
        "state vs Space.step": [],
        "pixels vs Space.step": [],
    }
    for repeat in range(repeats):
        state_rate, episodes = time_env(env_id, "state", steps, seed=1000 * repeat)
        pixel_rate, _ = time_env(env_id, "pixels", steps // 4, seed=1000 * repeat)
        bare_rate = time_bare(env_id, episodes, direct=True)
        public_rate = time_bare(env_id, episodes, direct=False)
        rates["state"].append(state_rate)
        rates["pixels"].append(pixel_rate)
        rates["bare"].append(bare_rate)
        rates["bare (Space.step)"].append(public_rate)
        ratios["state"].append(bare_rate / state_rate)
        ratios["pixels"].append(bare_rate / pixel_rate)
        ratios["state vs Space.step"].append(public_rate / state_rate)
        ratios["pixels vs Space.step"].append(public_rate / pixel_rate)
    print(f"{env_id}: {steps} state steps x {repeats} repeats, median (min, max)")
    for name, values in rates.items():
        print(f"  {name:30s} {spread(values)} steps/s")
    for name, values in ratios.items():
        print(f"  env/bare {name:21s} {spread(values, 2)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", nargs="*", default=sorted(causal_gym.SCENES))
    parser.add_argument("--steps", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--vector", type=int, nargs="*", default=[1, 2, 4], help="async env counts to time"
    )
    args = parser.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    for env_id in args.env:
        single_env(env_id, args.steps, args.repeats)
        for num_envs in args.vector:
            rates = [
                time_vector(env_id, num_envs, args.steps, seed=1000 * repeat)
                for repeat in range(args.repeats)
            ]
            print(f"  async vector env, N={num_envs:<2d}          {spread(rates)} steps/s")


if __name__ == "__main__":
    main()
