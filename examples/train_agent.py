"""Train an agent on a CausalWorld scene, evaluate it, and save everything a run should leave.

    python examples/train_agent.py            # CSML on CausalWorld-Ramp-v0, 20,000 steps
    python examples/train_agent.py --agent ppo --env CausalWorld-Tilt-v0 --timesteps 100000 \\
        --seed 1 --logdir runs

Agents: ``csml`` (``agents.csml_agent.CSMLAgent``), ``ppo`` and ``sac`` (Stable-Baselines3 with
rl-zoo3's tuned hyperparameters, ``agents.baselines``), ``random``. Training runs on the
scene's ``train`` task split; evaluation plays ``--eval-episodes`` fresh episodes of the
``test`` split (other hidden properties from the same ranges), deterministically.

Written to ``LOGDIR/<agent>-<env>-seed<S>/``: ``tensorboard/`` (per-episode return and success;
SB3's own scalars for PPO / SAC), ``agent.pt`` (CSML; ``torch.load(weights_only=True)``) or
``agent.zip`` (SB3's format), ``evaluation.json`` (success rate with its Wilson 95% interval,
mean return, decision time per step, the training curve, for CSML the learned dynamics graph
and its SHD), ``learning_curve.png``, ``graph.png`` (CSML: learned dynamics graph beside the
true one) and, with ``--video`` (on by default), an mp4 of the trained agent.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import causal_gym
from agents.baselines import AGENTS, hyperparameters, make_agent
from agents.csml_agent import CSMLAgent
from agents.evaluation import EpisodeLog, evaluate, true_dynamics_adjacency
from causal_gym.files import write_json
from world_models.graph_metrics import lagged_shd

DEFAULT_ENV = "CausalWorld-Ramp-v0"
DEFAULT_TIMESTEPS = 20_000  # the CSML default finishes in about 6 minutes on 2 cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agent", default="csml", choices=["csml", *AGENTS])
    parser.add_argument("--env", default=DEFAULT_ENV, choices=sorted(causal_gym.SCENES))
    parser.add_argument("--timesteps", type=int, default=DEFAULT_TIMESTEPS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-episodes", type=int, default=50)
    parser.add_argument("--logdir", type=Path, default=Path("runs"))
    parser.add_argument("--video", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args()
    if args.timesteps < 1:
        parser.error(f"--timesteps must be >= 1, got {args.timesteps}")
    if args.eval_episodes < 1:
        parser.error(f"--eval-episodes must be >= 1, got {args.eval_episodes}")

    run = args.logdir / f"{args.agent}-{args.env}-seed{args.seed}"
    run.mkdir(parents=True, exist_ok=True)
    train_env = EpisodeLog(gym.make(args.env, task="train"))
    agent, checkpoint = build(args, train_env, run)

    start = time.perf_counter()
    writer = _tensorboard(run) if args.agent == "csml" else None
    callback = None
    if writer is not None:

        def callback(agent: CSMLAgent, episode: dict[str, float]) -> None:
            for name in ("return", "success", "model_loss"):
                writer.add_scalar(f"episode/{name}", episode[name], int(episode["timesteps"]))

    agent.learn(args.timesteps, callback=callback, progress_bar=not args.no_progress)
    seconds = time.perf_counter() - start
    if writer is not None:
        writer.close()
    if checkpoint is not None:
        agent.save(checkpoint)

    eval_env = gym.make(args.env, task="test")
    report: dict[str, Any] = {
        "agent": args.agent,
        "env": args.env,
        "seed": args.seed,
        "timesteps": args.timesteps,
        "env_steps": train_env.timesteps,
        "train_seconds": seconds,
        "evaluation": evaluate(agent, eval_env, args.eval_episodes, seed=1_000_000 + args.seed),
        "training_episodes": train_env.episodes,
    }
    if isinstance(agent, CSMLAgent):
        report["config"] = dataclasses.asdict(agent.config)
        nodes, truth = true_dynamics_adjacency(train_env)
        learned = agent.dynamics_graph()
        report["dynamics_graph"] = {
            "nodes": nodes,
            "true": truth.tolist(),
            "learned": learned.tolist(),
            "shd": lagged_shd(truth, learned),
        }
        _graph_figure(nodes, truth, learned, report["dynamics_graph"]["shd"], run / "graph.png")
    write_json(run / "evaluation.json", report)
    _curve_figure(train_env.episodes, args, run / "learning_curve.png")
    evaluation = report["evaluation"]
    low, high = evaluation["success_interval_95"]
    print(
        f"{args.agent} on {args.env}, seed {args.seed}: {args.timesteps} steps in {seconds:.0f} s; "
        f"test success {evaluation['success_rate']:.0%} ({low:.0%}-{high:.0%}) over "
        f"{evaluation['episodes']} episodes, {evaluation['decision_ms_per_step']:.1f} ms per step "
        f"(slowest {evaluation['slowest_decision_ms']:.1f} ms)"
    )
    if args.video:
        print(f"video: {record(agent, args, run)}")
    print(f"results: {run.resolve()}")


def build(args: argparse.Namespace, env: gym.Env, run: Path) -> tuple[Any, Path | None]:
    """The agent (its config printed) and where its checkpoint goes."""
    if args.agent == "csml":
        agent = CSMLAgent(env, seed=args.seed)
        print(agent.config)
        return agent, run / "agent.pt"
    if args.agent == "random":
        return make_agent("random", env, seed=args.seed), None
    settings = hyperparameters(args.agent, tensorboard_log=str(run / "tensorboard"))
    print(f"{args.agent.upper()} {settings}")
    return make_agent(args.agent, env, seed=args.seed, **settings), run / "agent.zip"


def record(agent: Any, args: argparse.Namespace, run: Path) -> Path:
    """One test episode of the trained agent as an mp4; returns its path."""
    prefix = "trained"
    env = gym.wrappers.RecordVideo(
        gym.make(args.env, task="test", render_mode="rgb_array"),
        str(run / "video"),
        episode_trigger=lambda _: True,
        name_prefix=prefix,
    )
    observation, _ = env.reset(seed=2_000_000 + args.seed)
    state, start, done = None, True, False
    while not done:
        action, state = agent.predict(
            observation, state=state, episode_start=np.array([start]), deterministic=True
        )
        start = False
        observation, _, terminated, truncated, _ = env.step(action)
        done = terminated or truncated
    env.close()
    return (run / "video" / f"{prefix}-episode-0.mp4").resolve()


def _tensorboard(run: Path) -> Any:
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(str(run / "tensorboard"))


def _curve_figure(episodes: list[dict[str, float]], args: argparse.Namespace, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = np.array([e["timesteps"] for e in episodes])
    success = np.array([e["success"] for e in episodes])
    window = max(1, min(20, len(success)))
    rolling = np.convolve(success, np.ones(window) / window, mode="valid")
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(steps[window - 1 :], rolling)
    axis.set_xlabel("env steps")
    axis.set_ylabel(f"training success (mean of {window} episodes)")
    axis.set_ylim(-0.02, 1.02)
    axis.set_title(f"{args.agent} on {args.env}, seed {args.seed}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _graph_figure(
    nodes: list[str], truth: np.ndarray, learned: np.ndarray, shd: int, path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    children = [i for i in range(len(nodes)) if truth[:, i].any() or learned[:, i].any()]
    figure, axes = plt.subplots(1, 2, figsize=(11, 5.5))
    for axis, matrix, title in (
        (axes[0], truth, "true dynamics graph"),
        (axes[1], learned, f"learned (SHD {shd})"),
    ):
        axis.imshow(matrix[:, children], cmap="Greys", vmin=0, vmax=1)
        axis.set_xticks(range(len(children)), [nodes[i] for i in children], rotation=90)
        axis.set_yticks(range(len(nodes)), nodes)
        axis.set_xlabel("child (step t + 1)")
        axis.set_ylabel("parent (step t)")
        axis.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    main()
