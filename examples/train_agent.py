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
true one) and, with ``--video`` (on by default), an mp4 of the trained agent; during training
``episodes.csv`` (a row per finished episode) and ``checkpoint/`` (``agents.checkpoints``: the
agent's training state and a manifest, every ``--checkpoint-every`` env steps and at the end).

``--resume`` continues a killed run from its last checkpoint (same ``--agent``, ``--env``,
``--seed`` and ``--timesteps``): CSML exactly as if never stopped, PPO / SAC to the same step
count from a fresh episode. Log rows and TensorBoard events written after that checkpoint are
dropped and written again. Without ``--resume``, a folder holding an unfinished run is
refused (``--overwrite`` starts it again); a finished one is replaced.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Logger, TensorBoardOutputFormat

import causal_gym
from agents import checkpoints
from agents.baselines import AGENTS, hyperparameters, make_agent
from agents.csml_agent import CSMLAgent
from agents.evaluation import EpisodeLog, evaluate, true_dynamics_adjacency
from causal_gym.files import write_json
from world_models.graph_metrics import lagged_shd, window_graph

DEFAULT_ENV = "CausalWorld-Ramp-v0"
DEFAULT_TIMESTEPS = 20_000  # CSML trains on Ramp in 142 s here (docs/benchmarks.md)
DEFAULT_CHECKPOINT_EVERY = 5_000
RUN_SETTINGS = ("agent", "env", "seed", "timesteps")  # what a resumed run must repeat


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
    parser.add_argument(
        "--checkpoint-every",
        type=int,
        default=DEFAULT_CHECKPOINT_EVERY,
        help="env steps between training checkpoints (taken at the next safe point)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in the log folder, if any"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="start again over an unfinished run"
    )
    args = parser.parse_args()
    for flag in ("timesteps", "eval_episodes", "checkpoint_every"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1, got {getattr(args, flag)}")
    if args.resume and args.overwrite:
        parser.error("--resume and --overwrite exclude each other")
    # The models are small: a second thread gains nothing, and two runs side by side, each
    # with a thread per core, slowed each other from about 200 to 2-7 env steps per second.
    torch.set_num_threads(1)

    run = args.logdir / f"{args.agent}-{args.env}-seed{args.seed}"
    run.mkdir(parents=True, exist_ok=True)
    settings = {k: getattr(args, k) for k in RUN_SETTINGS}
    try:
        manifest = checkpoints.read_manifest(run / "checkpoint")
    except ValueError as error:
        parser.error(f"{error}; pass --overwrite to start the run again")
    if manifest is not None and args.resume and manifest["run"] != settings:
        parser.error(
            f"{run / 'checkpoint'} holds a run started with {manifest['run']}; resume it with "
            "the same --agent, --env, --seed and --timesteps"
        )
    unfinished = manifest is not None and manifest["num_timesteps"] < manifest["run"]["timesteps"]
    if unfinished and not (args.resume or args.overwrite):
        parser.error(
            f"{run} holds an unfinished run ({manifest['num_timesteps']} of "
            f"{manifest['run']['timesteps']} steps): pass --resume to continue it or "
            "--overwrite to start again"
        )
    if not args.resume:
        manifest = None
        shutil.rmtree(run / "checkpoint", ignore_errors=True)

    train_env = EpisodeLog(
        gym.make(args.env, task="train"),
        log_path=run / "episodes.csv",
        episodes=manifest["episodes"] if manifest else None,
        timesteps=manifest["env_timesteps"] if manifest else 0,
    )
    agent, final_checkpoint = build(args, train_env, run, manifest)
    trainer = Trainer(args, agent, train_env, run, manifest)
    trainer.train()
    if final_checkpoint is not None:
        agent.save(final_checkpoint)
    train_env.close()

    eval_env = gym.make(args.env, task="test")
    report: dict[str, Any] = {
        "agent": args.agent,
        "env": args.env,
        "seed": args.seed,
        "timesteps": args.timesteps,
        "env_steps": train_env.timesteps,
        "train_seconds": trainer.seconds,
        "resumed_from": manifest["num_timesteps"] if manifest else None,
        "evaluation": evaluate(agent, eval_env, args.eval_episodes, seed=1_000_000 + args.seed),
        "training_episodes": train_env.episodes,
    }
    if isinstance(agent, CSMLAgent):
        report["config"] = dataclasses.asdict(agent.config)
        nodes, truth = true_dynamics_adjacency(train_env)
        learned = agent.dynamics_graph()
        window = window_graph(truth, agent.state_dim, agent.config.model_step)
        report["dynamics_graph"] = {
            "nodes": nodes,
            "true": truth.tolist(),
            "learned": learned.tolist(),
            "shd": lagged_shd(truth, learned),
            "true_over_model_step": window.tolist(),
            "shd_over_model_step": lagged_shd(window, learned),
        }
        _graph_figure(nodes, truth, learned, report["dynamics_graph"]["shd"], run / "graph.png")
    write_json(run / "evaluation.json", report)
    _curve_figure(train_env.episodes, args, run / "learning_curve.png")
    evaluation = report["evaluation"]
    low, high = evaluation["success_interval_95"]
    print(
        f"{args.agent} on {args.env}, seed {args.seed}: {args.timesteps} steps in "
        f"{trainer.seconds:.0f} s; test success {evaluation['success_rate']:.0%} "
        f"({low:.0%}-{high:.0%}) over {evaluation['episodes']} episodes, "
        f"{evaluation['decision_ms_per_step']:.1f} ms per step "
        f"(slowest {evaluation['slowest_decision_ms']:.1f} ms)"
    )
    if args.video:
        print(f"video: {record(agent, args, run)}")
    print(f"results: {run.resolve()}")


def build(
    args: argparse.Namespace, env: gym.Env, run: Path, manifest: dict[str, Any] | None
) -> tuple[Any, Path | None]:
    """The agent, new or from the run's checkpoint (its config printed), and where its final
    file goes (CSML: ``agent.pt``; SB3: ``agent.zip``, SB3's own format)."""
    if args.agent == "csml":
        if manifest is not None:
            agent = checkpoints.load(run / "checkpoint", manifest, env)
        else:
            agent = CSMLAgent(env, seed=args.seed)
        print(agent.config)
        return agent, run / "agent.pt"
    settings = {} if args.agent == "random" else hyperparameters(args.agent)
    if settings:
        print(f"{args.agent.upper()} {settings}")
    if manifest is not None:
        agent = checkpoints.load(run / "checkpoint", manifest, env, seed=args.seed, **settings)
    else:
        agent = make_agent(args.agent, env, seed=args.seed, **settings)
    return agent, None if args.agent == "random" else run / "agent.zip"


class Trainer:
    """Trains ``agent`` to the run's budget, logging to TensorBoard and writing a training
    checkpoint every ``--checkpoint-every`` env steps (at the next end of an episode for
    CSML, the next rollout start for SB3) and at the end. A resumed run's TensorBoard events
    from its checkpoint's step on are purged, so nothing is logged twice."""

    def __init__(
        self,
        args: argparse.Namespace,
        agent: Any,
        env: EpisodeLog,
        run: Path,
        manifest: dict[str, Any] | None,
    ) -> None:
        self.args, self.agent, self.env, self.run = args, agent, env, run
        self.start = int(agent.num_timesteps)
        self.seconds = manifest["train_seconds"] if manifest else 0.0
        self.next_checkpoint = (self.start // args.checkpoint_every + 1) * args.checkpoint_every
        if manifest is not None:
            print(f"resuming {run} from its checkpoint at {self.start} env steps")

    def train(self) -> None:
        remaining = self.args.timesteps - self.start
        self._clock = time.perf_counter()
        if remaining > 0:
            from torch.utils.tensorboard import SummaryWriter

            purge = self.start if self.start > 0 else None
            writer = SummaryWriter(str(self.run / "tensorboard"), purge_step=purge)
            try:
                self._learn(remaining, writer)
            finally:
                writer.close()
        self.checkpoint()

    def checkpoint(self) -> None:
        """A training checkpoint of the run as it is now."""
        now = time.perf_counter()
        self.seconds += now - self._clock
        self._clock = now
        config = (
            dataclasses.asdict(self.agent.config)
            if isinstance(self.agent, CSMLAgent)
            else {}
            if self.args.agent == "random"
            else hyperparameters(self.args.agent)
        )
        checkpoints.save(
            self.run / "checkpoint",
            self.args.agent,
            self.agent,
            run={k: getattr(self.args, k) for k in RUN_SETTINGS},
            config=config,
            train_seconds=self.seconds,
            env_timesteps=self.env.timesteps,
            episodes=self.env.episodes,
        )

    def _due(self) -> None:
        if self.agent.num_timesteps >= self.next_checkpoint:
            self.checkpoint()
            every = self.args.checkpoint_every
            self.next_checkpoint = (self.agent.num_timesteps // every + 1) * every

    def _learn(self, remaining: int, writer: Any) -> None:
        progress = not self.args.no_progress
        if isinstance(self.agent, CSMLAgent):

            def after_episode(agent: CSMLAgent, episode: dict[str, float]) -> None:
                for name in ("return", "success", "model_loss"):
                    writer.add_scalar(f"episode/{name}", episode[name], int(episode["timesteps"]))
                self._due()

            self.agent.learn(remaining, callback=after_episode, progress_bar=progress)
        elif self.args.agent == "random":
            self.agent.learn(remaining)
        else:
            self.agent.set_logger(_sb3_logger(writer))
            self.agent.learn(
                remaining,
                callback=_SB3Checkpoints(self, self.args.timesteps),
                progress_bar=progress,
                reset_num_timesteps=False,
            )


class _TensorBoardOutput(TensorBoardOutputFormat):
    """SB3's TensorBoard output on the run's own writer (which purges on resume) instead of
    a writer of its own."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self._is_closed = False


def _sb3_logger(writer: Any) -> Logger:
    return Logger(str(writer.log_dir), [_TensorBoardOutput(writer)])


class _SB3Checkpoints(BaseCallback):
    """Checkpoints at rollout starts (after the last update) and stops at the budget."""

    def __init__(self, trainer: Trainer, budget: int) -> None:
        super().__init__()
        self.trainer, self.budget = trainer, budget

    def _on_rollout_start(self) -> None:
        self.trainer._due()

    def _on_step(self) -> bool:
        return self.num_timesteps < self.budget


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
