"""The question benchmark against two reference answerers: a plain classifier and the simulator.

    python benchmarks/question_baselines.py [--scene ID ...] [--seeds 5] [--train-tasks 30]
        [--test-tasks 20]

For each scene and seed s: a ``train`` dataset (seed s, 5 support episodes and 3 questions of
each kind per task) and a ``test`` dataset (seed 100 + s: other tasks, the same ranges).
``classifier``: multinomial logistic regression on each question's initial state and action,
fitted to the train set's observational data (support episodes and prediction questions),
scored on every kind of test question. ``oracle``: every test question re-simulated through
the public env API with the true mechanisms (``causal_gym.questions.baselines.resimulate``).
Chance is 1/3. Mean and standard deviation over seeds.
"""

from __future__ import annotations

import argparse
import statistics
import time

from causal_gym.questions import DESIGNS, KINDS, generate
from causal_gym.questions.baselines import (
    classifier_accuracy,
    fit_classifier,
    observational_data,
    resimulate,
)


def oracle_accuracy(dataset, kind: str) -> float:
    answers = dataset[f"{kind}_answer"]
    right = sum(
        resimulate(dataset, kind, task, query)[0] == answers[task, query]
        for task in range(answers.shape[0])
        for query in range(answers.shape[1])
    )
    return right / answers.size


def spread(values: list[float]) -> str:
    return (
        f"{statistics.mean(values):.2f} +- {statistics.stdev(values) if len(values) > 1 else 0:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scene", nargs="*", default=sorted(DESIGNS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--train-tasks", type=int, default=30)
    parser.add_argument("--test-tasks", type=int, default=20)
    args = parser.parse_args()
    print(f"seeds 0..{args.seeds - 1}; {args.train_tasks} train and {args.test_tasks} test tasks")
    header = " | ".join(f"classifier {kind}" for kind in KINDS)
    print(f"| scene | {header} | oracle (all kinds) | time |")
    print("|---|" + "---:|" * (len(KINDS) + 2))
    for scene in args.scene:
        start = time.perf_counter()
        scores: dict[str, list[float]] = {kind: [] for kind in KINDS}
        oracle: list[float] = []
        for seed in range(args.seeds):
            train = generate(
                scene, "train", seed, args.train_tasks, shots=5, queries=3, images=False
            )
            test = generate(
                scene, "test", 100 + seed, args.test_tasks, shots=0, queries=3, images=False
            )
            model = fit_classifier(*observational_data(train))
            for kind in KINDS:
                scores[kind].append(classifier_accuracy(model, test, kind))
            oracle.append(min(oracle_accuracy(test, kind) for kind in KINDS))
        cells = " | ".join(spread(scores[kind]) for kind in KINDS)
        print(
            f"| {scene} | {cells} | {min(oracle):.0%} | {time.perf_counter() - start:.0f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
