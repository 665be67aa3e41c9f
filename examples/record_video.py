"""Record mp4 videos of a CausalWorld scene under a simple policy.

    python examples/record_video.py --env CausalWorld-Ramp-v0 --policy search --out videos

Policies:

- ``random``: uniform random actions.
- ``search``: ``agents.oracle.plan_constant_action``, which shows what the env's exact
  counterfactuals are for: at the start of each episode it asks
  ``env.unwrapped.counterfactual`` how the episode would end under a grid of constant actions
  and plays the best. It reads the simulator (same hidden properties, same noise), so it is a
  reference, not an agent.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym
import numpy as np

import causal_gym
from agents.oracle import plan_constant_action


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="CausalWorld-Ramp-v0", choices=sorted(causal_gym.SCENES))
    parser.add_argument("--policy", default="search", choices=["random", "search"])
    parser.add_argument("--episodes", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--task", default="train", choices=["train", "test", "ood"])
    parser.add_argument("--out", default="videos", help="folder for the mp4 files")
    args = parser.parse_args()
    if args.episodes < 1:
        parser.error("--episodes must be >= 1")

    out = Path(args.out)
    prefix = f"{args.env}-{args.policy}-seed{args.seed}"
    env = gym.wrappers.RecordVideo(
        gym.make(args.env, render_mode="rgb_array", task=args.task),
        str(out),
        episode_trigger=lambda _: True,
        name_prefix=prefix,
    )
    rng = np.random.default_rng(args.seed)
    env.action_space.seed(args.seed)
    for episode in range(args.episodes):
        env.reset(seed=args.seed + episode)
        plan = plan_constant_action(env, rng) if args.policy == "search" else None
        total, steps, terminated, truncated = 0.0, 0, False, False
        while not (terminated or truncated):
            action = env.action_space.sample() if plan is None else plan
            _, reward, terminated, truncated, info = env.step(action)
            total += reward
            steps += 1
        print(f"episode {episode}: {steps} steps, return {total:.3f}, success {info['is_success']}")
    env.close()
    for video in sorted(out.glob(f"{prefix}-episode-*.mp4")):
        print(f"video: {video.resolve()}")


if __name__ == "__main__":
    main()
