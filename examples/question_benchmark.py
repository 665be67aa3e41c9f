"""The CausalWorld question benchmark: Table 1 (CSML against its baselines), or its datasets.

    python examples/question_benchmark.py [--scene CausalWorld-Seesaw-v0] [--seeds 5]
        [--workers 2] [--backend local|ray [--address ADDR]] [--train-tasks 40]
        [--test-tasks 20] [--iterations 300] [--inputs state pixels] [--reader-steps 1600]
        [--reader-tasks 120] [--frames 1|2]
        [--regimes interventional observational] [--models CSML NSL MAML ProtoNets MLP]
        [--results docs/results]
    python examples/question_benchmark.py --generate [--out data/questions] [--tasks 40]
        [--scene ID ...] [--splits train test] [--seed 0] [--no-images]

Table 1 (the default): for seed s, the benchmark's ``train`` split (seed s) to train on and its
``test`` split (seed s: other tasks of the same ranges) to score, 5 support episodes and 3
questions of each kind per task. Inputs: each episode's initial state and action (``state``), or
its 64x64 initial image and action (``pixels``: the seed's image reader, a ViT fitted to the
train split's images and those of ``--reader-tasks`` more train-split tasks (seed
``READER_SEED + s``; their images and states only, never their answers) against their states,
``world_models.perception.fit_reader``, is shared by every model; ``--frames 2``: the reader
also reads each episode's motion image, the scene with every body carried on by its initial
velocity, which shows speeds a still frame hides). Every model (CSML, NSL, MAML, ProtoNets, MLP;
``world_models.csml`` and ``world_models.baselines``) trains ``--iterations`` meta-batches of 8
tasks with seed s, for each input kind, in each regime:

- ``interventional``: the training tasks' intervention and counterfactual answers are training
  data too (the held-out tasks' are never seen: those questions are 0-shot per task);
- ``observational``: training sees support episodes and prediction questions only (the paper's
  regime; CSML still gets the training tasks' true properties, which the baselines do not).

Columns: prediction from 5 and from 1 support episode, intervention and counterfactual (from the
5 support episodes, no example of the kind in the task); mean +- std over seeds. Written to
``RESULTS/table1.json`` (``results[input kind][regime][model]``: per question kind the per-seed
accuracies; per seed the property graph's SHD for the graph models; for pixels the reader's R^2
on the test split's states, null where the split holds a state constant),
``RESULTS/figure3.png`` (prediction accuracy against support episodes) and
``RESULTS/figure4.png`` (CSML's learned graph of seed 0 beside the true one, from the first
input kind). Each (seed, input kind) runs in one of ``--workers`` processes of one torch thread,
or as a Ray task with ``--backend ray`` (a private Ray instance of ``--workers`` CPUs, or the
cluster at ``--address``). ``--models`` runs some of the models only.

``--generate`` writes one dataset per scene and split, ``OUT/<scene>/<split>/`` with
``questions.npz`` and ``manifest.json`` (see ``causal_gym.questions``), using every core, and
prints each one's class balance; the defaults are the default benchmark (every scene, splits
``train`` and ``test``, 40 tasks each).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import networkx as nx
import numpy as np
import torch

import causal_gym  # noqa: F401  (registers the scenes)
from causal_gym.files import write_json
from causal_gym.parallel import BACKENDS, run_jobs
from causal_gym.questions import (
    DEFAULT_SPLITS,
    DEFAULT_TASKS,
    DESIGNS,
    KINDS,
    QuestionSet,
    generate,
    save,
)
from world_models.baselines import (
    BaselineConfig,
    MAMLBaseline,
    MLPBaseline,
    ProtoNetBaseline,
    train_baseline,
)
from world_models.csml import CSML, meta_train, scene_config
from world_models.graph_metrics import score_graph
from world_models.perception import FRAMES, ReaderConfig, ViTEncoder, fit_reader, reading_r2
from world_models.question_models import INPUTS

MODELS = ("CSML", "NSL", "MAML", "ProtoNets", "MLP")
REGIMES = ("interventional", "observational")
COLUMNS = ("prediction_5shot", "prediction_1shot", "intervention", "counterfactual")
SHOTS = 5
READER_SEED = 10_000  # the reader's extra tasks: train-split seeds no other run here draws


def true_property_graph(scene: str) -> np.ndarray:
    """(P + 1) x (P + 1): edge property -> outcome where the property is an ancestor of the
    questions' outcome variable in the scene's causal graph."""
    env = gym.make(scene).unwrapped
    graph, outcome = env.causal_graph, DESIGNS[scene].outcome
    properties = env.property_variables
    env.close()
    adjacency = np.zeros((len(properties) + 1, len(properties) + 1), dtype=np.int64)
    for row, name in enumerate(properties):
        adjacency[row, -1] = int(outcome in nx.descendants(graph, name))
    return adjacency


def _build(
    name: str,
    train: QuestionSet,
    seed: int,
    iterations: int,
    regime: str,
    reader: ViTEncoder | None,
) -> Any:
    interventional = regime == "interventional"
    inputs = "state" if reader is None else "pixels"
    if name in ("CSML", "NSL"):
        config = scene_config(
            train.manifest["scene"],
            inputs=inputs,
            graph="learned" if name == "CSML" else "full",
            iterations=iterations,
            seed=seed,
            interventional_weight=1.0 if interventional else 0.0,
        )
        return CSML(train, config, reader)
    config = BaselineConfig(
        inputs=inputs, iterations=iterations, seed=seed, interventional=interventional
    )
    return {"MAML": MAMLBaseline, "ProtoNets": ProtoNetBaseline, "MLP": MLPBaseline}[name](
        train, config, reader
    )


def run_seed(
    job: tuple[str, int, str, int, int, int, tuple[str, ...], int, int, tuple[str, ...]],
) -> dict:
    """One seed's datasets (and for pixels, its reader), then each model in every regime."""
    (
        scene,
        seed,
        inputs,
        train_tasks,
        test_tasks,
        iterations,
        regimes,
        reader_steps,
        reader_tasks,
        frames,
        models,
    ) = job
    torch.set_num_threads(1)  # the models are small: more threads only add contention
    # One process per job already fills the cores: generate without a pool of its own.
    images = inputs == "pixels"
    train = generate(scene, "train", seed, train_tasks, images=images, workers=1)
    test = generate(scene, "test", seed, test_tasks, images=images, workers=1)
    truth = true_property_graph(scene)
    result: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    reader = None
    if images:
        start = time.perf_counter()
        more = (
            [generate(scene, "train", READER_SEED + seed, reader_tasks, images=True, workers=1)]
            if reader_tasks
            else []
        )
        config = ReaderConfig(steps=reader_steps, frames=frames, seed=seed)
        reader = fit_reader(train, config, extra=more)
        extra = {"reader_seconds": time.perf_counter() - start}
        # JSON has no NaN: a state variable the test split holds constant is null.
        r2 = reading_r2(reader, train, test)
        extra["reader_r2"] = [None if np.isnan(v) else float(v) for v in r2]
    for regime in regimes:
        for name in models:
            start = time.perf_counter()
            model = _build(name, train, seed, iterations, regime, reader)
            if isinstance(model, CSML):
                meta_train(model, train)
            else:
                train_baseline(model, train)
            data = model.tensors(test)
            full = model.accuracy(data, SHOTS)
            by_shots = [
                model.accuracy(data, shots, ("prediction",))["prediction"]
                for shots in range(1, SHOTS + 1)
            ]
            entry = {
                "prediction_5shot": full["prediction"],
                "prediction_1shot": by_shots[0],
                "intervention": full["intervention"],
                "counterfactual": full["counterfactual"],
                "prediction_by_shots": by_shots,
                "seconds": time.perf_counter() - start,
            }
            if isinstance(model, CSML):
                entry["property_graph_shd"] = score_graph(model.property_graph(), truth).shd
                entry["weights"] = model.weights().detach().numpy().round(3).tolist()
                entry["symbols"] = model.symbol_names
            result.setdefault(regime, {})[name] = entry
    return {"seed": seed, "inputs": inputs, "results": result, **extra}


