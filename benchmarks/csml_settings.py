"""CSML's answer settings per scene, chosen on validation tasks (never on the test split).

    python benchmarks/csml_settings.py [--scene ID ...] [--seeds 5] [--workers 2]
        [--results docs/results/csml_settings.json]

For each scene and seed s, state inputs, interventional regime: CSML meta-trains on the
``train`` split's tasks of seed 100 + s (40 tasks, 5 support episodes, 3 questions of each
kind) and answers 40 other ``train``-split tasks (seed 300 + s), with each of eight settings:
``encoder`` "mlp" or "inputs" (learned symbols, or the inputs themselves), crossed with
``refit_steps`` 0 or 200 (the mechanism refit after meta-training) and ``roots`` "adapted" or
"posterior". Columns: prediction from 5 and from 1 support episode, intervention
and counterfactual; mean +- std over seeds, and their mean, by which each scene's setting is
chosen (``world_models.csml.SCENE_SETTINGS`` holds the choices).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from pathlib import Path

import torch

from causal_gym.files import write_json
from causal_gym.parallel import run_jobs
from causal_gym.questions import DESIGNS, generate
from world_models.csml import CSML, CSMLConfig, _refit_mechanism, meta_train

COLUMNS = ("prediction_5shot", "prediction_1shot", "intervention", "counterfactual")
ENCODERS = ("mlp", "inputs")
REFITS = (0, 200)
ROOTS = ("adapted", "posterior")


def validate(job: tuple[str, int]) -> dict[str, list[float]]:
    """One scene and seed: each setting's accuracies (``COLUMNS``) on the validation tasks."""
    scene, seed = job
    torch.set_num_threads(1)
    train = generate(scene, "train", 100 + seed, 40, 5, 3, images=False, workers=1)
    validation = generate(scene, "train", 300 + seed, 40, 5, 3, images=False, workers=1)
    scores = {}
    for encoder in ENCODERS:
        model = CSML(train, CSMLConfig(seed=seed, encoder=encoder, refit_steps=0))
        meta_train(model, train)
        data = model.tensors(validation)
        for refit in REFITS:
            if refit:
                model.config = dataclasses.replace(model.config, refit_steps=refit)
                _refit_mechanism(model, model.tensors(train))
            for roots in ROOTS:
                model.config = dataclasses.replace(model.config, roots=roots)
                full = model.accuracy(data)
                one = model.accuracy(data, 1, ("prediction",))["prediction"]
                scores[f"{encoder} encoder, refit {refit}, {roots}"] = [
                    full["prediction"],
                    one,
                    full["intervention"],
                    full["counterfactual"],
                ]
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scene", nargs="*", default=sorted(DESIGNS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--results", type=Path, default=Path("docs/results/csml_settings.json"))
    args = parser.parse_args()
    start = time.perf_counter()
    jobs = [(scene, seed) for scene in args.scene for seed in range(args.seeds)]
    runs = dict(run_jobs(validate, jobs, workers=args.workers))
    seconds = time.perf_counter() - start
    print(
        f"validation tasks (train split, seeds 300+s) after training on seeds 100+s, "
        f"s = 0..{args.seeds - 1}; {seconds:.0f} s on {args.workers} workers"
    )
    report: dict = {"seeds": list(range(args.seeds)), "seconds": seconds, "scenes": {}}
    for scene in args.scene:
        print(f"\n{scene}\n| setting | " + " | ".join(COLUMNS) + " | mean |")
        print("|---|" + "---:|" * (len(COLUMNS) + 1))
        settings = {}
        for setting in runs[(scene, 0)]:
            per_seed = [runs[(scene, seed)][setting] for seed in range(args.seeds)]
            columns = {c: [scores[i] for scores in per_seed] for i, c in enumerate(COLUMNS)}
            overall = statistics.mean(statistics.mean(values) for values in columns.values())
            settings[setting] = {**columns, "mean": overall}
            cells = [
                f"{statistics.mean(v):.3f} +- {statistics.stdev(v) if len(v) > 1 else 0:.3f}"
                for v in columns.values()
            ]
            print(f"| {setting} | " + " | ".join(cells) + f" | {overall:.3f} |")
        best = max(settings, key=lambda setting: settings[setting]["mean"])
        print(f"best: {best}")
        report["scenes"][scene] = {"settings": settings, "best": best}
    write_json(args.results, report)
    print(f"\nwrote {args.results}")


if __name__ == "__main__":
    main()
