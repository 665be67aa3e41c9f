"""Ramp: how well can a closed-loop agent do that weighs the ball before it acts? A ceiling.

    python benchmarks/weigh_then_act.py --episodes 50 --draws 6 --grid 9 --task test \\
        --push 0.2 --weighings 4 [--policies blind known weighed "while acting"]

``information_ceiling.py`` measures the best constant action for an agent that *knows* the
ball's mass from the start (about nine in ten). A real agent must find it out, and finding it
out costs steps and moves the ball. This script plays up to five policies on the same episodes
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
  steps spent on weighing cost, apart from the estimates' error;
- ``while acting``: the same weighing steps, then a constant action chosen again every
  ``--replan-every`` steps while the ball touches the ramp, from the state reached, with every
  push made so far with the ramp still weighing the ball (``weigh_while_acting``), and the
  mass drawn from what those pushes leave uncertain.

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
POLICIES = ("blind", "known", "weighed", "while acting")


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


def hold_action(ramp_angle: float) -> float:
    """The ``ramp_angle_target`` action that turns the ramp toward ``ramp_angle`` deg: holds it."""
    return (ramp_angle - 10.0) / 20.0 - 1.0


def momentum(variables: dict[str, float]) -> float:
    """``ramp.contact_momentum`` of the ball in ``info["variables"]``."""
    names = ("ramp_angle", "ball_vx", "ball_vy", "ball_angular_velocity")
    return ramp.contact_momentum(*(variables[name] for name in names))


def weigh(
    env: gym.Env, variables: dict[str, float], push: float, weighings: int
) -> tuple[float, float]:
    """1 + ``weighings`` steps with the ramp held still, unpushed then pushed with the ``push``
    action, from the episode's first ``variables`` (``info["variables"]``): (mass kg, gravity
    m/s^2)."""
    scene = env.unwrapped
    full_push = next(v.high for v in scene.variables if v.name == "ball_push")  # N s
    angle = variables["ramp_angle"]
    momenta = [momentum(variables)]
    for action in (0.0, *[push] * weighings):
        _, _, _, _, info = env.step(np.array([hold_action(angle), action], dtype=np.float32))
        momenta.append(momentum(info["variables"]))
    changes = np.diff(momenta)
    by_gravity, by_pushes = changes[0], changes[1:] - changes[0]
    gravity = by_gravity / (math.sin(math.radians(angle)) * scene.control_dt)
    mass = weighings * push * full_push / by_pushes.sum()
    return mass, gravity


def weigh_while_acting(
    env: gym.Env,
    seed: int,
    actions: np.ndarray,
    frictions: np.ndarray,
    push: float,
    weighings: int,
    replan_every: int,
    rng: np.random.Generator,
) -> tuple[bool, float]:
    """Play episode ``seed`` weighing while acting: one unpushed step with the ramp held still
    (gravity), ``weighings`` pushed ones, then, every ``replan_every`` steps while the ball
    touches the ramp, the constant action that succeeds most often over ``frictions`` and
    draws from the mass's posterior. Every step the plan pushes with the ramp still weighs
    the ball again: a push changes the contact momentum by impulse (1 + 0.1 eps) / mass, so
    1 / mass is the least-squares slope over all such steps, and the draws spread it by what
    the gain's noise leaves. Returns (success, last mass estimate / true mass - 1)."""
    scene = env.unwrapped
    _, info = env.reset(seed=seed)
    true_mass = scene.properties["ball_mass"]
    valid = {v.name: (v.low, v.high) for v in scene.variables}
    prior = scene.property_ranges["train"]["ball_mass"]
    full_push = valid["ball_push"][1]  # N s
    limit = env.spec.max_episode_steps
    hold = hold_action(info["variables"]["ramp_angle"])
    plan = [np.array([hold, 0.0]), *[np.array([hold, push])] * weighings]
    impulses: list[float] = []
    push_changes: list[float] = []
    gravity, mass, last = None, math.nan, plan[0]
    previous, step, done = info["variables"], 0, False
    while not done:
        touching = ramp.ball_touches_ramp(
            previous["ramp_angle"], previous["ball_x"], previous["ball_y"]
        )
        if not plan and touching and gravity is not None:
            if impulses:
                pushed = np.array(impulses)
                mass = float(pushed @ pushed / (pushed @ np.array(push_changes)))
                spread = ramp.PUSH_NOISE * np.sqrt(np.sum(pushed**4)) / np.sum(pushed**2)
                masses = mass / (1.0 + spread * rng.normal(size=len(frictions)))
            else:
                masses = rng.uniform(*prior, size=len(frictions))
            draws = [
                {
                    "ball_friction": float(friction),
                    "ball_mass": float(np.clip(draw, *valid["ball_mass"])),
                    "gravity": float(np.clip(gravity, *valid["gravity"])),
                }
                for friction, draw in zip(frictions, masses)
            ]
            chosen = best_constant_action(scene, actions, draws, step, limit - step)
            plan = [chosen] * replan_every
        last = plan.pop(0) if plan else last
        _, _, terminated, truncated, info = env.step(last.astype(np.float32))
        current = info["variables"]
        if (
            # The hold action is float32, so a "still" ramp may turn by 1e-4 deg.
            abs(current["ramp_angle"] - previous["ramp_angle"]) < 1e-2
            and touching
            and ramp.ball_touches_ramp(current["ramp_angle"], current["ball_x"], current["ball_y"])
        ):
            change = momentum(current) - momentum(previous)
            fall = math.sin(math.radians(current["ramp_angle"])) * scene.control_dt
            if gravity is None and last[1] == 0.0:
                gravity = change / fall
            elif gravity is not None and last[1] != 0.0:
                impulses.append(float(last[1]) * full_push)
                push_changes.append(change - gravity * fall)
        previous, step, done = current, step + 1, terminated or truncated
    return bool(info["is_success"]), mass / true_mass - 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--draws", type=int, default=6)
    parser.add_argument("--grid", type=int, default=9)
    parser.add_argument("--task", default="test", choices=["train", "test", "ood"])
    parser.add_argument("--push", type=float, default=0.2, help="weighing push action, (0, 1]")
    parser.add_argument("--weighings", type=int, default=4, help="pushed steps that weigh")
    parser.add_argument(
        "--policies",
        nargs="+",
        choices=POLICIES,
        default=list(POLICIES[:3]),
        help="'weighed' also plays 'weighed, told'",
    )
    parser.add_argument(
        "--replan-every", type=int, default=4, help="steps between while-acting's choices"
    )
    args = parser.parse_args()
    if min(args.episodes, args.draws, args.grid, args.weighings, args.replan_every) < 1:
        parser.error("--episodes, --draws, --grid, --weighings and --replan-every must be >= 1")
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
    names = [name for name in POLICIES if name in args.policies]
    if "weighed" in names:
        names.insert(names.index("weighed") + 1, "weighed, told")
    successes: dict[str, list[bool]] = {name: [] for name in names}
    errors: dict[str, list[float]] = {"weighed": [], "while acting": []}
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
            if name in names:
                action = best_constant_action(scene, actions, draws, 0, limit)
                outcome = scene.counterfactual(np.tile(action, (limit, 1)))
                successes[name].append(outcome.is_success)
        if "weighed" in names:
            mass, gravity = weigh(env, info["variables"], args.push, args.weighings)
            spent = 1 + args.weighings
            errors["weighed"].append(mass / truth["ball_mass"] - 1.0)
            # An estimate outside what the simulator accepts (the ball left the ramp) is
            # reported in the error column and then held to the valid range, so it still acts.
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
        if "while acting" in names:
            success, error = weigh_while_acting(
                env, seed, actions, frictions, args.push, args.weighings, args.replan_every, rng
            )
            successes["while acting"].append(success)
            errors["while acting"].append(error)
        print(
            f"seed {seed}: mass {truth['ball_mass']:.2f} kg, gravity {truth['gravity']:.2f}; "
            + ", ".join(f"{name} {int(hits[-1])}" for name, hits in successes.items())
            + "; mass error "
            + ", ".join(f"{name} {values[-1]:+.1%}" for name, values in errors.items() if values),
            flush=True,
        )
    for name, hits in successes.items():
        low, high = wilson_interval(int(np.sum(hits)), len(hits))
        print(f"{name:13s} success {np.mean(hits):.1%} [{low:.1%}, {high:.1%}]")
    for name, values in errors.items():
        if values:
            magnitude = np.abs(values)
            print(
                f"{name}: mass estimate relative error mean {magnitude.mean():.1%}, "
                f"max {magnitude.max():.1%}"
            )


if __name__ == "__main__":
    main()
