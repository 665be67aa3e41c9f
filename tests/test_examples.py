"""examples/record_video.py: every kind of policy records a video; bad input is named.
examples/question_benchmark.py: a small Table 1 run writes its JSON and figures."""

import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
from stable_baselines3 import PPO

import causal_gym  # noqa: F401  (registers the scenes)

ROOT = Path(__file__).resolve().parents[1]


def record(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / "record_video.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_a_scripted_policy_records_a_video(tmp_path) -> None:
    done = record(
        "--env",
        "CausalWorld-Seesaw-v0",
        "--policy",
        "constant",
        "--action",
        "0.2",
        "--out",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert len(list(tmp_path.glob("CausalWorld-Seesaw-v0-constant-seed0-episode-0.mp4"))) == 1


def test_a_saved_sb3_agent_records_a_video(tmp_path) -> None:
    env = gym.make("CausalWorld-Shuffle-v0")
    PPO("MlpPolicy", env, n_steps=32, batch_size=32, seed=0).learn(32).save(tmp_path / "ppo")
    done = record(
        "--env",
        "CausalWorld-Shuffle-v0",
        "--policy",
        "sb3",
        "--algo",
        "ppo",
        "--model",
        str(tmp_path / "ppo.zip"),
        "--out",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert len(list(tmp_path.glob("*-sb3-seed0-episode-0.mp4"))) == 1


def test_bad_policy_input_is_named(tmp_path) -> None:
    done = record("--env", "CausalWorld-Ramp-v0", "--policy", "constant", "--action", "0.2")
    assert done.returncode != 0 and "--action needs 2 numbers in [-1, 1]" in done.stderr
    foreign = tmp_path / "model.zip"
    foreign.write_bytes(b"not a zip")
    done = record(
        "--env", "CausalWorld-Ramp-v0", "--policy", "sb3", "--algo", "ppo", "--model", str(foreign)
    )
    assert done.returncode != 0 and "not a Stable-Baselines3 PPO agent" in done.stderr


COLUMNS = ("prediction_5shot", "prediction_1shot", "intervention", "counterfactual")


def table1(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / "question_benchmark.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_a_small_table1_run_writes_per_seed_results(tmp_path) -> None:
    done = table1(
        *("--seeds", "2", "--workers", "2", "--train-tasks", "3", "--test-tasks", "2"),
        *("--iterations", "2", "--regimes", "observational", "--results", str(tmp_path)),
        *("--inputs", "state", "pixels", "--reader-steps", "5", "--reader-tasks", "1"),
        *("--frames", "2"),
    )
    assert done.returncode == 0, done.stderr
    assert "| CSML |" in done.stdout and "| MLP |" in done.stdout
    report = json.loads((tmp_path / "table1.json").read_text())
    assert set(report["results"]) == {"state", "pixels"}
    for inputs in ("state", "pixels"):
        models = report["results"][inputs]["observational"]
        assert set(models) == {"CSML", "NSL", "MAML", "ProtoNets", "MLP"}
        for per_seed in models.values():
            for column in COLUMNS:
                assert len(per_seed[column]) == 2 and all(0 <= v <= 1 for v in per_seed[column])
        assert models["NSL"]["property_graph_shd"] == [0, 0]  # every property reaches the outcome
    assert len(report["reader_r2"]) == 2 and len(report["reader_r2"][0]) == 4  # seeds x states
    assert report["frames"] == 2  # the reader read each episode's motion image too
    assert report["reader_tasks"] == 1  # and one more train-split task's images
    assert "pixels inputs, observational training" in done.stdout
    assert (tmp_path / "figure3.png").stat().st_size > 0
    assert (tmp_path / "figure4.png").stat().st_size > 0


def test_table1_runs_the_models_it_is_given(tmp_path) -> None:
    (tmp_path / "figure4.png").write_bytes(b"an earlier run's figure")
    done = table1(
        *("--seeds", "1", "--workers", "1", "--train-tasks", "3", "--test-tasks", "2"),
        *("--iterations", "2", "--regimes", "interventional", "--results", str(tmp_path)),
        *("--inputs", "state", "--models", "MLP", "ProtoNets"),
    )
    assert done.returncode == 0, done.stderr
    assert "| MLP |" in done.stdout and "| CSML |" not in done.stdout
    report = json.loads((tmp_path / "table1.json").read_text())
    assert report["models"] == ["MLP", "ProtoNets"]
    assert list(report["results"]["state"]["interventional"]) == ["MLP", "ProtoNets"]
    # Figure 4 draws CSML's graph: without CSML, Figure 3 only.
    assert (tmp_path / "figure3.png").exists() and not (tmp_path / "figure4.png").exists()
