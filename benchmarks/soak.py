"""Soak test: a million steps per scene with resets and interventions; does memory grow?

    python benchmarks/soak.py [--env ID ...] [--steps 1000000] [--seed 0]

Per scene, one ``gymnasium.make`` env in this process plays ``--steps`` random-action steps.
Every episode starts with ``reset(options={"interventions": ..., "task": ...})``: one to three
random intervenable variables set to random values in their valid ranges, and a random task
split; during episodes ``do()`` sets a random variable about every 20 steps, and about every
1,000 steps the env answers a counterfactual over the episode so far (other actions), takes a
snapshot and restores it. Every call is checked: finite observations inside the space, finite
rewards. The process's resident memory (VmRSS) is sampled every 1,000 steps; the figure is the
growth of the peak sampled in the last 10% of the steps over the peak in the first 10%
(target < 5%), with steps/s, episodes, physics errors (truncations) and wall time.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

import gymnasium as gym
import numpy as np

import causal_gym
from causal_gym.tasks import TASKS

SAMPLE_EVERY = 1_000


def resident_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def soak(env_id: str, steps: int, seed: int) -> dict[str, float]:
    env = gym.make(env_id)
    scene = env.unwrapped
    rng = np.random.default_rng(seed)
    intervenable = [v for v in type(scene).variables if v.intervenable]
    tasks = list(TASKS)

    def random_interventions(count: int) -> dict[str, float]:
        chosen = rng.choice(len(intervenable), size=count, replace=False)
        return {
            intervenable[i].name: float(rng.uniform(intervenable[i].low, intervenable[i].high))
            for i in chosen
        }

    def check(observation: np.ndarray, reward: float = 0.0) -> None:
        if not (np.isfinite(observation).all() and env.observation_space.contains(observation)):
            raise AssertionError(f"{env_id}: observation {observation} outside the space")
        if not math.isfinite(reward):
            raise AssertionError(f"{env_id}: reward {reward}")

    samples: list[tuple[int, int]] = []
    episodes = faults = 0
    start = time.perf_counter()
    observation, _ = env.reset(
        seed=seed,
        options={"interventions": random_interventions(2), "task": tasks[0]},
    )
    check(observation)
    actions = rng.uniform(-1, 1, (SAMPLE_EVERY, *env.action_space.shape)).astype(np.float32)
    for step in range(steps):
        if step % SAMPLE_EVERY == 0:
            samples.append((step, resident_bytes()))
            actions = rng.uniform(-1, 1, actions.shape).astype(np.float32)
            if scene.elapsed_steps > 0:
                past = rng.uniform(-1, 1, (scene.elapsed_steps, actions.shape[1]))
                trajectory = scene.counterfactual(past, random_interventions(1))
                if not np.isfinite(trajectory.values[1:]).all() and not trajectory.truncated:
                    raise AssertionError(f"{env_id}: non-finite counterfactual")
                check(scene.restore(scene.snapshot())[0])
        if rng.random() < 0.05:
            scene.do(**random_interventions(1))
        observation, reward, terminated, truncated, info = env.step(actions[step % SAMPLE_EVERY])
        check(observation, reward)
        if terminated or truncated:
            episodes += 1
            faults += "physics_error" in info
            observation, _ = env.reset(
                seed=int(rng.integers(2**62)),
                options={
                    "interventions": random_interventions(int(rng.integers(1, 4))),
                    "task": tasks[int(rng.integers(len(tasks)))],
                },
            )
            check(observation)
    seconds = time.perf_counter() - start
    samples.append((steps, resident_bytes()))
    env.close()
    window = max(1, steps // 10)
    first = max(rss for step, rss in samples if step <= window)
    last = max(rss for step, rss in samples if step >= steps - window)
    return {
        "steps": steps,
        "seconds": seconds,
        "steps_per_second": steps / seconds,
        "episodes": episodes,
        "physics_errors": faults,
        "first_peak_mib": first / 2**20,
        "last_peak_mib": last / 2**20,
        "growth": last / first - 1.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", nargs="*", default=sorted(causal_gym.SCENES))
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.steps < 10 * SAMPLE_EVERY:
        parser.error(f"--steps must be >= {10 * SAMPLE_EVERY}")
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, pid {os.getpid()}"
    )
    print(
        "| scene | steps | episodes | physics errors | steps/s | peak RSS, first 10% (MiB) "
        "| peak RSS, last 10% (MiB) | growth | time |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    worst = -math.inf
    for env_id in args.env:
        result = soak(env_id, args.steps, args.seed)
        worst = max(worst, result["growth"])
        print(
            f"| {env_id.removeprefix('CausalWorld-').removesuffix('-v0')} | {result['steps']:,} "
            f"| {result['episodes']:,} | {result['physics_errors']:,} "
            f"| {result['steps_per_second']:,.0f} | {result['first_peak_mib']:.1f} "
            f"| {result['last_peak_mib']:.1f} | {result['growth']:+.2%} "
            f"| {result['seconds']:.0f} s |",
            flush=True,
        )
    verdict = "met" if worst < 0.05 else "MISSED"
    print(f"largest growth {worst:+.2%} (target < 5%: {verdict})")


if __name__ == "__main__":
    main()
