"""The CausalWorld question benchmark: generate its datasets (models come with world_models).

    python examples/question_benchmark.py --generate [--out data/questions] [--tasks 40]
        [--scene ID ...] [--splits train test] [--seed 0] [--no-images]

``--generate`` writes one dataset per scene and split, ``OUT/<scene>/<split>/`` with
``questions.npz`` and ``manifest.json`` (see ``causal_gym.questions``), using every core, and
prints each one's class balance. The defaults are the default benchmark: every scene, splits
``train`` and ``test``, 40 tasks each (3 questions of each kind per task), which generates in
under 5 minutes on 2 cores (``benchmarks/question_throughput.py``). The same datasets come from
``python -m causal_gym.questions --scene ID --split SPLIT --out DIR``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from causal_gym.questions import DEFAULT_SPLITS, DEFAULT_TASKS, DESIGNS, KINDS, generate, save


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generate", action="store_true", help="write the datasets")
    parser.add_argument("--out", type=Path, default=Path("data/questions"))
    parser.add_argument("--scene", nargs="*", default=sorted(DESIGNS), choices=sorted(DESIGNS))
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
    if not args.generate:
        parser.error("nothing to do: pass --generate (training models comes with world_models)")
    for scene in args.scene:
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


if __name__ == "__main__":
    main()
