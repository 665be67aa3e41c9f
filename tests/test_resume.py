"""Training checkpoints: a SIGKILLed train_agent.py run resumes to what the uninterrupted run
gives; SB3 state round-trips without pickle; bad checkpoint files are named."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

import causal_gym  # noqa: F401  (registers the scenes)
from agents import checkpoints
from agents.baselines import make_agent
from agents.evaluation import EpisodeLog

ROOT = Path(__file__).resolve().parents[1]
RUN = "csml-CausalWorld-Ramp-v0-seed0"


def train(logdir: Path, *extra: str) -> subprocess.Popen:
    command = [
        sys.executable,
        str(ROOT / "examples" / "train_agent.py"),
        *("--timesteps", "600", "--checkpoint-every", "150", "--eval-episodes", "1"),
        *("--no-video", "--no-progress", "--logdir", str(logdir), *extra),
    ]
    # Two runs share the cores: one torch thread each, or their thread pools contend (this test
    # took 39-160 s on 2 cores that way, 10 s with one thread each).
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_a_killed_training_run_resumes_to_the_uninterrupted_result(tmp_path) -> None:
    whole = train(tmp_path / "whole")
    killed = train(tmp_path / "killed")
    manifest_path = tmp_path / "killed" / RUN / "checkpoint" / "manifest.json"
    log_path = tmp_path / "killed" / RUN / "episodes.csv"
    deadline = time.monotonic() + 240
    # Kill once the log has rows the checkpoint lacks: the resumed run must drop them.
    while not logged_past_checkpoint(manifest_path, log_path) and time.monotonic() < deadline:
        assert killed.poll() is None, "the run ended before it could be killed"
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGKILL
    at_kill = json.loads(manifest_path.read_text())["num_timesteps"]
    assert 150 <= at_kill < 600

    refused = finish_refused(train(tmp_path / "killed"))
    assert f"unfinished run ({at_kill} of 600 steps)" in refused and "--resume" in refused
    resumed = finish(train(tmp_path / "killed", "--resume"))
    assert f"from its checkpoint at {at_kill} env steps" in resumed.stdout
    finish(whole)

    # Same episodes, once each, and bit-identical weights: the crash left no trace.
    whole_log = (tmp_path / "whole" / RUN / "episodes.csv").read_text()
    assert (tmp_path / "killed" / RUN / "episodes.csv").read_text() == whole_log
    rows = [line.split(",") for line in whole_log.splitlines()[1:]]
    assert len(rows) > 5 and [float(r[0]) for r in rows] == sorted({float(r[0]) for r in rows})
    reports = [
        json.loads((tmp_path / name / RUN / "evaluation.json").read_text())
        for name in ("whole", "killed")
    ]
    assert reports[0]["env_steps"] == reports[1]["env_steps"] == 600
    assert reports[1]["resumed_from"] == at_kill
    weights = [
        torch.load(tmp_path / name / RUN / "agent.pt", weights_only=True)["model"]
        for name in ("whole", "killed")
    ]
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0])


def logged_past_checkpoint(manifest_path: Path, log_path: Path) -> bool:
    if not manifest_path.exists():
        return False
    rows = len(log_path.read_text().splitlines()) - 1
    return rows > len(json.loads(manifest_path.read_text())["episodes"])


def finish_refused(process: subprocess.Popen) -> str:
    _, stderr = process.communicate(timeout=120)
    assert process.returncode != 0
    return stderr


def test_sac_state_and_replay_buffer_round_trip_and_training_continues(tmp_path) -> None:
    env = EpisodeLog(gym.make("CausalWorld-Ramp-v0"))
    agent = make_agent("sac", env, seed=3, learning_starts=50)
    agent.learn(160)
    manifest = checkpoints.save(tmp_path, "sac", agent, note="kept")
    assert manifest["files"] == ["agent-160.pt", "replay-160.npz"]
    assert checkpoints.read_manifest(tmp_path)["note"] == "kept"
    assert "torch" in manifest["versions"] and "stable-baselines3" in manifest["versions"]

    restored = checkpoints.load(tmp_path, manifest, env, seed=3, learning_starts=50)
    policy, restored_policy = agent.policy.state_dict(), restored.policy.state_dict()
    assert all(torch.equal(policy[k], restored_policy[k]) for k in policy)
    assert torch.equal(agent.log_ent_coef, restored.log_ent_coef)
    stored = agent.replay_buffer.pos
    assert stored == restored.replay_buffer.pos == 160
    for field in ("observations", "actions", "rewards", "dones"):
        assert np.array_equal(
            getattr(agent.replay_buffer, field)[:stored],
            getattr(restored.replay_buffer, field)[:stored],
        )
    restored.learn(40, reset_num_timesteps=False)
    assert restored.num_timesteps == 200

    checkpoints.save(tmp_path, "sac", restored)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "agent-200.pt",
        "manifest.json",
        "replay-200.npz",
    ]  # the older checkpoint's files are gone


def test_bad_checkpoint_files_are_named(tmp_path) -> None:
    env = gym.make("CausalWorld-Ramp-v0")
    agent = make_agent("ppo", env, seed=0, n_steps=64, batch_size=32)
    manifest = checkpoints.save(tmp_path, "ppo", agent)
    state = tmp_path / manifest["files"][0]

    data = state.read_bytes()
    state.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"agent-0\.pt is not a readable SB3 training state"):
        checkpoints.load(tmp_path, manifest, env, seed=0, n_steps=64, batch_size=32)
    torch.save({"weights": torch.zeros(3)}, state)
    with pytest.raises(ValueError, match=r"agent-0\.pt is not an SB3 training state"):
        checkpoints.load(tmp_path, manifest, env, seed=0, n_steps=64, batch_size=32)
    state.write_bytes(data)
    with pytest.raises(ValueError, match=r"agent-0\.pt holds a PPO agent, not a SAC"):
        checkpoints.load(tmp_path, {**manifest, "agent": "sac"}, env, seed=0)

    manifest_path = tmp_path / "manifest.json"
    text = manifest_path.read_text()
    manifest_path.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match=r"manifest\.json: not a JSON checkpoint manifest"):
        checkpoints.read_manifest(tmp_path)
    manifest_path.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match=r"manifest\.json: not a causal-gym training checkpoint"):
        checkpoints.read_manifest(tmp_path)
    manifest_path.write_text(text)
    os.remove(state)
    with pytest.raises(ValueError, match=r"names agent-0\.pt, which is missing"):
        checkpoints.read_manifest(tmp_path)
    assert checkpoints.read_manifest(tmp_path / "nowhere") is None


def test_a_truncated_replay_buffer_is_named(tmp_path) -> None:
    env = gym.make("CausalWorld-Ramp-v0")
    agent = make_agent("sac", env, seed=0, learning_starts=10)
    agent.learn(20)
    manifest = checkpoints.save(tmp_path, "sac", agent)
    replay = tmp_path / manifest["files"][1]
    replay.write_bytes(replay.read_bytes()[:200])
    with pytest.raises(ValueError, match=r"replay-20\.npz is not a readable replay buffer"):
        checkpoints.load(tmp_path, manifest, env, seed=0, learning_starts=10)
