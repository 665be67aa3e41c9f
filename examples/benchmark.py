"""The RL benchmark: agents x scenes x seeds, success against env steps on every task split.

    python examples/benchmark.py --envs CausalWorld-Ramp-v0 \\
        --agents csml csml-no-credit ppo sac random --seeds 5 --timesteps 20000 \\
        --workers 2 --out runs/benchmark

A **cell** is one agent trained with one seed on one scene's ``train`` split for
``--timesteps`` env steps. Every ``--eval-every`` env steps and at the end of its budget it plays
``--eval-episodes`` deterministic episodes of each of ``--splits`` (default ``train``, ``test``,
``ood`` and ``surface``; episode seeds 1,000,000 + 10,000 x seed + i, the same at every
checkpoint so that curves compare like with like). ``csml-no-credit`` is the CSML agent without
counterfactual credit (the ablation); ``--csml-config KEY=VALUE ...`` changes both CSML
agents' ``CSMLAgentConfig`` settings (recorded in every cell and in ``rl_benchmark.json``).
Agents stop at exactly the budget: PPO's last rollout is cut short rather than rounded up to a
multiple of ``n_steps``.

Cells run in ``--workers`` local processes (``--backend local``, the default) or as Ray tasks
(``--backend ray``: a private Ray instance with ``--workers`` CPUs, or the running cluster at
``--address``, each cell requesting ``--cpus-per-cell`` CPUs; its nodes need this package
installed). Each cell is written to ``OUT/cells/`` as soon as it finishes, and ``results.csv``
rewritten with every finished cell; cells already there are not run again, so a killed
benchmark picks up where it stopped. A CSML cell also checkpoints after every evaluation
(``OUT/cells/<cell>.partial/``) and a restarted sweep continues it from there, bit for bit;
other agents' unfinished cells start again. When all cells are done, ``OUT`` receives:

- ``results.csv``: one row per agent, scene, split, seed and checkpoint;
- ``rl_benchmark.json``: per agent, scene, split and seed, the success curve over env steps and
  the env steps at which success first reached 80% (``null``: not within the budget), plus the
  aggregates below;
- ``summary.md``: per scene, each agent's final success on every split as IQM over seeds with a
  95% stratified-bootstrap interval (``rliable``), the loss of success from ``test`` to ``ood``
  and to ``surface`` (IQM and interval over seeds), seeds reaching 80% on ``test``, decision time
  per step, and for CSML the learned dynamics graph's SHD to the true one;
- ``success_curves.png``: IQM and interval of success against env steps, per scene and split;
- ``runs.json``: every invocation on this folder, with its command and the library versions.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import causal_gym
from agents import checkpoints
from agents.baselines import make_agent
from agents.csml_agent import CSMLAgent, CSMLAgentConfig
from agents.evaluation import EpisodeLog, evaluate, true_dynamics_adjacency
from causal_gym.files import atomic_write, write_json
from causal_gym.parallel import BACKENDS, run_jobs
from causal_gym.tasks import TASKS
from world_models.graph_metrics import lagged_shd, window_graph

AGENT_NAMES = ("csml", "csml-no-credit", "ppo", "sac", "random")
TARGET_SUCCESS = 0.8
BOOTSTRAP_REPS = 2000


@dataclass(frozen=True)
class Cell:
    """One agent, scene and seed, with the budget and evaluation schedule shared by all cells."""

    agent: str
    env: str
    seed: int
    timesteps: int
    eval_every: int
    eval_episodes: int
    splits: tuple[str, ...]
    csml_config: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.agent}__{self.env}__seed{self.seed}"

    def settings(self) -> dict[str, Any]:
        """The cell as its JSON files record it. A CSML cell records its whole configuration,
        not only the overrides, so that a cell run under other defaults is never resumed as
        this one."""
        config: dict[str, Any] = {}
        if self.agent.startswith("csml"):
            config = asdict(CSMLAgentConfig(**dict(self.csml_config)))
            del config["seed"], config["counterfactual_credit"]
        return {**asdict(self), "splits": list(self.splits), "csml_config": config}

    def checkpoints(self) -> list[int]:
        """The env-step counts at which the agent is evaluated; the last is the budget."""
        return [*range(self.eval_every, self.timesteps, self.eval_every), self.timesteps]


def run_cell(job: tuple[Cell, str]) -> dict[str, Any]:
    """Train one cell's agent, evaluating it on every split at every checkpoint.

    ``job`` is the cell and the folder of its partial state: a CSML cell writes a training
    checkpoint there after every evaluation and, started again after a crash, continues from
    it exactly as the uninterrupted cell would have. SB3 cells start again from scratch: their
    checkpoints would not replay the same episodes (see ``agents.checkpoints``), and a cell's
    figures must not depend on whether it was interrupted.
    """
    import torch

    cell, partial = job[0], Path(job[1])
    torch.set_num_threads(1)
    settings = cell.settings()
    manifest = checkpoints.read_manifest(partial) if cell.agent.startswith("csml") else None
    if manifest is not None and manifest.get("cell") != settings:
        raise ValueError(
            f"{partial} holds a partial cell run with other settings ({manifest.get('cell')}); "
            "delete it to rerun the cell"
        )
    train_env = EpisodeLog(
        gym.make(cell.env, task="train"),
        episodes=manifest["episodes"] if manifest else None,
        timesteps=manifest["env_timesteps"] if manifest else 0,
    )
    if manifest is not None:
        agent = checkpoints.load(partial, manifest, train_env)
    elif cell.agent.startswith("csml"):
        agent = CSMLAgent(
            train_env,
            seed=cell.seed,
            counterfactual_credit=cell.agent == "csml",
            **dict(cell.csml_config),
        )
    else:
        agent = make_agent(cell.agent, train_env, seed=cell.seed)
    eval_envs = {split: gym.make(cell.env, task=split) for split in cell.splits}
    evaluations: list[dict[str, Any]] = manifest["evaluations"] if manifest else []
    done = {e["checkpoint"] for e in evaluations}
    pending = [step for step in cell.checkpoints() if step not in done]
    clock = {
        "train": manifest["train_seconds"] if manifest else 0.0,
        "started": time.perf_counter(),
    }

    def evaluate_due(env_steps: int) -> bool:
        """Evaluate at every checkpoint reached; whether any was."""
        evaluated = False
        while pending and env_steps >= pending[0]:
            clock["train"] += time.perf_counter() - clock["started"]
            evaluations.append(
                {
                    "checkpoint": pending.pop(0),
                    "env_steps": env_steps,
                    "splits": {
                        split: evaluate(
                            agent, env, cell.eval_episodes, seed=1_000_000 + 10_000 * cell.seed
                        )
                        for split, env in eval_envs.items()
                    },
                }
            )
            clock["started"] = time.perf_counter()
            evaluated = True
        return evaluated

    def after_episode(agent: CSMLAgent, episode: dict[str, float]) -> None:
        if evaluate_due(agent.num_timesteps) and pending:
            checkpoints.save(
                partial,
                "csml",
                agent,
                cell=settings,
                evaluations=evaluations,
                episodes=train_env.episodes,
                env_timesteps=train_env.timesteps,
                train_seconds=clock["train"],
            )

    if isinstance(agent, CSMLAgent):
        remaining = cell.timesteps - agent.num_timesteps
        if remaining > 0:
            agent.learn(remaining, callback=after_episode)
    elif cell.agent == "random":
        agent.learn(cell.timesteps)
    else:
        agent.learn(cell.timesteps, callback=_sb3_checkpoints(cell.timesteps, evaluate_due))
    evaluate_due(cell.timesteps)
    result = {
        **settings,
        "env_steps": train_env.timesteps if cell.agent != "random" else cell.timesteps,
        "train_seconds": clock["train"],
        "evaluations": evaluations,
        "training_episodes": train_env.episodes,
    }
    if isinstance(agent, CSMLAgent):
        _, truth = true_dynamics_adjacency(train_env)
        learned = agent.dynamics_graph()
        result["dynamics_graph_shd"] = lagged_shd(truth, learned)
        window = window_graph(truth, agent.state_dim, agent.config.model_step)
        result["dynamics_graph_window_shd"] = lagged_shd(window, learned)
    return result


def _sb3_checkpoints(budget: int, evaluate_due: Callable[[int], bool]) -> Any:
    """An SB3 callback that evaluates at checkpoints and stops training at ``budget`` steps."""
    from stable_baselines3.common.callbacks import BaseCallback

    class Checkpoints(BaseCallback):
        def _on_step(self) -> bool:
            evaluate_due(self.num_timesteps)
            return self.num_timesteps < budget

    return Checkpoints()


# ----- aggregation -------------------------------------------------------------------------


def iqm_interval(scores: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """IQM of ``scores`` (one per seed) with its 95% stratified-bootstrap interval."""
    from rliable import library, metrics

    scores = np.asarray(scores, dtype=float).reshape(-1, 1)
    with warnings.catch_warnings():
        # rliable 1.2 passes arch the RandomState it was given under a keyword arch deprecates.
        warnings.filterwarnings("ignore", "random_state is deprecated", FutureWarning)
        point, interval = library.get_interval_estimates(
            {"scores": scores},
            lambda x: np.array([metrics.aggregate_iqm(x)]),
            reps=BOOTSTRAP_REPS,
            random_state=np.random.RandomState(seed),
        )
    low, high = interval["scores"][:, 0]
    return float(point["scores"][0]), float(low), float(high)


def steps_to_target(curve: list[tuple[int, float]], target: float = TARGET_SUCCESS) -> int | None:
    """The first checkpoint at which success reached ``target``; ``None`` if none did."""
    return next((steps for steps, success in curve if success >= target), None)


def per_seed_runs(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per agent, scene, split and seed: the success curve and steps to 80%."""
    runs = []
    for cell in cells:
        for split in cell["splits"]:
            curve = [
                (e["checkpoint"], e["splits"][split]["success_rate"]) for e in cell["evaluations"]
            ]
            final = cell["evaluations"][-1]["splits"][split]
            runs.append(
                {
                    "agent": cell["agent"],
                    "env": cell["env"],
                    "split": split,
                    "seed": cell["seed"],
                    "curve": [{"env_steps": s, "success_rate": r} for s, r in curve],
                    "final_success_rate": final["success_rate"],
                    "steps_to_80": steps_to_target(curve),
                    "decision_ms_per_step": final["decision_ms_per_step"],
                }
            )
    return runs


