"""Sweep throughput: the same small RL benchmark on the local process pool and on Ray.

    python benchmarks/sweep_backends.py [--agents csml ppo random] [--seeds 3]
        [--timesteps 2000] [--workers 2] [--repeats 1] [--address ADDR]

Runs ``examples/benchmark.py`` with the given cells into fresh folders, once per backend and
repeat, alternating backends so that machine noise hits both alike, and times each whole run as
a user would see it (process start, Ray start-up and shutdown, every cell, the aggregation).
Then it checks that both backends wrote the same results (every cell's evaluations, less the
timings) and prints cells per minute and the Ray / local wall-time ratio. With ``--address``
the Ray runs go to that cluster instead of a private instance.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "benchmark.py"), *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark.py {' '.join(argv)} failed:\n{done.stderr}")
    return time.perf_counter() - start


def cells(folder: Path) -> dict[str, dict]:
    """Each cell's results less what depends on the machine's speed."""
    found = {}
    for path in sorted((folder / "cells").glob("*.json")):
        cell = json.loads(path.read_text())
        del cell["train_seconds"]
        for evaluation in cell["evaluations"]:
            for split in evaluation["splits"].values():
                del split["decision_ms_per_step"], split["slowest_decision_ms"]
        found[path.name] = cell
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", nargs="+", default=["csml", "ppo", "random"])
    parser.add_argument("--env", default="CausalWorld-Ramp-v0")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--timesteps", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--address", help="a running Ray cluster instead of a private one")
    args = parser.parse_args()
    sweep = [
        "--envs", args.env, "--agents", *args.agents, "--seeds", str(args.seeds),
        "--timesteps", str(args.timesteps), "--eval-every", str(args.timesteps // 2),
        "--eval-episodes", "5", "--workers", str(args.workers),
    ]  # fmt: skip
    count = len(args.agents) * args.seeds
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; {count} cells ({', '.join(args.agents)} x "
        f"{args.seeds} seeds, {args.timesteps} steps each on {args.env}), {args.workers} workers"
    )
    seconds: dict[str, list[float]] = {"local": [], "ray": []}
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeats):
            for backend in ("local", "ray"):
                out = Path(scratch) / f"{backend}-{repeat}"
                extra = ["--backend", backend, "--out", str(out)]
                if backend == "ray" and args.address:
                    extra += ["--address", args.address]
                seconds[backend].append(run([*sweep, *extra]))
                results.setdefault(backend, cells(out))
                print(f"  repeat {repeat}, {backend}: {seconds[backend][-1]:.1f} s", flush=True)
    same = results["local"] == results["ray"]
    print(f"same results on both backends: {same} ({len(results['local'])} cells)")
    for backend, values in seconds.items():
        median = statistics.median(values)
        print(
            f"{backend:5s}: {median:.1f} s median (min {min(values):.1f}, max {max(values):.1f})"
            f", {60 * count / median:.1f} cells/min"
        )
    ratios = [r / loc for r, loc in zip(seconds["ray"], seconds["local"], strict=True)]
    print(
        f"ray / local wall time: {statistics.median(ratios):.2f} (per repeat: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + ")"
    )
    if not same:
        raise SystemExit("the backends' results differ")


if __name__ == "__main__":
    main()
