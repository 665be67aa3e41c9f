"""Question generation throughput, and the time the default benchmark takes to generate.

    python benchmarks/question_throughput.py [--tasks 10] [--skip-default]

Per scene: ``--tasks`` tasks of the ``train`` split (5 support episodes, 3 questions of each
kind, 64x64 images), generated with 1 and with 2 worker processes (pool start-up included);
questions/s counts the 9 questions of each task. Then, unless ``--skip-default``, the default
benchmark, as ``python examples/question_benchmark.py --generate`` makes it: every scene and
every split in ``DEFAULT_SPLITS``, ``DEFAULT_TASKS`` tasks each, all cores, timed end to end
(saving included, to a temporary folder).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from causal_gym.questions import DEFAULT_SPLITS, DEFAULT_TASKS, DESIGNS, KINDS, generate, save


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--skip-default", action="store_true")
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{args.tasks} train tasks per scene, 3 questions of each kind per task")
    print("| scene | 1 process (questions/s) | 2 processes (questions/s) | speed-up |")
    print("|---|---:|---:|---:|")
    for scene in sorted(DESIGNS):
        rates = []
        for workers in (1, 2):
            start = time.perf_counter()
            generate(scene, "train", 0, args.tasks, workers=workers)
            rates.append(args.tasks * 3 * len(KINDS) / (time.perf_counter() - start))
        print(f"| {scene} | {rates[0]:.1f} | {rates[1]:.1f} | {rates[1] / rates[0]:.2f} |")
    if args.skip_default:
        return
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for scene in sorted(DESIGNS):
            for offset, split in enumerate(DEFAULT_SPLITS):
                dataset = generate(scene, split, 1000 * offset, DEFAULT_TASKS)
                save(dataset, Path(folder) / scene / split)
    questions = len(DESIGNS) * len(DEFAULT_SPLITS) * DEFAULT_TASKS * 3 * len(KINDS)
    print(
        f"default benchmark: {len(DESIGNS)} scenes x splits {'/'.join(DEFAULT_SPLITS)} x "
        f"{DEFAULT_TASKS} tasks x 3 questions per kind = {questions} questions, "
        f"{time.perf_counter() - start:.0f} s on all cores"
    )


if __name__ == "__main__":
    main()
