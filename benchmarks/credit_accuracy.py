"""Credit accuracy: does the step the CSML agent blames for a failure really fix it?

    python benchmarks/credit_accuracy.py \\
        --checkpoint runs/csml-CausalWorld-Ramp-v0-seed0/agent.pt --episodes 100

The saved agent plays ``--episodes`` deterministic episodes of the ``--task`` split
(``test`` unless told; seeds 3,000,000, ...). For each failed one, ``CSMLAgent.credit``
names a window of ``model_step`` steps starting at t* and an action a'; the env's exact
counterfactual (same episode, same noise) replays the episode with a' held through that
window and every other action as it was.
Printed, over the failed episodes:

- **credit accuracy**: how often that counterfactual succeeds;
- **chance**: the same for a uniformly random window and a random action of the credit grid;
- **fixable**: how often *some* window and grid action succeeds (the most any credit could
  reach with one window changed).
"""

from __future__ import annotations

import numpy as np

from agents.evaluation import (
    checkpoint_parser,
    open_checkpoint,
    play_episode,
    window_fix_succeeds,
    window_fixes,
)


def main() -> None:
    parser = checkpoint_parser(__doc__.split("\n")[0], episodes=100)
    args = parser.parse_args()
    if args.episodes < 1:
        parser.error("--episodes must be >= 1")
    env, agent = open_checkpoint(args)
    k = agent.config.model_step
    axis = np.linspace(-1.0, 1.0, agent.config.credit_grid)
    grid = np.stack(np.meshgrid(*[axis] * agent.action_dim, indexing="ij"), -1)
    grid = grid.reshape(-1, agent.action_dim)
    rng = np.random.default_rng(0)
    limit = env.spec.max_episode_steps
    failed = credited = chance = fixable = 0
    for episode in range(args.episodes):
        observations, played, success = play_episode(agent, env, 3_000_000 + episode)
        if success:
            continue
        failed += 1
        # Past the factual end, hold the last action to the time limit, as the agent would.
        padded = np.concatenate([played, np.repeat(played[-1:], limit - len(played), axis=0)])
        credit = agent.credit({"states": observations, "actions": played})
        credited += window_fix_succeeds(env, padded, credit.step, k, credit.action)
        start = int(rng.integers(0, len(played), endpoint=False)) // k * k
        chance += window_fix_succeeds(env, padded, start, k, grid[rng.integers(len(grid))])
        fixable += any(window_fixes(env, padded, len(played), k, grid))
    print(
        f"{args.env}: {args.episodes} {args.task} episodes, {failed} failed; credit grid "
        f"{len(grid)} actions, windows of {k} steps"
    )
    if failed:
        print(
            f"credit accuracy {credited / failed:.1%}, chance {chance / failed:.1%}, "
            f"fixable by one window {fixable / failed:.1%}"
        )


if __name__ == "__main__":
    main()
