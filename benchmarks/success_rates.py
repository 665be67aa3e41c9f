"""Success rates on a scene: random actions, no action, and the counterfactual oracle.

    python benchmarks/success_rates.py [--env CausalWorld-Ramp-v0] [--episodes 100] [--task train]

Episodes use seeds 0..episodes-1. ``random``: uniform random actions (action-space seed 0);
``zero``: the all-zeros action every step; ``oracle``: ``agents.oracle.plan_constant_action``
(the best constant action found with the env's exact counterfactuals, 73 rollouts per episode).
The 95% interval is Wilson's.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

import causal_gym
from agents.evaluation import wilson_interval
from agents.oracle import plan_constant_action


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="CausalWorld-Ramp-v0", choices=sorted(causal_gym.SCENES))
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--task", default="train", choices=["train", "test", "ood"])
    args = parser.parse_args()
    env = gym.make(args.env, task=args.task)
    env.action_space.seed(0)
    zero = np.zeros(env.action_space.shape, dtype=np.float32)
    print(f"{args.env}, task {args.task}, seeds 0..{args.episodes - 1}")
    for policy in ("random", "zero", "oracle"):
        start, successes = time.perf_counter(), 0
        for seed in range(args.episodes):
            env.reset(seed=seed)
            plan = None
            if policy == "oracle":
                plan = plan_constant_action(env, np.random.default_rng(seed))
            terminated = truncated = False
            while not (terminated or truncated):
                action = {"random": None, "zero": zero, "oracle": plan}[policy]
                action = env.action_space.sample() if action is None else action
                _, _, terminated, truncated, info = env.step(action)
            successes += info["is_success"]
        low, high = wilson_interval(int(successes), args.episodes)
        print(
            f"  {policy:7s} {successes / args.episodes:6.1%} success "
            f"(95% CI {low:.1%}-{high:.1%}), {time.perf_counter() - start:.0f} s"
        )


if __name__ == "__main__":
    main()