def _cell(values: list[float]) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.2f} +- {spread:.2f}"


def table1(args: argparse.Namespace) -> None:
    start = time.perf_counter()
    # Pixel jobs first: they take longest, and the pool then fills its gaps with state jobs.
    jobs = [
        (
            args.scene,
            seed,
            inputs,
            args.train_tasks,
            args.test_tasks,
            args.iterations,
            tuple(args.regimes),
            args.reader_steps,
            args.reader_tasks,
            args.frames,
            tuple(args.models),
        )
        for inputs in sorted(args.inputs, key=lambda kind: kind != "pixels")
        for seed in range(args.seeds)
    ]
    finished = run_jobs(run_seed, jobs, args.backend, args.workers, args.address)
    runs = sorted((run for _, run in finished), key=lambda run: run["seed"])
    seconds = time.perf_counter() - start
    header = (
        f"{args.scene}, {' and '.join(args.inputs)} inputs: seeds 0..{args.seeds - 1}, "
        f"{args.train_tasks} train / {args.test_tasks} test tasks, {args.iterations} "
        f"iterations, {seconds:.0f} s on {args.workers} workers ({args.backend} backend)"
    )
    print(header)
    report: dict[str, Any] = {
        "scene": args.scene,
        "inputs": list(args.inputs),
        "seeds": list(range(args.seeds)),
        "train_tasks": args.train_tasks,
        "test_tasks": args.test_tasks,
        "iterations": args.iterations,
        "models": list(args.models),
        "frames": args.frames,
        "reader_steps": args.reader_steps,
        "reader_tasks": args.reader_tasks,
        "seconds": seconds,
        "true_property_graph": true_property_graph(args.scene).tolist(),
        "results": {},
    }
    for inputs, regime in itertools.product(args.inputs, args.regimes):
        chosen = [run for run in runs if run["inputs"] == inputs]
        print(f"\n{inputs} inputs, {regime} training")
        if inputs == "pixels":
            report["reader_r2"] = [run["reader_r2"] for run in chosen]
            r2 = np.array(report["reader_r2"], dtype=float)  # null -> NaN
            print("reader R^2 per state variable (mean over seeds): " + str(r2.mean(0).round(3)))
        print("| model | " + " | ".join(COLUMNS) + " | property-graph SHD |")
        print("|---|" + "---:|" * (len(COLUMNS) + 1))
        for name in args.models:
            entries = [run["results"][regime][name] for run in chosen]
            per_seed = {column: [e[column] for e in entries] for column in COLUMNS}
            per_seed["prediction_by_shots"] = [e["prediction_by_shots"] for e in entries]
            shd = [e["property_graph_shd"] for e in entries if "property_graph_shd" in e]
            if shd:
                per_seed["property_graph_shd"] = shd
                per_seed["weights_seed0"] = entries[0]["weights"]
                per_seed["symbols_seed0"] = entries[0]["symbols"]
            report["results"].setdefault(inputs, {}).setdefault(regime, {})[name] = per_seed
            cells = [_cell(per_seed[column]) for column in COLUMNS]
            graph = _cell([float(v) for v in shd]) if shd else "-"
            print(f"| {name} | " + " | ".join(cells) + f" | {graph} |")
    args.results.mkdir(parents=True, exist_ok=True)
    write_json(args.results / "table1.json", report)
    _figures(report, args.results)
    drawn = "figure3.png, figure4.png" if "CSML" in args.models else "figure3.png"
    print(f"\nwrote {args.results / 'table1.json'}, {drawn}")


