"""Env steps to 80% success on `test`, every scene: CSML against the best of PPO and SAC.

    python benchmarks/steps_to_80.py docs/results/rl_benchmark.json \\
        docs/results/rl_seesaw_ppo_500k.json ... --out docs/results/rl_steps_to_80.json

Reads the ``rl_benchmark.json`` files that ``examples/benchmark.py`` writes. Runs of the same
scene and agent in a later file replace those of an earlier one, so a finer evaluation grid or
a longer budget, listed after the 20,000-step table, is the one used.

A seed that never reaches 80% within its budget counts as "more than the budget": it sorts
above every seed that did. So the median over seeds is defined when at most half of them
missed, and the IQM (the mean left after cutting a quarter of the seeds, rounded down, from
each end: ``scipy.stats.trim_mean(x, 0.25)``, as rliable computes it) when the cut top quarter
holds every miss. An agent whose median is undefined "never reaches 80%" within its budget;
the ratio to CSML is then a lower bound (budget / CSML's steps), and undefined when CSML's own
median is.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path
from typing import Any

from causal_gym.files import write_json

BASELINES = ("ppo", "sac")


def load_runs(paths: list[Path], split: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """``(env, agent) -> runs`` (one per seed) on ``split``; later files replace earlier ones."""
    chosen: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for path in paths:
        found: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for run in json.loads(path.read_text())["runs"]:
            if run["split"] == split:
                run = {**run, "source": str(path)}
                found.setdefault((run["env"], run["agent"]), []).append(run)
        chosen.update(found)
    return chosen


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-seed steps to 80% (``None``: not within the budget), their median and IQM
    (``None`` where the misses make them undefined), the budget and the evaluation grid."""
    runs = sorted(runs, key=lambda run: run["seed"])
    steps = [run["steps_to_80"] for run in runs]
    budget = max(run["curve"][-1]["env_steps"] for run in runs)
    grid = runs[0]["curve"][0]["env_steps"]
    censored = sorted(math.inf if s is None else float(s) for s in steps)
    cut = len(censored) // 4
    median, iqm = statistics.median(censored), statistics.mean(censored[cut : len(censored) - cut])
    return {
        "seeds": [run["seed"] for run in runs],
        "steps_to_80": steps,
        "median": median if math.isfinite(median) else None,
        "iqm": iqm if math.isfinite(iqm) else None,
        "budget": budget,
        "eval_every": grid,
        "source": runs[0]["source"],
    }


def ratio(csml: dict[str, Any], baseline: dict[str, Any], statistic: str) -> dict[str, Any]:
    """Baseline's steps over CSML's for ``statistic``; ``at_least`` when the baseline never
    reached 80% (its budget stands in), ``None`` when CSML never did."""
    if csml[statistic] is None:
        return {"value": None, "at_least": False}
    if baseline[statistic] is None:
        return {"value": baseline["budget"] / csml[statistic], "at_least": True}
    return {"value": baseline[statistic] / csml[statistic], "at_least": False}


def scene_rows(chosen: dict[tuple[str, str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for env_id in sorted({env for env, _ in chosen}):
        agents = {agent: summarise(chosen[env, agent]) for env, agent in chosen if env == env_id}
        row: dict[str, Any] = {"env": env_id, "agents": agents}
        if "csml" in agents and any(name in agents for name in BASELINES):
            present = [agents[name] for name in BASELINES if name in agents]
            row["ratio"] = {
                statistic: min(
                    (ratio(agents["csml"], other, statistic) for other in present),
                    # A bound ties with an exact ratio of the same value; the exact one wins.
                    key=lambda r: (math.inf if r["value"] is None else r["value"], r["at_least"]),
                )
                for statistic in ("median", "iqm")
            }
        rows.append(row)
    return rows


def _steps(value: float | None, budget: int) -> str:
    return f"> {budget / 1000:g}k" if value is None else f"{value / 1000:.3g}k"


def _ratio(entry: dict[str, Any]) -> str:
    if entry["value"] is None:
        return "undefined"
    return f"{'>= ' if entry['at_least'] else ''}{entry['value']:.1f}x"


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| scene | agent | budget / grid | steps to 80% per seed | median | IQM |",
        "|---|---|---|---|---:|---:|",
    ]
    for row in rows:
        for agent, summary in row["agents"].items():
            budget = summary["budget"]
            per_seed = ", ".join(_steps(s, budget) for s in summary["steps_to_80"])
            lines.append(
                f"| {row['env'].removeprefix('CausalWorld-')} | {agent} "
                f"| {budget / 1000:g}k / {summary['eval_every'] / 1000:g}k | {per_seed} "
                f"| {_steps(summary['median'], budget)} | {_steps(summary['iqm'], budget)} |"
            )
    lines += ["", "| scene | best baseline / CSML, median | IQM |", "|---|---:|---:|"]
    lines += [
        f"| {row['env'].removeprefix('CausalWorld-')} | {_ratio(row['ratio']['median'])} "
        f"| {_ratio(row['ratio']['iqm'])} |"
        for row in rows
        if "ratio" in row
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="rl_benchmark.json files")
    parser.add_argument("--split", default="test")
    parser.add_argument("--out", type=Path, help="write the table as JSON here")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.results if not path.is_file()]
    if missing:
        parser.error(f"no such results file: {', '.join(missing)}")
    rows = scene_rows(load_runs(args.results, args.split))
    if not rows:
        parser.error(f"no runs on split {args.split!r} in {[str(p) for p in args.results]}")
    print(markdown(rows))
    if args.out:
        write_json(
            args.out, {"split": args.split, "sources": list(map(str, args.results)), "scenes": rows}
        )


if __name__ == "__main__":
    main()
