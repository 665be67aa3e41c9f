"""How well can any model answer the questions from what a task shows? A Bayes-optimal bound.

    python benchmarks/question_ceiling.py [--scene CausalWorld-Seesaw-v0 ...] [--seeds 1]
        [--test-tasks 20] [--draws 256] [--shots 5] [--answers-only]

The question models infer a task's hidden properties from what its episodes show: the support
episodes' answers (3 classes each) and every episode's proxy, which the designer drew to track
a hidden property (``causal_gym.questions.designs``: proxy position = clip(u + 0.15 z, 0, 1)).
This script answers every question of the benchmark's ``test`` split (seed s, as
``examples/question_benchmark.py`` scores) the best way that evidence allows: it knows the
simulator, every episode's seed and configuration (more than a model sees), the designer's
bias and the prior the task's properties were drawn from, and it does not know the
properties. Per task it draws ``--draws`` property vectors from the split's prior and weighs
each by the posterior: zero unless replaying the task's first ``--shots`` support episodes
under it gives all their observed answers (answers are deterministic given the seed), times
the likelihood of those episodes' proxies and of the question's own. Each question then gets
the answer of most weight; a counterfactual question also needs its episode's observed factual
answer. With no consistent draw, the proxies alone weigh every draw. This is the Bayes-optimal
decision under 0-1 loss up to the Monte Carlo error of the draws, so no model that learns
from the support answers and the initial scenes can expect to beat it; the support episodes'
trajectories, which the datasets also hold and the models do not read, are left out. The
simulator with the true properties (the oracle) scores 100%. ``--answers-only`` leaves the
proxies out too: the bound for a model that learns from the support answers alone.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Mapping

import gymnasium as gym
import numpy as np

import causal_gym  # noqa: F401  (registers the scenes)
from causal_gym import SCENES, tasks
from causal_gym.questions import DESIGNS, KINDS, QuestionSet, generate

PROXY_NOISE = 0.15  # the spread of the designer's bias (``designs.draw_config``)


def play(
    env: gym.Env,
    scene: str,
    split: str,
    properties: Mapping[str, float],
    seed: int,
    config: Mapping[str, float],
    change: Mapping[str, float] | None = None,
) -> int:
    """The answer class of one episode under the given properties (and do(), if any)."""
    design = DESIGNS[scene]
    interventions = {**properties, **design.reset_interventions(config)}
    env.reset(seed=seed, options={"task": split, "interventions": interventions})
    actions = np.tile(np.asarray(design.action(config), dtype=np.float64), (design.horizon, 1))
    trajectory = env.counterfactual(actions, interventions=change)
    final = dict(zip(trajectory.variables, trajectory.values[-1].tolist(), strict=True))
    return design.answer(final)


def proxy_log_likelihood(
    scene: str, split: str, properties: Mapping[str, float], config: Mapping[str, float]
) -> float:
    """log p(the episode's proxy | properties) under the designer's bias."""
    design = DESIGNS[scene]
    cause = design.hidden_cause(config)
    low, high = SCENES[scene].property_ranges[tasks.task(split).ranges][cause]
    mean = (properties[cause] - low) / (high - low)
    proxy_low, proxy_high = design.config[design.proxy]
    position = (config[design.proxy] - proxy_low) / (proxy_high - proxy_low)
    below = 0.5 * (1 + math.erf((0.0 - mean) / (PROXY_NOISE * math.sqrt(2))))
    above = 0.5 * (1 - math.erf((1.0 - mean) / (PROXY_NOISE * math.sqrt(2))))
    if position <= 1e-9:  # clipped at the low end
        return math.log(max(below, 1e-300))
    if position >= 1 - 1e-9:
        return math.log(max(above, 1e-300))
    z = (position - mean) / PROXY_NOISE
    return -0.5 * z * z - math.log(PROXY_NOISE * math.sqrt(2 * math.pi))


def task_ceiling(
    dataset: QuestionSet,
    task: int,
    env: gym.Env,
    draws: int,
    shots: int,
    seed: int,
    proxies: bool = True,
) -> tuple[dict[str, list[bool]], int]:
    """Per kind, whether the bound answers each of the task's questions right; and how many
    draws the support answers kept."""
    manifest = dataset.manifest
    scene, split = manifest["scene"], manifest["split"]
    names, config_names = manifest["property_variables"], manifest["config_variables"]

    def config(kind: str, query: int) -> dict[str, float]:
        return dict(zip(config_names, dataset[f"{kind}_config"][task, query].tolist()))

    prior = []
    for k in range(draws):
        env.reset(seed=seed * 1_000_003 + task * 10_007 + k, options={"task": split})
        prior.append(dict(env.unwrapped.properties))

    def proxy_evidence(properties: Mapping[str, float], configs: list[dict]) -> float:
        if not proxies:
            return 0.0
        return sum(proxy_log_likelihood(scene, split, properties, c) for c in configs)

    support_configs = [config("support", j) for j in range(shots)]
    log_prior = np.array([proxy_evidence(p, support_configs) for p in prior])
    support = [
        (int(dataset["support_seed"][task, j]), c, int(dataset["support_answer"][task, j]))
        for j, c in enumerate(support_configs)
    ]
    consistent = np.array(
        [
            all(play(env, scene, split, p, seed_j, c) == answer for seed_j, c, answer in support)
            for p in prior
        ]
    )
    base = np.where(consistent, log_prior, -np.inf) if consistent.any() else log_prior
    right: dict[str, list[bool]] = {}
    for kind in KINDS:
        for query in range(dataset[f"{kind}_answer"].shape[1]):
            seed_q = int(dataset[f"{kind}_seed"][task, query])
            setting = config(kind, query)
            change = None
            if kind != "prediction":
                target = names[int(dataset[f"{kind}_target"][task, query])]
                change = {target: float(dataset[f"{kind}_value"][task, query])}
            log_weight = base + np.array([proxy_evidence(p, [setting]) for p in prior])
            if kind == "counterfactual":
                factual = int(dataset["counterfactual_factual_answer"][task, query])
                agrees = np.array(
                    [
                        np.isfinite(w) and play(env, scene, split, p, seed_q, setting) == factual
                        for p, w in zip(prior, log_weight)
                    ]
                )
                if agrees.any():
                    log_weight = np.where(agrees, log_weight, -np.inf)
            weight = np.exp(log_weight - log_weight.max())
            votes = np.zeros(3)
            for p, w in zip(prior, weight):
                if w > 1e-12:
                    votes[play(env, scene, split, p, seed_q, setting, change)] += w
            right.setdefault(kind, []).append(
                int(votes.argmax()) == int(dataset[f"{kind}_answer"][task, query])
            )
    return right, int(consistent.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scene", nargs="+", default=["CausalWorld-Seesaw-v0"])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--test-tasks", type=int, default=20)
    parser.add_argument("--draws", type=int, default=256)
    parser.add_argument("--shots", type=int, default=5)
    parser.add_argument("--answers-only", action="store_true", help="leave the proxies out")
    args = parser.parse_args()
    for label in ("seeds", "test_tasks", "draws", "shots"):
        if getattr(args, label) < 1:
            parser.error(f"--{label.replace('_', '-')} must be >= 1")
    print(
        f"seeds 0..{args.seeds - 1}, {args.test_tasks} test tasks, {args.draws} prior draws, "
        f"{args.shots} support episodes; evidence: "
        + ("support answers" if args.answers_only else "support answers and proxies")
    )
    print("| scene | " + " | ".join(KINDS) + " | draws kept (median) | time |")
    print("|---|" + "---:|" * (len(KINDS) + 2))
    for scene in args.scene:
        start = time.perf_counter()
        env = gym.make(scene).unwrapped
        per_seed: dict[str, list[float]] = {kind: [] for kind in KINDS}
        kept_counts = []
        for seed in range(args.seeds):
            dataset = generate(scene, "test", seed, args.test_tasks, images=False, workers=1)
            if args.shots > dataset["support_answer"].shape[1]:
                parser.error(f"--shots must be <= {dataset['support_answer'].shape[1]}")
            right: dict[str, list[bool]] = {kind: [] for kind in KINDS}
            for task in range(args.test_tasks):
                task_right, kept = task_ceiling(
                    dataset, task, env, args.draws, args.shots, seed, not args.answers_only
                )
                kept_counts.append(kept)
                for kind in KINDS:
                    right[kind].extend(task_right[kind])
            for kind in KINDS:
                per_seed[kind].append(float(np.mean(right[kind])))
        env.close()
        cells = [
            f"{statistics.mean(v):.2f} +- {statistics.stdev(v) if len(v) > 1 else 0.0:.2f}"
            for v in per_seed.values()
        ]
        print(
            f"| {scene} | " + " | ".join(cells) + f" | {statistics.median(kept_counts):.0f} | "
            f"{time.perf_counter() - start:.0f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
