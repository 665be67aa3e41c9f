"""Record mp4 videos of a CausalWorld scene under a policy.

    python examples/record_video.py --env CausalWorld-Ramp-v0 --policy search --out videos
    python examples/record_video.py --env CausalWorld-Seesaw-v0 --policy constant --action 0.2
    python examples/record_video.py --env CausalWorld-Shuffle-v0 --policy sb3 --algo ppo \\
        --model runs/ppo_shuffle.zip

Policies:

- ``random``: uniform random actions.
- ``constant``: a scripted policy, the action given by ``--action`` (one number per action
  dimension, in [-1, 1]) at every step.
- ``search``: ``agents.oracle.plan_constant_action``, which shows what the env's exact
  counterfactuals are for: at the start of each episode it asks
  ``env.unwrapped.counterfactual`` how the episode would end under a grid of constant actions
  and plays the best. It reads the simulator (same hidden properties, same noise), so it is a
  reference, not an agent.
- ``sb3``: a saved Stable-Baselines3 agent (``--algo`` and ``--model``, a ``.zip`` from the
  agent's ``save``), acting deterministically. SB3's own ``load`` reads it, and that format
  unpickles parts of the file: load only models you trust.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym
import numpy as np

import causal_gym
from agents.oracle import plan_constant_action

SB3_ALGORITHMS = ("a2c", "ppo", "sac", "td3")


def load_sb3_agent(algo: str, path: Path, env: gym.Env):
    """The SB3 agent saved at ``path``, with a clear error when the file cannot be one."""
    import stable_baselines3

    if not path.is_file():
        raise SystemExit(f"--model {path}: no such file")
    try:
        return getattr(stable_baselines3, algo.upper()).load(path, env=env, device="cpu")
    except Exception as error:  # SB3 raises many kinds for a foreign or truncated file
        raise SystemExit(
            f"--model {path}: not a Stable-Baselines3 {algo.upper()} agent for {env.spec.id} "
            f"({type(error).__name__}: {error})"
        ) from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="CausalWorld-Ramp-v0", choices=sorted(causal_gym.SCENES))
    parser.add_argument(
        "--policy", default="search", choices=["random", "constant", "search", "sb3"]
    )
    parser.add_argument("--action", type=float, nargs="+", help="with --policy constant")
    parser.add_argument("--algo", choices=SB3_ALGORITHMS, help="with --policy sb3")
    parser.add_argument("--model", type=Path, help="with --policy sb3: the saved agent")
    parser.add_argument("--episodes", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--task", default="train", choices=["train", "test", "ood", "surface"])
    parser.add_argument("--out", default="videos", help="folder for the mp4 files")
    args = parser.parse_args()
    if args.episodes < 1:
        parser.error("--episodes must be >= 1")

    out = Path(args.out)
    prefix = f"{args.env}-{args.policy}-seed{args.seed}"
    env = gym.wrappers.RecordVideo(
        gym.make(args.env, render_mode="rgb_array", task=args.task),
        str(out),
        episode_trigger=lambda _: True,
        name_prefix=prefix,
    )
    constant = None
    if args.policy == "constant":
        constant = np.array(args.action or [], dtype=np.float32)
        if constant.shape != env.action_space.shape or not env.action_space.contains(constant):
            parser.error(
                f"--action needs {env.action_space.shape[0]} numbers in [-1, 1] for {args.env} "
                f"(dimensions {list(env.unwrapped.action_variables)}), got {args.action}"
            )
    agent = None
    if args.policy == "sb3":
        if args.algo is None or args.model is None:
            parser.error("--policy sb3 needs --algo and --model")
        agent = load_sb3_agent(args.algo, args.model, env)
    rng = np.random.default_rng(args.seed)
    env.action_space.seed(args.seed)
    for episode in range(args.episodes):
        obs, _ = env.reset(seed=args.seed + episode)
        plan = plan_constant_action(env, rng) if args.policy == "search" else constant
        total, steps, terminated, truncated = 0.0, 0, False, False
        while not (terminated or truncated):
            if agent is not None:
                action, _ = agent.predict(obs, deterministic=True)
            else:
                action = env.action_space.sample() if plan is None else plan
            obs, reward, terminated, truncated, info = env.step(action)
            total += reward
            steps += 1
        print(f"episode {episode}: {steps} steps, return {total:.3f}, success {info['is_success']}")
    env.close()
    for video in sorted(out.glob(f"{prefix}-episode-*.mp4")):
        print(f"video: {video.resolve()}")


if __name__ == "__main__":
    main()
