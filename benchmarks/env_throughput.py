"""Env throughput: steps/s through gymnasium.make (state, pixels) against bare pymunk stepping.

    python benchmarks/env_throughput.py [--env CausalWorld-Ramp-v0] [--steps 30000] [--repeats 5]

Each repeat times, back to back in one process:

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
both bare loops. The median over repeats is reported with the min-max spread.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import gymnasium as gym
import numpy as np

import causal_gym  # noqa: F401  (registers the scenes)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="CausalWorld-Ramp-v0")
    parser.add_argument("--steps", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"state": [], "pixels": [], "bare": [], "bare (Space.step)": []}
    ratios: dict[str, list[float]] = {
        "state": [],
        "pixels": [],
        "state vs Space.step": [],
        "pixels vs Space.step": [],
    }
    for repeat in range(args.repeats):
        state_rate, episodes = time_env(args.env, "state", args.steps, seed=1000 * repeat)
        pixel_rate, _ = time_env(args.env, "pixels", args.steps // 4, seed=1000 * repeat)
        bare_rate = time_bare(args.env, episodes, direct=True)
        public_rate = time_bare(args.env, episodes, direct=False)
        rates["state"].append(state_rate)
        rates["pixels"].append(pixel_rate)
        rates["bare"].append(bare_rate)
        rates["bare (Space.step)"].append(public_rate)
        ratios["state"].append(bare_rate / state_rate)
        ratios["pixels"].append(bare_rate / pixel_rate)
        ratios["state vs Space.step"].append(public_rate / state_rate)
        ratios["pixels vs Space.step"].append(public_rate / pixel_rate)
    print(
        f"{args.env}: {args.steps} state steps x {args.repeats} repeats on "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    for name, values in rates.items():
        print(
            f"  {name:18s} {statistics.median(values):9.0f} steps/s "
            f"(min {min(values):.0f}, max {max(values):.0f})"
        )
    for name, values in ratios.items():
        print(
            f"  env/bare {name:20s} {statistics.median(values):6.2f} "
            f"(min {min(values):.2f}, max {max(values):.2f})"
        )


if __name__ == "__main__":
    main()
