"""Ramp: how well can a closed-loop agent do that weighs the ball before it acts? A ceiling.

    python benchmarks/weigh_then_act.py --episodes 50 --draws 6 --grid 9 --task test \\
        --push 0.2 --weighings 4

``information_ceiling.py`` measures the best constant action for an agent that *knows* the
ball's mass from the start (about nine in ten). A real agent must find it out, and finding it
out costs steps and moves the ball. This script plays four policies on the same episodes
(seeds 0..episodes-1), each a perfect model of the scene (the env's exact counterfactuals)
that is told only some of the hidden properties; what it is not told is drawn ``--draws``
times from the ``train`` ranges, and it plays the ``--grid`` ^ 2 constant action with the
highest success rate over those draws:

- ``blind``: told nothing;
- ``weighed``: holds the ramp still for 1 + ``--weighings`` steps, the first unpushed and the
  others pushed with ``--push`` (a fraction of the full 0.25 N s, downhill), and reads the
  ball's mass and gravity from what the steps did to the ball's angular momentum about its
  contact with the ramp (only gravity and the push change it; the push's gain is noisy, +-10%
  per step whatever the push's size, so a small push weighs as well as a big one and disturbs
  the ball less, and n pushes average the noise down by sqrt(n)); then chooses, from the state
  those steps left, with those estimates;
- ``known``: told the true mass and gravity at step 0;
- ``weighed, told``: the same weighing steps, then told the true mass and gravity: what the
  steps spent on weighing cost, apart from the estimates' error.

In every case the ball's friction is drawn, and the chosen action is scored on the episode's
true properties and noise, so no figure is flattered by the choice. The 95% intervals are
Wilson's.
"""

from __future__ import annotations

import argparse
import math

import gymnasium as gym
import numpy as np

from agents.evaluation import wilson_interval
from causal_gym.envs import ramp

ENV_ID = "CausalWorld-Ramp-v0"


def best_constant_action(
    scene: ramp.RampEnv,
    actions: np.ndarray,
    draws: list[dict[str, float]],
    from_step: int,
    horizon: int,
) -> np.ndarray:
    """The action whose rest-of-episode succeeds most often over ``draws`` of properties."""
    rates = [
        np.mean(
            [
                scene.counterfactual(
                    np.tile(action, (horizon, 1)), interventions=draw, from_step=from_step
                ).is_success
                for draw in draws
            ]
        )
        for action in actions
    ]
    return actions[int(np.argmax(rates))]


def weigh(
    env: gym.Env, variables: dict[str, float], push: float, weighings: int
) -> tuple[float, float]:
    """1 + ``weighings`` steps with the ramp held still, unpushed then pushed with the ``push``
    action, from the episode's first ``variables`` (``info["variables"]``): (mass kg, gravity
    m/s^2)."""
    scene = env.unwrapped
    full_push = next(v.high for v in scene.variables if v.name == "ball_push")  # N s
    angle = variables["ramp_angle"]
    hold = (angle - 10.0) / 20.0 - 1.0  # the action that turns the ramp toward where it is
    names = ("ramp_angle", "ball_vx", "ball_vy", "ball_angular_velocity")
    momenta = [ramp.contact_momentum(*(variables[name] for name in names))]
    for action in (0.0, *[push] * weighings):
        _, _, _, _, info = env.step(np.array([hold, action], dtype=np.float32))
        momenta.append(ramp.contact_momentum(*(info["variables"][name] for name in names)))
    changes = np.diff(momenta)
    by_gravity, by_pushes = changes[0], changes[1:] - changes[0]
    gravity = by_gravity / (math.sin(math.radians(angle)) * scene.control_dt)
    mass = weighings * push * full_push / by_pushes.sum()
    return mass, gravity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--draws", type=int, default=6)
    parser.add_argument("--grid", type=int, default=9)
    parser.add_argument("--task", default="test", choices=["train", "test", "ood"])
    parser.add_argument("--push", type=float, default=0.2, help="weighing push action, (0, 1]")
    parser.add_argument("--weighings", type=int, default=4, help="pushed steps that weigh")
    args = parser.parse_args()
    if min(args.episodes, args.draws, args.grid, args.weighings) < 1:
        parser.error("--episodes, --draws, --grid and --weighings must be >= 1")
    if not 0.0 < args.push <= 1.0:
        parser.error(f"--push must be in (0, 1], got {args.push}")
    env = gym.make(ENV_ID, task=args.task)
    scene = env.unwrapped
    ranges = scene.property_ranges["train"]
    valid = {v.name: (v.low, v.high) for v in scene.variables}
    axis = np.linspace(-1.0, 1.0, args.grid)
    actions = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    limit = env.spec.max_episode_steps
    rng = np.random.default_rng(0)
    successes: dict[str, list[bool]] = {
        "blind": [],
        "known": [],
        "weighed": [],
        "weighed, told": [],
    }
    errors: list[float] = []
    print(
        f"{ENV_ID}, task {args.task}, seeds 0..{args.episodes - 1}, "
        f"{len(actions)} constant actions x {args.draws} draws, "
        f"weighing: {args.weighings} pushes of {args.push}"
    )
    for seed in range(args.episodes):
        _, info = env.reset(seed=seed)
        truth = scene.properties
        frictions = rng.uniform(*ranges["ball_friction"], size=args.draws)
        blind = [
            {
                "ball_friction": float(friction),
                "ball_mass": float(rng.uniform(*ranges["ball_mass"])),
                "gravity": float(rng.uniform(*ranges["gravity"])),
            }
            for friction in frictions
        ]
        known = [
            {
                "ball_friction": float(f),
                "ball_mass": truth["ball_mass"],
                "gravity": truth["gravity"],
            }
            for f in frictions
        ]
        for name, draws in (("blind", blind), ("known", known)):
            action = best_constant_action(scene, actions, draws, 0, limit)
            successes[name].append(scene.counterfactual(np.tile(action, (limit, 1))).is_success)
        mass, gravity = weigh(env, info["variables"], args.push, args.weighings)
        spent = 1 + args.weighings
        errors.append(mass / truth["ball_mass"] - 1.0)
        # An estimate outside what the simulator accepts (the ball left the ramp) is reported
        # in the error column and then held to the valid range, so the policy still acts.
        weighed = [
            {
                "ball_friction": float(f),
                "ball_mass": float(np.clip(mass, *valid["ball_mass"])),
                "gravity": float(np.clip(gravity, *valid["gravity"])),
            }
            for f in frictions
        ]
        for name, draws in (("weighed", weighed), ("weighed, told", known)):
            action = best_constant_action(scene, actions, draws, spent, limit - spent)
            outcome = scene.counterfactual(np.tile(action, (limit - spent, 1)), from_step=spent)
            successes[name].append(outcome.is_success)
        print(
            f"seed {seed}: mass {truth['ball_mass']:.2f} kg, estimate {mass:.2f}; gravity "
            f"{truth['gravity']:.2f}, estimate {gravity:.2f}; "
            + ", ".join(f"{name} {int(hits[-1])}" for name, hits in successes.items()),
            flush=True,
        )
    for name, hits in successes.items():
        low, high = wilson_interval(int(np.sum(hits)), len(hits))
        print(f"{name:13s} success {np.mean(hits):.1%} [{low:.1%}, {high:.1%}]")
    errors_array = np.abs(errors)
    print(
        f"mass estimate relative error: mean {errors_array.mean():.1%}, "
        f"max {errors_array.max():.1%}"
    )


if __name__ == "__main__":
    main()
