"""examples/benchmark.py: the aggregation maths, and a tiny run end to end (with its resume)."""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rliable")
ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("benchmark", ROOT / "examples" / "benchmark.py")
benchmark = importlib.util.module_from_spec(spec)
sys.modules["benchmark"] = benchmark
spec.loader.exec_module(benchmark)


def test_iqm_is_the_quartile_trimmed_mean_inside_its_interval():
    point, low, high = benchmark.iqm_interval(np.array([0.0, 0.2, 0.4, 0.6, 1.0]))
    assert point == pytest.approx(0.4)  # 5 seeds: the lowest and highest are trimmed
    assert 0.0 <= low <= point <= high <= 1.0 and high > low
    assert benchmark.iqm_interval(np.full(5, 0.3)) == pytest.approx((0.3, 0.3, 0.3))


def test_steps_to_target_is_the_first_checkpoint_at_80_percent():
    assert benchmark.steps_to_target([(100, 0.5), (200, 0.8), (300, 0.7)]) == 200
    assert benchmark.steps_to_target([(100, 0.5), (200, 0.79)]) is None


def run_benchmark(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / "benchmark.py"), *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_tiny_benchmark_writes_every_output_and_resumes(tmp_path):
    out = tmp_path / "bench"
    argv = [
        "--agents", "csml", "ppo", "random", "--seeds", "2", "--timesteps", "300",
        "--eval-every", "150", "--eval-episodes", "1", "--workers", "2", "--out", str(out),
    ]  # fmt: skip
    first = run_benchmark(argv)
    assert first.returncode == 0, first.stderr

    with open(out / "results.csv") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 3 * 2 * 4 * 2  # agents x seeds x splits x checkpoints
    cells = {path.name: json.loads(path.read_text()) for path in (out / "cells").iterdir()}
    assert len(cells) == 6
    for cell in cells.values():
        assert [e["checkpoint"] for e in cell["evaluations"]] == [150, 300]
        # SB3 stops at the budget instead of finishing PPO's 4,096-step rollout.
        assert cell["env_steps"] == 300 or cell["agent"] == "csml"
        final = cell["evaluations"][-1]["splits"]
        if cell["agent"] != "random":
            # Surface only recolours the scene: a deterministic agent on state observations
            # plays the test episodes again (the random agent draws fresh actions).
            assert final["surface"]["mean_return"] == final["test"]["mean_return"]
        assert final["ood"]["mean_return"] != final["test"]["mean_return"]
    assert all("dynamics_graph_shd" in c for c in cells.values() if c["agent"] == "csml")

    report = json.loads((out / "rl_benchmark.json").read_text())
    assert len(report["runs"]) == 3 * 2 * 4
    assert all(len(run["curve"]) == 2 for run in report["runs"])
    assert {row["agent"] for row in report["aggregate"]} == {"csml", "ppo", "random"}
    assert "| csml | 2 |" in (out / "summary.md").read_text()
    assert (out / "success_curves.png").stat().st_size > 0

    stamps = {path.name: path.stat().st_mtime_ns for path in (out / "cells").iterdir()}
    again = run_benchmark(argv)
    assert again.returncode == 0, again.stderr
    assert "6 already in" in again.stdout
    assert stamps == {path.name: path.stat().st_mtime_ns for path in (out / "cells").iterdir()}

    changed = list(argv)
    changed[changed.index("--eval-episodes") + 1] = "2"
    refused = run_benchmark(changed)
    assert refused.returncode != 0 and "other settings" in refused.stderr