def _figures(report: dict, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        (inputs, regime, models)
        for inputs, regimes in report["results"].items()
        for regime, models in regimes.items()
    ]
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for axis, (inputs, regime, models) in zip(axes[0], panels):
        for name, per_seed in models.items():
            curves = np.array(per_seed["prediction_by_shots"])
            shots = np.arange(1, curves.shape[1] + 1)
            axis.errorbar(shots, curves.mean(axis=0), yerr=curves.std(axis=0), label=name)
        axis.axhline(1 / 3, color="grey", linestyle=":", label="chance")
        axis.set(title=f"{inputs}, {regime} training", xlabel="support episodes", ylabel="accuracy")
        axis.set_xticks(shots)
        axis.set_ylim(0, 1)
        axis.legend()
    figure.suptitle(f"{report['scene']}: prediction accuracy against shots")
    figure.tight_layout()
    figure.savefig(folder / "figure3.png", dpi=100)
    plt.close(figure)

    inputs, regime, models = panels[0]
    if "CSML" not in models:
        # A figure 4 left by an earlier run in this folder would not match table1.json.
        (folder / "figure4.png").unlink(missing_ok=True)
        return
    weights = np.abs(np.array(models["CSML"]["weights_seed0"]))
    truth = np.array(report["true_property_graph"])
    env = gym.make(report["scene"]).unwrapped
    properties = list(env.property_variables)
    env.close()
    labels = [*models["CSML"]["symbols_seed0"], *properties, "outcome"]
    shd = models["CSML"]["property_graph_shd"][0]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 5))
    image = left.imshow(weights, cmap="viridis")
    left.set_xticks(range(len(labels)), labels, rotation=90)
    left.set_yticks(range(len(labels)), labels)
    left.set_title(f"CSML |W|, seed 0 ({inputs}, {regime}): row -> column")
    figure.colorbar(image, ax=left)
    right.imshow(truth, cmap="Greys", vmin=0, vmax=1)
    names = [*properties, "outcome"]
    right.set_xticks(range(len(names)), names, rotation=90)
    right.set_yticks(range(len(names)), names)
    right.set_title(f"true property graph; learned (|W| >= 0.3): SHD {shd}")
    figure.tight_layout()
    figure.savefig(folder / "figure4.png", dpi=100)
    plt.close(figure)


