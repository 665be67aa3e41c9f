"""How well can any agent do when some hidden properties stay hidden? A measured ceiling.

    python benchmarks/information_ceiling.py --env CausalWorld-Ramp-v0 \\
        --known ball_mass gravity ball_friction --episodes 20 --draws 12 --grid 9

For each episode (seeds 0, 1, ...; its initial state fixed), the ``--known`` properties are
drawn once from the ``train`` ranges and the others ``2 x --draws`` times. Every constant
action on a ``--grid`` ^ n grid is played in the env (exact counterfactuals, same noise) under
the first half of the draws; the action with the highest success rate is then scored on the
second half, so the figure is not flattered by the choice. Printed: that held-out success (the
best constant action for an agent that knows only the ``--known`` properties), and how often
some grid action succeeds for a draw (the ceiling when everything is known).
"""

from __future__ import annotations

import argparse
import statistics

import gymnasium as gym
import numpy as np

import causal_gym


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="CausalWorld-Ramp-v0", choices=sorted(causal_gym.SCENES))
    parser.add_argument("--known", nargs="*", default=[], help="properties the agent knows")
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--draws", type=int, default=12)
    parser.add_argument("--grid", type=int, default=9)
    args = parser.parse_args()
    env = gym.make(args.env)
    scene = env.unwrapped
    ranges = scene.property_ranges["train"]
    unknown_names = sorted(set(args.known) - set(ranges))
    if unknown_names:
        parser.error(f"--known {unknown_names}: valid properties are {sorted(ranges)}")
    if min(args.episodes, args.draws, args.grid) < 1:
        parser.error("--episodes, --draws and --grid must be >= 1")
    axis = np.linspace(-1.0, 1.0, args.grid)
    dims = env.action_space.shape[0]
    actions = np.stack(np.meshgrid(*[axis] * dims, indexing="ij"), -1).reshape(-1, dims)
    horizon = env.spec.max_episode_steps
    rng = np.random.default_rng(0)
    held_out, solvable = [], []
    for seed in range(args.episodes):
        env.reset(seed=seed)
        known = {name: rng.uniform(*ranges[name]) for name in args.known}
        draws = [
            {**known, **{n: rng.uniform(*r) for n, r in ranges.items() if n not in known}}
            for _ in range(2 * args.draws)
        ]
        table = np.array(
            [
                [
                    scene.counterfactual(np.tile(a, (horizon, 1)), interventions=d).is_success
                    for d in draws
                ]
                for a in actions
            ],
            dtype=float,
        )
        choose, score = table[:, : args.draws], table[:, args.draws :]
        held_out.append(score[int(np.argmax(choose.mean(1)))].mean())
        solvable.append(table.max(0).mean())
    spread = statistics.stdev(held_out) if len(held_out) > 1 else 0.0
    print(
        f"{args.env}, known {args.known or 'nothing'}, {args.episodes} episodes x "
        f"{args.draws} + {args.draws} draws, {len(actions)} constant actions"
    )
    print(
        f"best constant action, held-out success: {np.mean(held_out):.1%} "
        f"(std over episodes {spread:.1%})"
    )
    print(f"draws some grid action solves (everything known): {np.mean(solvable):.1%}")


if __name__ == "__main__":
    main()
