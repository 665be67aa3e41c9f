"""An oracle planner: the best constant action, chosen with the env's exact counterfactuals.

It asks ``env.unwrapped.counterfactual`` how the current episode would end under each of a
grid of constant actions, refines around the best with random perturbations, and returns the
winner. It reads the simulator itself (the episode's hidden properties and noise), so it is a
reference for what a scene allows, an upper bound for agents, not an agent. It needs no torch.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from causal_gym import Trajectory


def episode_score(rollout: Trajectory) -> float:
    """Success first, then the return the rollout collected."""
    return 1000.0 * rollout.is_success + float(rollout.rewards.sum())


def plan_constant_action(
    env: gym.Env, rng: np.random.Generator, grid: int = 7, refine: int = 24
) -> np.ndarray:
    """The constant action whose counterfactual rest-of-episode scores best.

    ``grid`` points per action dimension are tried, then ``refine`` Gaussian perturbations of
    the best, in three rounds whose spread halves each time (the first: one grid spacing
    over two); cost: ``grid ** dims + refine`` counterfactual rollouts.
    """
    scene = env.unwrapped
    limit = env.spec.max_episode_steps if env.spec is not None else None
    horizon = (limit or scene.default_max_episode_steps) - scene.elapsed_steps
    dims = env.action_space.shape[0]
    axes = np.meshgrid(*[np.linspace(-1.0, 1.0, grid)] * dims, indexing="ij")
    candidates = np.stack([axis.ravel() for axis in axes], axis=1)

    def score(action: np.ndarray) -> float:
        return episode_score(scene.counterfactual(np.tile(action, (horizon, 1))))

    scores = [score(candidate) for candidate in candidates]
    best, best_score = candidates[int(np.argmax(scores))], max(scores)
    for i in range(refine):
        spread = 0.5 ** (3 * i // refine) / grid
        candidate = np.clip(best + rng.normal(0.0, spread, dims), -1.0, 1.0)
        candidate_score = score(candidate)
        if candidate_score > best_score:
            best, best_score = candidate, candidate_score
    return best.astype(np.float32)
