"""Is a pymunk ``Space.copy()`` a bit-exact snapshot? Is replay? What does each cost?

    python benchmarks/replay_exactness.py [--env CausalWorld-Ramp-v0] [--seeds 20] [--at 30]

For each seed: play ``--at`` random-action steps, then take (a) ``env.space.copy()`` and
(b) ``env.snapshot()``, restored into a second env by replay. The original world, the copy and
the restored world are then stepped ``--after`` control steps further with physics only (same
substeps, no actions) and their bodies compared bit for bit. The scene's collision callbacks
are detached first: they only record events, and their bound methods cannot be pickled.
This is why ``restore`` and ``counterfactual`` replay from the episode start.
"""

from __future__ import annotations

import argparse
import statistics
import time

import gymnasium as gym
import numpy as np
import pymunk

import causal_gym  # noqa: F401  (registers the scenes)
from causal_gym.physics import BodyReader, stepper


def continue_physics(env, space, steps: int) -> np.ndarray:
    advance = stepper(space, env.control_dt / env.substeps, env.substeps)
    reader = BodyReader(space)
    rows = []
    for _ in range(steps):
        advance()
        rows.append(reader.read())
    return np.array(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="CausalWorld-Ramp-v0")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--at", type=int, default=30, help="steps played before the snapshot")
    parser.add_argument("--after", type=int, default=60, help="physics steps compared after it")
    args = parser.parse_args()
    env = gym.make(args.env).unwrapped
    restored = gym.make(args.env).unwrapped
    copy_exact = replay_exact = 0
    copy_error, copy_seconds, replay_seconds = [], [], []
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        env.reset(seed=seed)
        for handler in list(env.space._handlers):
            env.space.on_collision(*handler, begin=pymunk.empty_callback)
        for _ in range(args.at):
            env.step(rng.uniform(-1, 1, env.action_space.shape))
        snapshot = env.snapshot()
        start = time.perf_counter()
        copied = env.space.copy()
        copy_seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        restored.restore(snapshot)
        replay_seconds.append(time.perf_counter() - start)
        original = continue_physics(env, env.space, args.after)
        from_copy = continue_physics(env, copied, args.after)
        from_replay = continue_physics(restored, restored.space, args.after)
        copy_exact += np.array_equal(original, from_copy)
        replay_exact += np.array_equal(original, from_replay)
        copy_error.append(float(np.abs(original - from_copy).max()))
    print(
        f"{args.env}: {args.seeds} seeds, snapshot after {args.at} steps, "
        f"compared over the next {args.after}"
    )
    print(
        f"  Space.copy(): bit-exact in {copy_exact}/{args.seeds}; largest difference "
        f"median {statistics.median(copy_error):.3g}, max {max(copy_error):.3g}; "
        f"{1e3 * statistics.median(copy_seconds):.2f} ms per copy"
    )
    print(
        f"  replay restore: bit-exact in {replay_exact}/{args.seeds}; "
        f"{1e3 * statistics.median(replay_seconds):.2f} ms per restore "
        f"({1e6 * statistics.median(replay_seconds) / args.at:.0f} us per replayed step)"
    )


if __name__ == "__main__":
    main()
