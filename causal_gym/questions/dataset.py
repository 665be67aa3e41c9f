"""Generate, save and load CausalWorld question datasets.

A dataset holds ``tasks`` tasks of one scene and task split. Each task is one draw of the
hidden properties and has

- a support set: ``shots`` observational episodes (initial state, 64x64 image, the constant
  action, the observed states every ``TRAJECTORY_STRIDE`` steps, and the answer class);
- ``queries`` questions of each kind:
  ``prediction`` (an observational episode: what happens?), ``intervention`` (the same kind of
  initial scene, then ``do(X = x)`` on a hidden property at the start: what happens?) and
  ``counterfactual`` (an episode and its observed factual answer: what would have happened in
  the same episode, same noise, under ``do(X = x)``?).

Answers are computed by the simulator: ``env.unwrapped.counterfactual`` from the episode's
start. An intervention sets a hidden property to a value drawn uniformly from its valid range
(or the narrower range its scene's design names).
Each question of a kind is drawn until its answer is a given class (cycling through the
three), so every class holds about a third of every kind (draws that do not suit one question
are kept for the task's later ones); for intervention and counterfactual
questions the factual answer cycles too, independently of the answer, so that answering as if
nothing had changed scores at chance. The manifest records the balance.

With images, every episode also has a ``motion_image``: the same picture with each moving
body carried on by its initial velocity for ``MOTION_SECONDS`` (``env.motion_frame``; no force
acts in it), so that two frames show the initial speeds a still frame hides (Tilt's sled) and
nothing that a hidden property decides. Where nothing moves at the start it equals the image.

Everything is deterministic in (scene, split, seed, task index), whatever the number of worker
processes. Files: ``questions.npz`` (numpy arrays, no pickle) and ``manifest.json`` (what the
arrays are, the generator version, seeds, balance and the npz file's SHA-256), both written
atomically.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from causal_gym import SCENES, tasks
from causal_gym.files import atomic_write
from causal_gym.questions.designs import CLASSES, DESIGNS, SceneQuestions, draw_config

GENERATOR_VERSION = "4"  # 3: motion images; 4: Ramp's block properties are constants
KINDS = ("prediction", "intervention", "counterfactual")
IMAGE_SIZE = (64, 64)
TRAJECTORY_STRIDE = 5
MOTION_SECONDS = 0.75  # s: Tilt's fastest sled stays in view; 0.6 m/s of speed spans 7 pixels
DEFAULT_TASKS = 40  # per scene and split: the default benchmark generates in < 5 min on 2 cores
DEFAULT_SPLITS = ("train", "test")
MAX_DRAWS = 60  # new episodes per question to meet its classes; then the answer class decides
_SPLIT_STREAMS = {"train": 0, "test": 1, "ood": 2, "surface": 3}


@dataclass
class QuestionSet:
    """A question dataset in memory: named arrays and the manifest describing them."""

    arrays: dict[str, np.ndarray]
    manifest: dict[str, Any]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]


# ----- generation ------------------------------------------------------------------------------

_worker_envs: dict[str, gym.Env] = {}


def _env(scene: str, images: bool) -> gym.Env:
    key = f"{scene}:{images}"
    if key not in _worker_envs:
        mode = "dict" if images else "state"
        _worker_envs[key] = gym.make(scene, obs_mode=mode, image_size=IMAGE_SIZE).unwrapped
    return _worker_envs[key]


def _final_values(trajectory: Any) -> dict[str, float]:
    return dict(zip(trajectory.variables, trajectory.values[-1].tolist(), strict=True))


def _suits(candidate: Mapping[str, Any], wanted: int, wanted_factual: int | None) -> bool:
    """Whether a drawn question has the wanted answer (and factual answer, unless None)."""
    return candidate["answer"] == wanted and wanted_factual in (None, candidate["factual_answer"])


def _make_task(job: tuple[str, str, int, int, int, int, bool]) -> dict[str, np.ndarray]:
    """All arrays of one task (leading axis 1), from its own seed."""
    scene, split, seed, task_index, shots, queries, images = job
    design = DESIGNS[scene]
    env = _env(scene, images)
    cls = type(env)
    ranges = cls.property_ranges[tasks.task(split).ranges]
    rng = np.random.default_rng([seed, _SPLIT_STREAMS[split], task_index])
    task_seed = int(rng.integers(2**31))
    env.reset(seed=task_seed, options={"task": split})
    properties = dict(env.properties)

    def play(config: Mapping[str, float]) -> tuple[int, Any, Any, np.ndarray]:
        """Start an episode of this task; returns its seed, first observation, the factual
        trajectory and the actions."""
        episode_seed = int(rng.integers(2**31))
        interventions = {**properties, **design.reset_interventions(config)}
        obs, _ = env.reset(
            seed=episode_seed, options={"task": split, "interventions": interventions}
        )
        actions = np.tile(np.asarray(design.action(config)), (design.horizon, 1))
        return episode_seed, obs, env.counterfactual(actions), actions

    def observed(obs: Any) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """The state, image and motion image of the episode just started."""
        if images:
            return obs["state"], obs["pixels"], env.motion_frame(MOTION_SECONDS)
        return obs, None, None

    out: dict[str, list[Any]] = {}

    def add(name: str, value: Any) -> None:
        out.setdefault(name, []).append(value)

    for _ in range(shots):
        config = draw_config(design, rng, properties, ranges, biased=True)
        episode_seed, obs, factual, actions = play(config)
        state, image, motion = observed(obs)
        rows = factual.values[::TRAJECTORY_STRIDE][
            :, [factual.variables.index(n) for n in cls.state_variables]
        ]
        length = design.horizon // TRAJECTORY_STRIDE + 1
        rows = np.concatenate([rows, np.repeat(rows[-1:], length - len(rows), axis=0)])
        add("support_seed", episode_seed)
        add("support_config", [config[n] for n in design.config])
        add("support_state", state)
        add("support_action", actions[0])
        add("support_trajectory", rows)
        add("support_answer", design.answer(_final_values(factual)))
        if images:
            add("support_image", image)
            add("support_motion_image", motion)

    def draw(kind: str) -> dict[str, Any]:
        """A new episode for a question of ``kind``, with its factual and changed answers."""
        config = draw_config(design, rng, properties, ranges, biased=True)
        episode_seed, obs, factual, actions = play(config)
        final = _final_values(factual)
        candidate = {
            "config": config,
            "seed": episode_seed,
            "observed": observed(obs),  # now: the env moves on to other episodes
            "factual": final,
            "factual_answer": design.answer(final),
            "answer": design.answer(final),
            "target": "",
            "value": np.nan,
            "action": actions[0],
        }
        if kind != "prediction":
            options = design.interventions(config)
            target = options[int(rng.integers(len(options)))]
            value = float(rng.uniform(*design.intervention_range(target)))
            changed = env.counterfactual(actions, interventions={target: value})
            candidate.update(
                target=target, value=value, answer=design.answer(_final_values(changed))
            )
        return candidate

    # Draws that did not suit the question they were made for wait here for the task's later
    # questions; intervention and counterfactual questions are drawn alike, so they share one.
    # A class pair that MAX_DRAWS draws did not meet gets one more draw at most in this task.
    pools: dict[str, list[dict[str, Any]]] = {"prediction": [], "changed": []}
    unmet: dict[str, set[tuple[int, int | None]]] = {"prediction": set(), "changed": set()}
    for kind in KINDS:
        family = "prediction" if kind == "prediction" else "changed"
        pool = pools[family]
        for j in range(queries):
            # The answer cycles through the classes; for a changed episode so does the factual
            # answer, independently (9 pairs), so "nothing changes" scores at chance.
            turn = task_index * queries + j
            wanted = turn % len(CLASSES)
            wanted_factual = None if kind == "prediction" else (turn // len(CLASSES)) % len(CLASSES)
            chosen = next((c for c in pool if _suits(c, wanted, wanted_factual)), None)
            draws = 0
            limit = 1 if (wanted, wanted_factual) in unmet[family] else MAX_DRAWS
            while chosen is None and draws < limit:
                candidate = draw(kind)
                draws += 1
                if _suits(candidate, wanted, wanted_factual):
                    chosen = candidate
                else:
                    pool.append(candidate)
            if chosen is None:
                # No draw met both classes: the answer's class comes first.
                unmet[family].add((wanted, wanted_factual))
                chosen = next((c for c in pool if _suits(c, wanted, None)), pool[-1])
            pool[:] = [c for c in pool if c is not chosen]
            state, image, motion = chosen["observed"]
            add(f"{kind}_seed", chosen["seed"])
            add(f"{kind}_config", [chosen["config"][n] for n in design.config])
            add(f"{kind}_state", state)
            add(f"{kind}_action", chosen["action"])
            add(f"{kind}_answer", chosen["answer"])
            add(f"{kind}_draws", draws)
            if images:
                add(f"{kind}_image", image)
                add(f"{kind}_motion_image", motion)
            if kind != "prediction":
                add(f"{kind}_target", cls.property_variables.index(chosen["target"]))
                add(f"{kind}_value", chosen["value"])
            if kind == "counterfactual":
                add("counterfactual_factual_answer", chosen["factual_answer"])
                add(
                    "counterfactual_factual_final_state",
                    [chosen["factual"][n] for n in cls.state_variables],
                )
    arrays = {name: np.asarray(values)[None] for name, values in out.items()}
    arrays["task_seed"] = np.array([task_seed])
    arrays["properties"] = np.array([[properties[n] for n in cls.property_variables]])
    return arrays


_DTYPES = {
    "answer": np.int8,
    "image": np.uint8,
    "state": np.float32,
    "action": np.float32,
    "trajectory": np.float32,
    "target": np.int16,
    "draws": np.int16,
}


def _dtype(name: str) -> Any:
    for suffix, dtype in _DTYPES.items():
        if name.endswith(suffix):
            return dtype
    return None


def generate(
    scene: str,
    split: str = "train",
    seed: int = 0,
    tasks_count: int = DEFAULT_TASKS,
    shots: int = 5,
    queries: int = 3,
    images: bool = True,
    workers: int | None = None,
) -> QuestionSet:
    """Generate a dataset; ``workers`` processes (default: every core)."""
    if scene not in DESIGNS:
        raise ValueError(f"scene must be one of {sorted(DESIGNS)}, got {scene!r}")
    tasks.task(split)
    for label, value, least in (
        ("tasks_count", tasks_count, 1),
        ("shots", shots, 0),
        ("queries", queries, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{label} must be an int >= {least}, got {value!r}")
    jobs = [(scene, split, seed, i, shots, queries, images) for i in range(tasks_count)]
    workers = (os.cpu_count() or 1) if workers is None else max(1, workers)
    if workers > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            parts = pool.map(_make_task, jobs, chunksize=max(1, tasks_count // (4 * workers)))
    else:
        parts = [_make_task(job) for job in jobs]
    arrays = {}
    for name in parts[0]:
        joined = np.concatenate([part[name] for part in parts])
        dtype = _dtype(name)
        arrays[name] = joined.astype(dtype) if dtype is not None else joined
    return QuestionSet(
        arrays, _manifest(DESIGNS[scene], split, seed, tasks_count, shots, queries, images, arrays)
    )


def _manifest(
    design: SceneQuestions,
    split: str,
    seed: int,
    tasks_count: int,
    shots: int,
    queries: int,
    images: bool,
    arrays: Mapping[str, np.ndarray],
) -> dict[str, Any]:
    cls = SCENES[design.scene]
    balance = {
        kind: {
            label: float(np.mean(arrays[f"{kind}_answer"] == index))
            for index, label in enumerate(CLASSES)
        }
        for kind in KINDS
    }
    return {
        "format": "causal-gym questions",
        "generator_version": GENERATOR_VERSION,
        "scene": design.scene,
        "split": split,
        "seed": seed,
        "tasks": tasks_count,
        "shots": shots,
        "queries_per_kind": queries,
        "images": images,
        "image_size": list(IMAGE_SIZE),
        "motion_seconds": MOTION_SECONDS if images else None,
        "horizon": design.horizon,
        "trajectory_stride": TRAJECTORY_STRIDE,
        "kinds": list(KINDS),
        "classes": list(CLASSES),
        "outcome": design.outcome,
        "band": design.band,
        "proxy": design.proxy,
        "config_variables": list(design.config),
        "state_variables": list(cls.state_variables),
        "action_variables": list(cls.action_variables),
        "property_variables": list(cls.property_variables),
        "balance": balance,
        "mean_draws": {kind: float(arrays[f"{kind}_draws"].mean()) for kind in KINDS},
        "arrays": {
            name: {"shape": list(array.shape), "dtype": str(array.dtype)}
            for name, array in sorted(arrays.items())
        },
    }


# ----- files -----------------------------------------------------------------------------------


def save(dataset: QuestionSet, folder: str | Path) -> Path:
    """Write ``questions.npz`` and ``manifest.json`` into ``folder``; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as buffer:
        np.savez_compressed(buffer, **dataset.arrays)
        buffer.seek(0)
        data = buffer.read()
    manifest = {**dataset.manifest, "sha256": hashlib.sha256(data).hexdigest()}
    atomic_write(folder / "questions.npz", data)
    atomic_write(folder / "manifest.json", json.dumps(manifest, indent=1).encode())
    dataset.manifest = manifest
    return folder