def aggregate(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per agent and scene: IQM and interval of final success per split, of the loss from
    ``test`` to the shifted splits, and the other columns of ``summary.md``."""
    rows = []
    for env_id in dict.fromkeys(c["env"] for c in cells):
        for agent in dict.fromkeys(c["agent"] for c in cells if c["env"] == env_id):
            group = sorted(
                (c for c in cells if c["env"] == env_id and c["agent"] == agent),
                key=lambda c: c["seed"],
            )
            splits = group[0]["splits"]
            final = {
                split: np.array(
                    [c["evaluations"][-1]["splits"][split]["success_rate"] for c in group]
                )
                for split in splits
            }
            row: dict[str, Any] = {"env": env_id, "agent": agent, "seeds": len(group)}
            row["success"] = {split: iqm_interval(final[split]) for split in splits}
            if "test" in final:
                row["loss_from_test"] = {
                    split: iqm_interval(final["test"] - final[split])
                    for split in ("ood", "surface")
                    if split in final
                }
                row["seeds_reaching_80_on_test"] = sum(
                    steps_to_target(
                        [
                            (e["checkpoint"], e["splits"]["test"]["success_rate"])
                            for e in c["evaluations"]
                        ]
                    )
                    is not None
                    for c in group
                )
            row["decision_ms_per_step"] = statistics.mean(
                c["evaluations"][-1]["splits"][splits[0]]["decision_ms_per_step"] for c in group
            )
            row["train_seconds"] = statistics.mean(c["train_seconds"] for c in group)
            for key in ("dynamics_graph_shd", "dynamics_graph_window_shd"):
                shd = [c[key] for c in group if key in c]
                if shd:
                    row[key] = {
                        "mean": statistics.mean(shd),
                        "std": statistics.stdev(shd) if len(shd) > 1 else 0.0,
                    }
            rows.append(row)
    return rows


def summary_markdown(rows: list[dict[str, Any]], command: str) -> str:
    """The per-scene tables of ``summary.md``."""

    def estimate(value: tuple[float, float, float]) -> str:
        point, low, high = value
        return f"{point:.0%} [{low:.0%}, {high:.0%}]"

    lines = [f"`{command}`", ""]
    for env_id in dict.fromkeys(r["env"] for r in rows):
        group = [r for r in rows if r["env"] == env_id]
        splits = list(group[0]["success"])
        losses = list(group[0].get("loss_from_test", {}))
        lines += [
            f"### {env_id}",
            "",
            "IQM over seeds [95% bootstrap interval] of final success; loss = test - split.",
            "",
            "| agent | seeds | "
            + " | ".join(f"{s}" for s in splits)
            + "".join(f" | loss to {s}" for s in losses)
            + " | seeds at 80% (test) | decision ms / step | train s | dynamics-graph SHD"
            + " | SHD against the model step's graph |",
            "|---|---:|" + "---:|" * (len(splits) + len(losses) + 5),
        ]
        for row in group:
            shd = [row.get(key) for key in ("dynamics_graph_shd", "dynamics_graph_window_shd")]
            cells = [
                row["agent"],
                str(row["seeds"]),
                *(estimate(row["success"][s]) for s in splits),
                *(estimate(row["loss_from_test"][s]) for s in losses),
                str(row.get("seeds_reaching_80_on_test", "-")),
                f"{row['decision_ms_per_step']:.2f}",
                f"{row['train_seconds']:.0f}",
                *(f"{d['mean']:.1f} +- {d['std']:.1f}" if d else "-" for d in shd),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write_csv(cells: list[dict[str, Any]], path: Path) -> None:
    """``results.csv``: agent, env, split, seed, checkpoint, env_steps, success and return."""
    rows = [
        {
            "agent": c["agent"],
            "env": c["env"],
            "split": split,
            "seed": c["seed"],
            "checkpoint": e["checkpoint"],
            "env_steps": e["env_steps"],
            "success_rate": e["splits"][split]["success_rate"],
            "mean_return": e["splits"][split]["mean_return"],
            "episodes": e["splits"][split]["episodes"],
        }
        for c in cells
        for e in c["evaluations"]
        for split in c["splits"]
    ]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(path, text.getvalue())


def plot_curves(cells: list[dict[str, Any]], path: Path) -> None:
    """IQM and 95% interval of success against env steps; one panel per scene and split."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = list(dict.fromkeys(c["env"] for c in cells))
    splits = list(cells[0]["splits"])
    figure, axes = plt.subplots(
        len(envs), len(splits), figsize=(3.6 * len(splits), 3.0 * len(envs)), squeeze=False
    )
    for row, env_id in enumerate(envs):
        for column, split in enumerate(splits):
            axis = axes[row][column]
            for agent in dict.fromkeys(c["agent"] for c in cells if c["env"] == env_id):
                group = [c for c in cells if c["env"] == env_id and c["agent"] == agent]
                steps = [e["checkpoint"] for e in group[0]["evaluations"]]
                estimates = [
                    iqm_interval(
                        [c["evaluations"][i]["splits"][split]["success_rate"] for c in group]
                    )
                    for i in range(len(steps))
                ]
                points, lows, highs = (np.array(v) for v in zip(*estimates))
                axis.plot(steps, points, marker="o", label=agent)
                axis.fill_between(steps, lows, highs, alpha=0.2)
            axis.axhline(TARGET_SUCCESS, color="grey", linestyle=":", linewidth=1)
            axis.set_ylim(-0.02, 1.02)
            axis.set_title(f"{env_id.removeprefix('CausalWorld-')} / {split}")
            axis.set_xlabel("env steps")
            axis.xaxis.set_major_formatter(lambda steps, _: f"{steps / 1000:g}k")
            if column == 0:
                axis.set_ylabel("success (IQM over seeds)")
    axes[0][0].legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--envs", nargs="+", default=["CausalWorld-Ramp-v0"], choices=sorted(causal_gym.SCENES)
    )
    parser.add_argument("--agents", nargs="+", default=list(AGENT_NAMES), choices=AGENT_NAMES)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1")
    parser.add_argument("--timesteps", type=int, default=20_000)
    parser.add_argument("--eval-every", type=int, default=5_000)
    parser.add_argument("--eval-episodes", type=int, default=50)
    parser.add_argument("--splits", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--workers", type=int, default=2, help="processes, or Ray CPUs")
    parser.add_argument("--out", type=Path, default=Path("runs/benchmark"))
    parser.add_argument("--backend", default="local", choices=BACKENDS)
    parser.add_argument(
        "--address", help="a running Ray cluster (auto, or HEAD:6379); with --backend ray"
    )
    parser.add_argument("--cpus-per-cell", type=float, default=1.0, help="Ray's CPU request")
    parser.add_argument(
        "--csml-config",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="CSMLAgentConfig settings for the csml agents (e.g. sparsity=0.001)",
    )
    args = parser.parse_args(argv)
    if args.address is not None and args.backend != "ray":
        parser.error("--address needs --backend ray")
    if not args.cpus_per_cell > 0:
        parser.error(f"--cpus-per-cell must be > 0, got {args.cpus_per_cell}")
    for flag in ("seeds", "timesteps", "eval_every", "eval_episodes", "workers"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1, got {getattr(args, flag)}")
    try:
        csml_config = parse_csml_config(args.csml_config)
    except ValueError as error:
        parser.error(str(error))
    if csml_config and not any(agent.startswith("csml") for agent in args.agents):
        parser.error("--csml-config needs a csml agent in --agents")
    command = "python examples/benchmark.py " + " ".join(argv if argv is not None else sys.argv[1:])

    cells = [
        Cell(
            agent,
            env_id,
            seed,
            args.timesteps,
            args.eval_every,
            args.eval_episodes,
            tuple(args.splits),
            csml_config if agent.startswith("csml") else (),
        )
        for env_id in args.envs
        for agent in args.agents
        for seed in range(args.seeds)
    ]
    folder = args.out / "cells"
    folder.mkdir(parents=True, exist_ok=True)
    done = {cell: _load_cell(folder / f"{cell.name}.json", cell) for cell in cells}
    todo = [cell for cell, result in done.items() if result is None]
    print(f"{len(cells)} cells, {len(cells) - len(todo)} already in {folder}, running {len(todo)}")
    _record_run(args.out / "runs.json", command)
    start = time.perf_counter()
    jobs = [(cell, str(folder / f"{cell.name}.partial")) for cell in todo]
    finished = 0
    for (cell, partial), result in run_jobs(
        run_cell, jobs, args.backend, args.workers, args.address, args.cpus_per_cell
    ):
        done[cell] = result
        write_json(folder / f"{cell.name}.json", result)
        shutil.rmtree(partial, ignore_errors=True)
        write_csv([r for r in done.values() if r is not None], args.out / "results.csv")
        finished += 1
        final = result["evaluations"][-1]["splits"]
        print(
            f"[{finished}/{len(todo)}, {time.perf_counter() - start:.0f} s] {cell.name}: "
            + ", ".join(f"{s} {r['success_rate']:.0%}" for s, r in final.items()),
            flush=True,
        )

    results = [done[cell] for cell in cells]
    rows = aggregate(results)
    write_csv(results, args.out / "results.csv")
    print(f"{len(todo)} cells ran in {time.perf_counter() - start:.1f} s ({args.backend} backend)")
    write_json(
        args.out / "rl_benchmark.json",
        {
            "command": command,
            "timesteps": args.timesteps,
            "eval_every": args.eval_every,
            "eval_episodes": args.eval_episodes,
            "target_success": TARGET_SUCCESS,
            "csml_config": dict(csml_config),
            # Every setting, so the rows stay readable after a default changes.
            "csml_settings": next(
                (cell.settings()["csml_config"] for cell in cells if cell.agent.startswith("csml")),
                None,
            ),
            "runs": per_seed_runs(results),
            "aggregate": rows,
        },
    )
    summary = summary_markdown(rows, command)
    atomic_write(args.out / "summary.md", summary)
    plot_curves(results, args.out / "success_curves.png")
    print(summary)
    print(f"wrote {args.out}/results.csv, rl_benchmark.json, summary.md, success_curves.png")


def parse_csml_config(pairs: list[str]) -> tuple[tuple[str, Any], ...]:
    """``KEY=VALUE`` strings as ``CSMLAgentConfig`` overrides, typed as the setting's default.

    ``seed`` and ``counterfactual_credit`` are not settable: ``--seeds`` and the agent's name
    (``csml`` or ``csml-no-credit``) decide them.
    """
    defaults = {
        setting.name: setting.default
        for setting in fields(CSMLAgentConfig)
        if setting.name not in ("seed", "counterfactual_credit")
    }
    config: dict[str, Any] = {}
    for pair in pairs:
        key, separator, text = pair.partition("=")
        if not separator or key not in defaults:
            raise ValueError(
                f"--csml-config takes KEY=VALUE with KEY one of {', '.join(defaults)}; got {pair!r}"
            )
        default = defaults[key]
        try:
            if isinstance(default, bool):
                if text.lower() not in ("true", "false"):
                    raise ValueError
                value: Any = text.lower() == "true"
            else:
                value = type(default)(text)
        except ValueError:
            raise ValueError(
                f"--csml-config {key} takes {type(default).__name__} values, got {text!r}"
            ) from None
        config[key] = value
    CSMLAgentConfig(**config)
    return tuple(sorted(config.items()))


def _record_run(path: Path, command: str) -> None:
    """Append this invocation, with the library versions, to ``OUT/runs.json``: a folder's
    cells may come from several runs (a resumed sweep, more seeds), and this says which."""
    try:
        runs = json.loads(path.read_text()) if path.exists() else []
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({error}); delete it to go on") from None
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    runs.append({"command": command, "started": started, "versions": checkpoints.versions()})
    write_json(path, runs)


def _load_cell(path: Path, cell: Cell) -> dict[str, Any] | None:
    """A finished cell's results if ``path`` holds them for exactly this cell's settings."""
    if not path.exists():
        return None
    try:
        result = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path} is not valid JSON ({error}); delete it to rerun the cell"
        ) from None
    expected = cell.settings()
    settings = {key: result.get(key) for key in expected}
    if settings != expected:
        raise ValueError(
            f"{path} was run with other settings ({settings}); use another --out or delete it"
        )
    return result


if __name__ == "__main__":
    main()
