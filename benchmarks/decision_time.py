"""How long a saved CSML agent takes to decide: every step, and the steps on which it replans.

    python benchmarks/decision_time.py \\
        --checkpoint runs/csml-CausalWorld-Ramp-v0-seed0/agent.pt --episodes 20

The agent plays ``--episodes`` deterministic episodes of ``--task`` (seeds 7,000,000, ...) in one
thread, and each ``predict`` call is timed. Most steps only pop the next action of the current
plan; every ``replan_every``-th step runs the whole CEM search, so the mean per step (what the
RL benchmark reports) hides the planning steps' cost: this prints both, with percentiles.
"""

from __future__ import annotations

import time

import numpy as np

from agents.evaluation import checkpoint_parser, open_checkpoint


def main() -> None:
    parser = checkpoint_parser(__doc__.split("\n")[0], episodes=20)
    args = parser.parse_args()
    if args.episodes < 1:
        parser.error("--episodes must be >= 1")
    env, agent = open_checkpoint(args)
    milliseconds, planned = [], []
    for episode in range(args.episodes):
        observation, _ = env.reset(seed=7_000_000 + episode)
        state, done = None, False
        while not done:
            replans = state is None or len(state.actions) % agent.config.replan_every == 0
            clock = time.perf_counter()
            action, state = agent.predict(observation, state)
            milliseconds.append(1000.0 * (time.perf_counter() - clock))
            planned.append(replans)
            observation, _, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
    milliseconds, planned = np.array(milliseconds), np.array(planned)
    print(f"{args.env}, {args.episodes} episodes of {args.task}, {args.checkpoint}")
    print("                 steps    mean     p50     p95     p99     max  (ms)")
    for name, chosen in (("every step", slice(None)), ("replanning steps", planned)):
        times = milliseconds[chosen]
        quantiles = np.percentile(times, [50, 95, 99, 100])
        print(
            f"{name:16} {len(times):6d} {times.mean():7.2f} "
            + " ".join(f"{q:7.2f}" for q in quantiles)
        )


if __name__ == "__main__":
    main()
