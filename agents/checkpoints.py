"""Training checkpoints that a killed run resumes from, for every agent, without pickle.

A checkpoint is a folder: the agent's state file(s), named by the env step they were taken at,
and ``manifest.json``, written last and atomically, which names those files and holds the
library versions, the run's settings and whatever the caller adds (its episode log rows). A
reader therefore sees either the previous checkpoint or the new one, never half of one; the
files of older checkpoints are removed once the new manifest is in place.

What is saved, by agent:

- ``csml``: ``CSMLAgent.save(..., training_state=True)``: weights, optimizer, stored
  episodes, credit proposals and random generators; taken at the end of an episode, a
  resumed run goes on exactly as the uninterrupted one would have.
- ``ppo`` / ``sac``: every state dict SB3 itself saves (policy, optimizers, SAC's entropy
  coefficient), the step and update counters, and SAC's replay buffer as an ``.npz`` of plain
  arrays. Taken when a rollout starts (after the previous update); the env episode in progress
  is not saved, so the resumed run starts a fresh episode there: it reaches the same step count
  but does not replay the uninterrupted run step for step.
- ``random``: the step count.

Loading uses ``torch.load(..., weights_only=True)`` and ``numpy.load(allow_pickle=False)``; a
missing, truncated or foreign file raises a ``ValueError`` naming it and what is wrong.
"""

from __future__ import annotations

import io
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from agents.baselines import RandomAgent, make_agent
from agents.csml_agent import CSMLAgent
from causal_gym.files import atomic_write, write_json

FORMAT = "causal-gym training checkpoint 1"
MANIFEST = "manifest.json"
_SB3_FORMAT = "causal-gym SB3 state 1"
_BUFFER_FIELDS = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")
_PACKAGES = ("causal-gym", "gymnasium", "pymunk", "numpy", "torch", "stable-baselines3")