def load(folder: str | Path) -> QuestionSet:
    """Read a dataset written by ``save``; a missing, truncated or foreign file raises a
    ``ValueError`` naming it and what is wrong. Nothing is unpickled."""
    folder = Path(folder)
    manifest_path, arrays_path = folder / "manifest.json", folder / "questions.npz"
    for path in (manifest_path, arrays_path):
        if not path.is_file():
            raise ValueError(
                f"{path}: missing; a dataset folder holds manifest.json and questions.npz"
            )
    try:
        manifest = json.loads(manifest_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{manifest_path}: not a JSON manifest ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "causal-gym questions":
        raise ValueError(f"{manifest_path}: not a causal-gym questions manifest")
    if manifest.get("generator_version") != GENERATOR_VERSION:
        raise ValueError(
            f"{manifest_path}: generator version {manifest.get('generator_version')!r}; this "
            f"causal-gym reads version {GENERATOR_VERSION!r}: regenerate the dataset"
        )
    data = arrays_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != manifest.get("sha256"):
        raise ValueError(
            f"{arrays_path}: contents do not match the manifest's SHA-256 (truncated or changed)"
        )
    with np.load(arrays_path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    for name, spec in manifest["arrays"].items():
        array = arrays.get(name)
        if array is None or list(array.shape) != spec["shape"] or str(array.dtype) != spec["dtype"]:
            raise ValueError(f"{arrays_path}: array {name!r} is missing or not {spec}")
    return QuestionSet(arrays, manifest)
