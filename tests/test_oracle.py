"""The counterfactual oracle finds actions that succeed where random actions rarely do."""

import gymnasium as gym
import numpy as np

from agents.oracle import plan_constant_action


def test_oracle_plan_beats_random_actions() -> None:
    env = gym.make("CausalWorld-Ramp-v0")
    env.action_space.seed(0)
    wins = {"oracle": 0, "random": 0}
    for seed in range(6):
        for policy in wins:
            env.reset(seed=seed)
            plan = None
            if policy == "oracle":
                plan = plan_constant_action(env, np.random.default_rng(seed))
                assert env.action_space.contains(plan)
            done = False
            while not done:
                action = env.action_space.sample() if plan is None else plan
                _, _, terminated, truncated, info = env.step(action)
                done = terminated or truncated
            wins[policy] += info["is_success"]
    assert wins["oracle"] >= 4 > wins["random"] + 1, wins