def versions() -> dict[str, str]:
    """Python's and the relevant packages' versions, for a checkpoint's manifest."""
    found = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def save(folder: str | Path, agent_name: str, agent: Any, **extra: Any) -> dict[str, Any]:
    """Write a checkpoint of ``agent`` (``agent_name`` as in ``make_agent``, or ``"csml"``)
    into ``folder``; ``extra`` goes into the manifest (it must be JSON). Returns the manifest."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    step = int(agent.num_timesteps)
    files = _save_agent(folder, agent_name, agent, step)
    manifest = {
        "format": FORMAT,
        "agent": agent_name,
        "num_timesteps": step,
        "files": files,
        "versions": versions(),
        **extra,
    }
    write_json(folder / MANIFEST, manifest)
    for path in folder.iterdir():
        if path.name != MANIFEST and path.name not in files and not path.name.startswith("."):
            path.unlink()
    return manifest


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of the checkpoint in ``folder``, or ``None`` when there is none."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a JSON checkpoint manifest ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{path}: not a causal-gym training checkpoint (no {FORMAT!r} tag)")
    for name in manifest.get("files", []):
        if not (path.parent / name).is_file():
            raise ValueError(f"{path}: names {name}, which is missing from {path.parent}")
    return manifest


def load(folder: str | Path, manifest: dict[str, Any], env: gym.Env, **settings: Any) -> Any:
    """The agent of the checkpoint in ``folder`` (``manifest`` from ``read_manifest``), on
    ``env``; ``settings`` are the keywords the run passes to ``make_agent`` (SB3 agents)."""
    folder = Path(folder)
    name = manifest["agent"]
    if name == "csml":
        return CSMLAgent.load(folder / manifest["files"][0], env)
    if name == "random":
        agent = make_agent("random", env, **settings)
        agent.num_timesteps = int(manifest["num_timesteps"])
        return agent
    agent = make_agent(name, env, **settings)
    _restore_sb3(agent, folder, manifest["files"])
    return agent


# ----- per agent ---------------------------------------------------------------------------


def _save_agent(folder: Path, name: str, agent: Any, step: int) -> list[str]:
    if name == "csml":
        if not isinstance(agent, CSMLAgent):
            raise ValueError(f"agent 'csml' must be a CSMLAgent, got {type(agent).__name__}")
        agent.save(folder / f"agent-{step}.pt", training_state=True)
        return [f"agent-{step}.pt"]
    if name == "random":
        if not isinstance(agent, RandomAgent):
            raise ValueError(f"agent 'random' must be a RandomAgent, got {type(agent).__name__}")
        return []
    _, variable_names = agent._get_torch_save_params()
    payload = {
        "format": _SB3_FORMAT,
        "algorithm": type(agent).__name__,
        "parameters": agent.get_parameters(),
        "variables": {n: _attribute(agent, n).detach().clone() for n in variable_names},
        "num_timesteps": agent.num_timesteps,
        "n_updates": agent._n_updates,
        "episode_num": agent._episode_num,
        "torch_rng": torch.get_rng_state(),
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    files = [f"agent-{step}.pt"]
    atomic_write(folder / files[0], buffer.getvalue())
    replay = getattr(agent, "replay_buffer", None)
    if replay is not None:
        stored = replay.buffer_size if replay.full else replay.pos
        arrays = {field: getattr(replay, field)[:stored] for field in _BUFFER_FIELDS}
        arrays["position"] = np.array([replay.pos, int(replay.full)])
        data = io.BytesIO()
        np.savez(data, **arrays)
        files.append(f"replay-{step}.npz")
        atomic_write(folder / files[1], data.getvalue())
    return files


def _restore_sb3(agent: Any, folder: Path, files: list[str]) -> None:
    path = folder / files[0]
    try:
        payload = torch.load(path, weights_only=True)
    except Exception as error:  # truncated files raise several kinds of error
        raise ValueError(f"{path} is not a readable SB3 training state: {error}") from error
    expected = type(agent).__name__
    if not isinstance(payload, dict) or payload.get("format") != _SB3_FORMAT:
        raise ValueError(f"{path} is not an SB3 training state (no {_SB3_FORMAT!r} tag)")
    if payload["algorithm"] != expected:
        raise ValueError(f"{path} holds a {payload['algorithm']} agent, not a {expected}")
    try:
        agent.set_parameters(payload["parameters"], exact_match=True)
    except (RuntimeError, ValueError, KeyError) as error:
        raise ValueError(f"{path} does not fit this env's {expected}: {error}") from error
    for name, value in payload["variables"].items():
        _attribute(agent, name).data.copy_(value)
    agent.num_timesteps = int(payload["num_timesteps"])
    agent._n_updates = int(payload["n_updates"])
    agent._episode_num = int(payload["episode_num"])
    torch.set_rng_state(payload["torch_rng"])
    if len(files) > 1:
        _restore_replay(agent.replay_buffer, folder / files[1])


def _restore_replay(replay: Any, path: Path) -> None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except Exception as error:  # a truncated zip raises several kinds of error
        raise ValueError(f"{path} is not a readable replay buffer: {error}") from error
    missing = [f for f in (*_BUFFER_FIELDS, "position") if f not in arrays]
    if missing:
        raise ValueError(f"{path} is not a replay buffer: arrays {missing} are missing")
    count = len(arrays["observations"])
    for field in _BUFFER_FIELDS:
        target = getattr(replay, field)
        if count > len(target) or arrays[field].shape[1:] != target.shape[1:]:
            raise ValueError(
                f"{path}: {field} has shape {arrays[field].shape}, this agent's buffer "
                f"{target.shape}"
            )
        target[:count] = arrays[field]
    replay.pos, replay.full = int(arrays["position"][0]), bool(arrays["position"][1])


def _attribute(agent: Any, dotted: str) -> Any:
    value = agent
    for part in dotted.split("."):
        value = getattr(value, part)
    return value
