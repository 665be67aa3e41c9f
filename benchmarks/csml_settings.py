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

    python benchmarks/csml_settings.py --part interventional-roots [--scene ID ...]
        [--results docs/results/csml_interventional_roots.json]

compares, on the same tasks and with each scene's chosen settings, the training tasks'
intervention and counterfactual answers fitted in meta-training under the inner loop's adapted
roots or under the task's true properties (``CSMLConfig.interventional_roots``); "true" is kept
for a scene where its mean is a point or more above "adapted" (gaps under a point are within
the seeds' spread).

    python benchmarks/csml_settings.py --part refit [--scene ID ...]
        [--results docs/results/csml_refit.json]
compares, with each scene's other settings and each encoder, the mechanism refit of the grid
(``refit_steps`` 200 at ``refit_lr`` 1e-3) against a longer, faster one (1,000 steps at 3e-3);
the refit and encoder of the best mean are kept for a scene where they gain a point or more
over its chosen ones.

    python benchmarks/csml_settings.py --part posterior [--scene ID ...]
        [--results docs/results/csml_posterior.json]
answers, with one model per scene and seed trained with the scene's chosen settings, as those
settings do and with the posterior over the roots weighed also by the learned equations of the
symbols with a hidden-property parent (``symbol_likelihood``), its draws around the support
estimate or from the training ranges (``root_prior``); the best is kept for a scene where it
gains a point or more.

    python benchmarks/csml_settings.py --part symbol-weight [--scene ID ...]
        [--results docs/results/csml_symbol_weight.json]
answers, with one model per scene and seed trained with the scene's chosen settings, with the
posterior weighed by the symbols' likelihood raised to each of ``SYMBOL_WEIGHTS``
(``symbol_weight``; under 1 the equations count for less against the support answers, with
the scene's own ``root_prior``); the best is kept for a scene where it gains a point or more.
Meant for the scenes whose chosen settings use the symbols' likelihood (Ramp, Seesaw, Tilt).

    python benchmarks/csml_settings.py --part censored [--scene ID ...]
        [--results docs/results/csml_censored.json]
trains CSML and NSL per scene and seed, each with its chosen settings, and answers with the
symbols' equations as Gaussian lines and as censored where a symbol saturates
(``censored_symbols``: refitted on the same trained model); kept for a scene where it gains
CSML a point or more, and NSL takes CSML's choice unless the other gains NSL a point or more.
Meant for the scenes whose posterior uses the symbols' likelihood.

    python benchmarks/csml_settings.py --part reading-bounds [--scene ID ...]
        [--results docs/results/csml_reading_bounds.json]
the same from pixels (a reader per seed, fitted as Table 1's on the training tasks' images and
120 more tasks' of seed ``READER_SEED`` + 100 + s): Gaussian lines, censored where the readings
themselves pile at an extreme (the truths handed to ``reading_bounds`` replaced by the
readings), and censored where the true states do (``reading_bounds``, what
``censored_symbols`` does from pixels); the rule chosen as in ``--part censored``, against the
readings' own ties.

    python benchmarks/csml_settings.py --part nsl [--scene ID ...]
        [--results docs/results/nsl_settings.json]
trains NSL (``graph="full"``) with CSML's settings for each scene and seed, and answers as
those settings do and with the posterior with and without the symbols' likelihood, its draws
around the support estimate or from the training ranges; NSL's own choice (``NSL_SETTINGS``)
is the best where it gains a point or more.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import statistics
import time
from pathlib import Path

import torch

from causal_gym.files import write_json
from causal_gym.parallel import run_jobs
from causal_gym.questions import DESIGNS, QuestionSet, generate
from world_models.csml import CSML, CSMLConfig, _refit_mechanism, meta_train, scene_config
from world_models.perception import ReaderConfig, ViTEncoder, fit_reader

COLUMNS = ("prediction_5shot", "prediction_1shot", "intervention", "counterfactual")
ENCODERS = ("mlp", "inputs")
REFITS = (0, 200)
ROOTS = ("adapted", "posterior")
INTERVENTIONAL_ROOTS = ("adapted", "true")
REFITS_LONG = ((200, 1e-3), (1000, 3e-3))  # (refit_steps, refit_lr)
POSTERIORS = {  # setting: its posterior's CSMLConfig fields
    "symbol likelihood, estimate prior": {"root_prior": "estimate", "symbol_likelihood": True},
    "symbol likelihood, training prior": {"root_prior": "training", "symbol_likelihood": True},
}
CHOSEN = "the scene's chosen settings"  # CSML's (``SCENE_SETTINGS``), on NSL too
NSL_POSTERIORS = {
    "no symbol likelihood, estimate prior": {"root_prior": "estimate", "symbol_likelihood": False},
    "no symbol likelihood, training prior": {"root_prior": "training", "symbol_likelihood": False},
    **POSTERIORS,
}
SYMBOL_WEIGHTS = {
    f"symbol weight {weight:g}": {"symbol_likelihood": True, "symbol_weight": weight}
    for weight in (0.25, 0.5, 1.0, 2.0)
}
MODELS = {"CSML": "learned", "NSL": "full"}
GAUSSIAN, CENSORED = "Gaussian symbols", "censored symbols"
READ_TIES = "censored symbols, bounds from the readings' ties"
READER_SEED = 10_000  # the reader's extra tasks' seeds start here, as in Table 1's
KEEP_MARGIN = 0.01  # a setting beyond the scene's chosen ones must gain this much to be kept


def datasets(scene: str, seed: int, images: bool = False) -> tuple[QuestionSet, QuestionSet]:
    """The training tasks (train split, seed 100 + s) and the validation tasks (seed 300 + s)."""
    train = generate(scene, "train", 100 + seed, 40, 5, 3, images=images, workers=1)
    validation = generate(scene, "train", 300 + seed, 40, 5, 3, images=images, workers=1)
    return train, validation


def scores(model: CSML, validation: QuestionSet) -> list[float]:
    """``COLUMNS`` of ``model`` on the validation tasks."""
    data = model.tensors(validation)
    full = model.accuracy(data)
    one = model.accuracy(data, 1, ("prediction",))["prediction"]
    return [full["prediction"], one, full["intervention"], full["counterfactual"]]


def validate_interventional_roots(job: tuple[str, int]) -> dict[str, list[float]]:
    """One scene and seed: ``COLUMNS`` with the scene's settings, under each
    ``interventional_roots``."""
    scene, seed = job
    torch.set_num_threads(1)
    train, validation = datasets(scene, seed)
    results = {}
    for roots in INTERVENTIONAL_ROOTS:
        model = CSML(train, scene_config(scene, seed=seed, interventional_roots=roots))
        meta_train(model, train)
        results[f"interventional roots {roots}"] = scores(model, validation)
    return results


def refit_setting(encoder: str, steps: int, lr: float) -> str:
    return f"{encoder} encoder, refit {steps} at {lr:g}"


def validate_refit(job: tuple[str, int]) -> dict[str, list[float]]:
    """One scene and seed: ``COLUMNS`` with the scene's settings but the encoder and the refit,
    for each encoder and each of ``REFITS_LONG`` (every refit starts from the same
    meta-trained model)."""
    scene, seed = job
    torch.set_num_threads(1)
    train, validation = datasets(scene, seed)
    results = {}
    for encoder in ENCODERS:
        trained = CSML(train, scene_config(scene, seed=seed, encoder=encoder, refit_steps=0))
        meta_train(trained, train)
        data = trained.tensors(train)
        for steps, lr in REFITS_LONG:
            model = copy.deepcopy(trained)
            model.config = dataclasses.replace(model.config, refit_steps=steps, refit_lr=lr)
            _refit_mechanism(model, data)
            results[refit_setting(encoder, steps, lr)] = scores(model, validation)
    return results


def answer_with_posteriors(
    scene: str, seed: int, graph: str, posteriors: dict[str, dict[str, bool | float | str]]
) -> dict[str, list[float]]:
    """One scene and seed: ``COLUMNS`` of the model with the scene's chosen settings (CSML's)
    on ``graph``, answered as those settings do, then with the posterior roots of each of
    ``posteriors`` (setting: its CSMLConfig fields; the same trained model)."""
    torch.set_num_threads(1)
    train, validation = datasets(scene, seed)
    model = CSML(train, dataclasses.replace(scene_config(scene, seed=seed), graph=graph))
    meta_train(model, train)
    results = {CHOSEN: scores(model, validation)}
    for setting, fields in posteriors.items():
        model.config = dataclasses.replace(model.config, roots="posterior", **fields)
        results[setting] = scores(model, validation)
    return results


def validate_posterior(job: tuple[str, int]) -> dict[str, list[float]]:
    """CSML's posterior settings (``POSTERIORS``) on one scene and seed."""
    return answer_with_posteriors(*job, "learned", POSTERIORS)


def validate_symbol_weight(job: tuple[str, int]) -> dict[str, list[float]]:
    """CSML's posterior with the symbols' likelihood at each of ``SYMBOL_WEIGHTS``, on one
    scene and seed."""
    return answer_with_posteriors(*job, "learned", SYMBOL_WEIGHTS)


def validate_censored(job: tuple[str, int]) -> dict[str, list[float]]:
    """One scene and seed: CSML and NSL, each trained with its chosen settings, answered with
    the symbols' equations as Gaussian lines, then refitted and read as censored where a symbol
    saturates (``censored_symbols``; the same trained models: training does not use them)."""
    scene, seed = job
    torch.set_num_threads(1)
    return _censoring_scores(scene, seed, *datasets(scene, seed))


def validate_reading_bounds(job: tuple[str, int]) -> dict[str, list[float]]:
    """One scene and seed, from pixels: as ``validate_censored``, with the readings' own ties
    (change 16's rule) answered between the two."""
    scene, seed = job
    torch.set_num_threads(1)
    train, validation = datasets(scene, seed, images=True)
    more = generate(scene, "train", READER_SEED + 100 + seed, 120, images=True, workers=1)
    reader = fit_reader(train, ReaderConfig(seed=seed), extra=[more])
    return _censoring_scores(scene, seed, train, validation, reader)


def _censoring_scores(
    scene: str,
    seed: int,
    train: QuestionSet,
    validation: QuestionSet,
    reader: ViTEncoder | None = None,
) -> dict[str, list[float]]:
    """CSML's and NSL's ``COLUMNS`` with the symbols' equations refitted as Gaussian lines,
    from pixels then censored from the readings' own ties (the true states replaced by the
    readings), then censored as ``censored_symbols`` does."""
    inputs = "state" if reader is None else "pixels"
    results = {}
    for name, graph in MODELS.items():
        config = scene_config(scene, inputs=inputs, seed=seed, graph=graph, censored_symbols=False)
        model = CSML(train, config, reader)
        meta_train(model, train)
        data = model.tensors(train)
        results[f"{name}, {GAUSSIAN}"] = scores(model, validation)
        model.config = dataclasses.replace(model.config, censored_symbols=True)
        if reader is not None:
            model.fit_symbol_equations(dataclasses.replace(data, support_truth=data.support))
            results[f"{name}, {READ_TIES}"] = scores(model, validation)
        model.fit_symbol_equations(data)
        results[f"{name}, {CENSORED}"] = scores(model, validation)
    return results


def validate_nsl(job: tuple[str, int]) -> dict[str, list[float]]:
    """NSL (``graph="full"``) with CSML's settings, then each posterior of ``NSL_POSTERIORS``,
    on one scene and seed."""
    return answer_with_posteriors(*job, "full", NSL_POSTERIORS)


def validate(job: tuple[str, int]) -> dict[str, list[float]]:
    """One scene and seed: each setting's accuracies (``COLUMNS``) on the validation tasks."""
    scene, seed = job
    torch.set_num_threads(1)
    train, validation = datasets(scene, seed)
    results = {}
    for encoder in ENCODERS:
        model = CSML(train, CSMLConfig(seed=seed, encoder=encoder, refit_steps=0))
        meta_train(model, train)
        for refit in REFITS:
            if refit:
                model.config = dataclasses.replace(model.config, refit_steps=refit)
                _refit_mechanism(model, model.tensors(train))
            for roots in ROOTS:
                model.config = dataclasses.replace(model.config, roots=roots)
                results[f"{encoder} encoder, refit {refit}, {roots}"] = scores(model, validation)
    return results


PARTS = {
    "grid": (validate, "docs/results/csml_settings.json"),
    "interventional-roots": (
        validate_interventional_roots,
        "docs/results/csml_interventional_roots.json",
    ),
    "refit": (validate_refit, "docs/results/csml_refit.json"),
    "posterior": (validate_posterior, "docs/results/csml_posterior.json"),
    "nsl": (validate_nsl, "docs/results/nsl_settings.json"),
    "symbol-weight": (validate_symbol_weight, "docs/results/csml_symbol_weight.json"),
    "censored": (validate_censored, "docs/results/csml_censored.json"),
    "reading-bounds": (validate_reading_bounds, "docs/results/csml_reading_bounds.json"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scene", nargs="*", default=sorted(DESIGNS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--part", choices=tuple(PARTS), default="grid")
    parser.add_argument("--results", type=Path)
    args = parser.parse_args()
    grid = args.part == "grid"
    validator, default_results = PARTS[args.part]
    results = args.results or Path(default_results)
    start = time.perf_counter()
    jobs = [(scene, seed) for scene in args.scene for seed in range(args.seeds)]
    runs = dict(run_jobs(validator, jobs, workers=args.workers))
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
        if grid:
            best = max(settings, key=lambda setting: settings[setting]["mean"])
        elif args.part in ("posterior", "nsl", "symbol-weight"):
            top = max(settings, key=lambda setting: settings[setting]["mean"])
            gain = settings[top]["mean"] - settings[CHOSEN]["mean"]
            best = top if gain >= KEEP_MARGIN else CHOSEN
        elif args.part == "refit":
            chosen = scene_config(scene)
            current = refit_setting(chosen.encoder, chosen.refit_steps, chosen.refit_lr)
            top = max(settings, key=lambda setting: settings[setting]["mean"])
            gain = settings[top]["mean"] - settings[current]["mean"]
            best = top if gain >= KEEP_MARGIN else current
        elif args.part in ("censored", "reading-bounds"):
            # NSL takes CSML's choice unless the other gains a point for NSL itself.
            current = GAUSSIAN if args.part == "censored" else READ_TIES
            mean = {key: settings[key]["mean"] for key in settings}
            gain = mean[f"CSML, {CENSORED}"] - mean[f"CSML, {current}"]
            best = {"CSML": CENSORED if gain >= KEEP_MARGIN else current}
            other = current if best["CSML"] == CENSORED else CENSORED
            gain = mean[f"NSL, {other}"] - mean[f"NSL, {best['CSML']}"]
            best["NSL"] = other if gain >= KEEP_MARGIN else best["CSML"]
        else:
            adapted, true = (f"interventional roots {roots}" for roots in INTERVENTIONAL_ROOTS)
            gain = settings[true]["mean"] - settings[adapted]["mean"]
            best = true if gain >= KEEP_MARGIN else adapted
        print(f"best: {best}")
        report["scenes"][scene] = {"settings": settings, "best": best}
    write_json(results, report)
    print(f"\nwrote {results}")


if __name__ == "__main__":
    main()
