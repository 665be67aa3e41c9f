"""Faithfulness of every scene's declared graphs, measured by intervention.

    python benchmarks/graph_checks.py [--env ID ...] [--seeds 5]

For each scene (default: all registered), with ``causal_gym.verify``:

- ``dynamics_graph``: one-step interventions on every property, state and action from
  snapshots of ``--seeds`` random-action episodes (60 steps, every 5th step and every step with
  a contact event), grid 3 plus nudges;
- outcome edges of ``causal_graph``: ``do`` on every property and state at 12 base points per
  seed (``--seeds`` seeds), grid 15;
- non-descendants: whole-episode counterfactuals, each intervenable variable set to the far end
  of its range at step 0, ``--seeds`` seeds.

It prints the declared edges, the probes, edges declared but never shown, effects with no
edge declared, and non-descendants that changed: a faithful scene has none of the last three.
The tests run the same checks with fewer seeds.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym

import causal_gym
from causal_gym import verify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", nargs="*", default=sorted(causal_gym.SCENES))
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    seeds = range(args.seeds)
    print(f"seeds 0..{args.seeds - 1}")
    print(
        "| scene | dynamics edges | probes | unshown | undeclared | outcome edges | probes "
        "| unshown | undeclared | non-descendants changed | time |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for env_id in args.env:
        env = gym.make(env_id).unwrapped
        start = time.perf_counter()
        dynamics = verify.check_dynamics_graph(
            env, verify.episode_snapshots(env, seeds, steps=60, every=5), grid=3
        )
        outcomes = verify.check_outcome_edges(env, seeds, base_points=12, grid=15)
        changed = verify.non_descendant_changes(env, seeds, steps=90)
        elapsed = time.perf_counter() - start
        print(
            f"| {env_id} | {len(dynamics.declared)} | {dynamics.probes} | "
            f"{len(dynamics.unshown)} | {len(dynamics.missing)} | {len(outcomes.declared)} | "
            f"{outcomes.probes} | {len(outcomes.unshown)} | {len(outcomes.missing)} | "
            f"{len(changed)} | {elapsed:.0f} s |"
        )
        for check in (dynamics, outcomes):
            if not check.faithful:
                print(check.report())


if __name__ == "__main__":
    main()