def generate_datasets(args: argparse.Namespace) -> None:
    for scene in args.scene_list:
        for offset, split in enumerate(args.splits):
            start = time.perf_counter()
            dataset = generate(
                scene,
                split,
                args.seed + 1000 * offset,
                args.tasks,
                args.shots,
                args.queries,
                images=not args.no_images,
            )
            folder = save(dataset, args.out / scene / split)
            balance = "; ".join(
                f"{kind} "
                + "/".join(f"{v:.0%}" for v in dataset.manifest["balance"][kind].values())
                for kind in KINDS
            )
            print(f"{folder}: {args.tasks} tasks, {time.perf_counter() - start:.0f} s; {balance}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generate", action="store_true", help="write the datasets instead")
    parser.add_argument("--scene", nargs="*", default=None, choices=sorted(DESIGNS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="processes, or Ray CPUs")
    parser.add_argument("--backend", default="local", choices=BACKENDS, help="for Table 1")
    parser.add_argument("--address", help="a running Ray cluster, with --backend ray")
    parser.add_argument("--train-tasks", type=int, default=40)
    parser.add_argument("--test-tasks", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--regimes", nargs="+", default=list(REGIMES), choices=REGIMES)
    parser.add_argument("--inputs", nargs="+", default=list(INPUTS), choices=INPUTS)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument(
        "--reader-steps", type=int, default=ReaderConfig.steps, help="the image reader's steps"
    )
    parser.add_argument(
        "--reader-tasks",
        type=int,
        default=120,
        help="more train-split tasks whose images (not answers) the reader also learns from",
    )
    parser.add_argument(
        "--frames",
        type=int,
        default=ReaderConfig.frames,
        choices=FRAMES,
        help="pictures the reader reads per episode: 2 adds its motion image",
    )
    parser.add_argument("--results", type=Path, default=Path("docs/results"))
    parser.add_argument("--out", type=Path, default=Path("data/questions"))
    parser.add_argument(
        "--splits",
        nargs="*",
        default=list(DEFAULT_SPLITS),
        choices=["train", "test", "ood", "surface"],
    )
    parser.add_argument("--tasks", type=int, default=DEFAULT_TASKS)
    parser.add_argument("--shots", type=int, default=5)
    parser.add_argument("--queries", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-images", action="store_true")
    args = parser.parse_args()
    args.inputs, args.regimes = list(dict.fromkeys(args.inputs)), list(dict.fromkeys(args.regimes))
    args.models = list(dict.fromkeys(args.models))
    for label in ("seeds", "workers", "train_tasks", "test_tasks", "iterations", "reader_steps"):
        if getattr(args, label) < 1:
            parser.error(f"--{label.replace('_', '-')} must be >= 1")
    if args.reader_tasks < 0:
        parser.error("--reader-tasks must be >= 0")
    if args.address is not None and args.backend != "ray":
        parser.error("--address needs --backend ray")
    if args.generate:
        args.scene_list = args.scene or sorted(DESIGNS)
        generate_datasets(args)
        return
    if args.scene is not None and len(args.scene) != 1:
        parser.error("Table 1 takes one --scene")
    args.scene = args.scene[0] if args.scene else "CausalWorld-Seesaw-v0"
    table1(args)


if __name__ == "__main__":
    main()
