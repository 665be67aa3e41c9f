"""examples/benchmark.py: the aggregation maths, and a tiny run end to end (with its resume)."""

from __future__ import annotations

import csv
import importlib.util
import json
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from agents.csml_agent import CSMLAgentConfig

pytest.importorskip("rliable")
ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


benchmark = load_script("benchmark", ROOT / "examples" / "benchmark.py")
steps_to_80 = load_script("steps_to_80", ROOT / "benchmarks" / "steps_to_80.py")


def test_iqm_is_the_quartile_trimmed_mean_inside_its_interval():
    point, low, high = benchmark.iqm_interval(np.array([0.0, 0.2, 0.4, 0.6, 1.0]))
    assert point == pytest.approx(0.4)  # 5 seeds: the lowest and highest are trimmed
    assert 0.0 <= low <= point <= high <= 1.0 and high > low
    assert benchmark.iqm_interval(np.full(5, 0.3)) == pytest.approx((0.3, 0.3, 0.3))


def test_steps_to_target_is_the_first_checkpoint_at_80_percent():
    assert benchmark.steps_to_target([(100, 0.5), (200, 0.8), (300, 0.7)]) == 200
    assert benchmark.steps_to_target([(100, 0.5), (200, 0.79)]) is None


def fake_runs(env: str, agent: str, crossings: list[int | None], budget: int) -> list[dict]:
    """Runs as rl_benchmark.json lists them, one per seed, evaluated every budget / 4 steps."""
    return [
        {
            "agent": agent,
            "env": env,
            "split": "test",
            "seed": seed,
            "curve": [{"env_steps": budget * k // 4, "success_rate": 0.5} for k in range(1, 5)],
            "steps_to_80": crossing,
        }
        for seed, crossing in enumerate(crossings)
    ]


def test_steps_to_80_counts_a_seed_that_never_got_there_as_beyond_the_budget():
    summary = steps_to_80.summarise(
        [{**run, "source": "x"} for run in fake_runs("E", "a", [5, None, 3, 10, None], 20)]
    )
    assert summary["median"] == 10  # sorted 3, 5, 10, >20, >20
    assert summary["iqm"] is None  # the middle three hold a miss
    assert (summary["budget"], summary["eval_every"]) == (20, 5)
    three_misses = [{**r, "source": "x"} for r in fake_runs("E", "a", [None] * 3 + [1, 2], 20)]
    assert steps_to_80.summarise(three_misses)["median"] is None
    one_miss = [{**r, "source": "x"} for r in fake_runs("E", "a", [None, 1, 20, 2], 20)]
    assert steps_to_80.summarise(one_miss)["median"] == steps_to_80.summarise(one_miss)["iqm"] == 11


def test_steps_to_80_ratio_uses_the_best_baseline_and_says_when_it_is_a_bound(tmp_path):
    first = {
        "runs": fake_runs("S", "csml", [None] * 5, 20_000)
        + fake_runs("S", "ppo", [None] * 5, 20_000)
    }
    later = {
        "runs": fake_runs("S", "csml", [4_000, 5_000, 5_000, 6_000, 8_000], 10_000)
        + fake_runs("S", "sac", [None, 20_000, 20_000, 20_000, 15_000], 20_000)
    }
    paths = [tmp_path / "first.json", tmp_path / "later.json"]
    for path, data in zip(paths, (first, later)):
        path.write_text(json.dumps(data))
    out = tmp_path / "steps.json"
    steps_to_80.main([*map(str, paths), "--out", str(out)])
    (scene,) = json.loads(out.read_text())["scenes"]
    assert scene["agents"]["csml"]["source"] == str(paths[1])  # the later file replaces
    assert scene["agents"]["ppo"]["median"] is None
    # PPO's bound (> 20k) and SAC's exact 20k give the same 4x; the exact one is reported.
    assert scene["ratio"]["median"] == {"value": 4.0, "at_least": False}
    with pytest.raises(SystemExit):
        steps_to_80.main([str(tmp_path / "missing.json")])
    assert steps_to_80.ratio({"median": None}, {"median": 1, "budget": 1}, "median") == {
        "value": None,
        "at_least": False,
    }
    csml = {"median": 5_000}
    assert steps_to_80.ratio(csml, {"median": None, "budget": 500_000}, "median") == {
        "value": 100.0,
        "at_least": True,
    }


def test_csml_config_is_typed_checked_and_part_of_the_cell(tmp_path) -> None:
    config = benchmark.parse_csml_config(["sparsity=0", "population=64", "elites=8"])
    assert config == (("elites", 8), ("population", 64), ("sparsity", 0.0))
    with pytest.raises(ValueError, match="KEY one of context_dim, hidden"):
        benchmark.parse_csml_config(["seed=3"])
    with pytest.raises(ValueError, match=r"population takes int values, got '6\.5'"):
        benchmark.parse_csml_config(["population=6.5"])
    with pytest.raises(ValueError, match="sparsity must be >= 0"):
        benchmark.parse_csml_config(["sparsity=-1"])

    default = benchmark.Cell("csml", "CausalWorld-Ramp-v0", 0, 300, 150, 1, ("test",))
    changed = benchmark.Cell(**{**asdict(default), "csml_config": config})
    assert default.settings()["csml_config"]["sparsity"] == CSMLAgentConfig().sparsity
    assert changed.settings()["csml_config"]["population"] == 64
    path = tmp_path / "cell.json"
    path.write_text(json.dumps(default.settings()))
    assert benchmark._load_cell(path, default) == default.settings()
    with pytest.raises(ValueError, match="other settings"):
        benchmark._load_cell(path, changed)
    # A cell written under other defaults (or before cells recorded their configuration) is
    # refused, not resumed as one of today's.
    older = default.settings()
    older["csml_config"] = {**older["csml_config"], "sparsity": 0.01}
    for written in (older, {k: v for k, v in older.items() if k != "csml_config"}):
        path.write_text(json.dumps(written))
        with pytest.raises(ValueError, match="other settings"):
            benchmark._load_cell(path, default)
    ppo = benchmark.Cell("ppo", "CausalWorld-Ramp-v0", 0, 300, 150, 1, ("test",))
    assert ppo.settings()["csml_config"] == {}


def run_benchmark(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / "benchmark.py"), *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


TINY = ["--timesteps", "300", "--eval-every", "150", "--eval-episodes", "1", "--workers", "2"]


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory) -> tuple[list[str], Path]:
    """A tiny sweep on the local backend: its arguments and output folder."""
    out = tmp_path_factory.mktemp("tiny") / "bench"
    argv = ["--agents", "csml", "ppo", "random", "--seeds", "2", *TINY, "--out", str(out)]
    first = run_benchmark(argv)
    assert first.returncode == 0, first.stderr
    return argv, out


def test_tiny_benchmark_writes_every_output_and_resumes(tiny_sweep):
    argv, out = tiny_sweep

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
    assert report["csml_settings"]["sparsity"] == CSMLAgentConfig().sparsity
    assert "| csml | 2 |" in (out / "summary.md").read_text()
    assert (out / "success_curves.png").stat().st_size > 0

    stamps = {path.name: path.stat().st_mtime_ns for path in (out / "cells").iterdir()}
    again = run_benchmark(argv)
    assert again.returncode == 0, again.stderr
    assert "6 already in" in again.stdout
    runs = json.loads((out / "runs.json").read_text())
    assert len(runs) == 2 and all("torch" in run["versions"] for run in runs)
    assert stamps == {path.name: path.stat().st_mtime_ns for path in (out / "cells").iterdir()}

    changed = list(argv)
    changed[changed.index("--eval-episodes") + 1] = "2"
    refused = run_benchmark(changed)
    assert refused.returncode != 0 and "other settings" in refused.stderr


def without_timings(cell: dict) -> dict:
    """A cell's results less what depends on the machine's speed."""
    cell = json.loads(json.dumps(cell))
    del cell["train_seconds"]
    for evaluation in cell["evaluations"]:
        for split in evaluation["splits"].values():
            del split["decision_ms_per_step"], split["slowest_decision_ms"]
    return cell


def test_ray_backend_gives_the_local_backends_results(tiny_sweep, tmp_path) -> None:
    pytest.importorskip("ray")
    _, local = tiny_sweep
    ray = tmp_path / "ray"
    argv = ["--agents", "csml", "ppo", "--seeds", "1", *TINY, "--backend", "ray", "--out", str(ray)]
    done = run_benchmark(argv)
    assert done.returncode == 0, done.stderr
    assert "2 cells ran in" in done.stdout and "(ray backend)" in done.stdout
    for name in ("csml__CausalWorld-Ramp-v0__seed0.json", "ppo__CausalWorld-Ramp-v0__seed0.json"):
        cells = [json.loads((out / "cells" / name).read_text()) for out in (local, ray)]
        assert without_timings(cells[0]) == without_timings(cells[1])


def test_a_killed_sweep_continues_its_csml_cell_from_the_checkpoint(tmp_path) -> None:
    argv = [
        "--agents", "csml", "--seeds", "1", "--timesteps", "600", "--eval-every", "150",
        "--eval-episodes", "1", "--splits", "test", "--workers", "1",
    ]  # fmt: skip
    script = [sys.executable, str(ROOT / "examples" / "benchmark.py"), *argv]
    whole = subprocess.Popen([*script, "--out", str(tmp_path / "whole")], cwd=ROOT)
    killed = subprocess.Popen([*script, "--out", str(tmp_path / "killed")], cwd=ROOT)
    cells = tmp_path / "killed" / "cells"
    partial = cells / "csml__CausalWorld-Ramp-v0__seed0.partial" / "manifest.json"
    deadline = time.monotonic() + 240
    while not partial.exists() and time.monotonic() < deadline:
        assert killed.poll() is None, "the sweep ended before its cell checkpointed"
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=60)
    assert json.loads(partial.read_text())["num_timesteps"] < 600

    resumed = run_benchmark([*argv, "--out", str(tmp_path / "killed")])
    assert resumed.returncode == 0, resumed.stderr
    assert whole.wait(timeout=300) == 0
    name = "csml__CausalWorld-Ramp-v0__seed0.json"
    continued, uninterrupted = (
        json.loads((tmp_path / run / "cells" / name).read_text()) for run in ("killed", "whole")
    )
    assert without_timings(continued) == without_timings(uninterrupted)
    assert not partial.parent.exists()  # removed once the cell is done
