"""Generate question datasets: ``python -m causal_gym.questions --scene ID --out DIR``."""

from __future__ import annotations

import argparse
import time

from causal_gym.questions import DEFAULT_TASKS, DESIGNS, KINDS, generate, save


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split(":")[0])
    parser.add_argument("--scene", required=True, choices=sorted(DESIGNS))
    parser.add_argument("--split", default="train", choices=["train", "test", "ood", "surface"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tasks", type=int, default=DEFAULT_TASKS)
    parser.add_argument("--shots", type=int, default=5, help="support episodes per task")
    parser.add_argument("--queries", type=int, default=3, help="questions of each kind per task")
    parser.add_argument("--no-images", action="store_true", help="state vectors only")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument("--out", required=True, help="folder for questions.npz and manifest.json")
    args = parser.parse_args()
    start = time.perf_counter()
    try:
        dataset = generate(
            args.scene,
            args.split,
            args.seed,
            args.tasks,
            args.shots,
            args.queries,
            images=not args.no_images,
            workers=args.workers,
        )
    except ValueError as error:
        parser.error(str(error))
    folder = save(dataset, args.out)
    print(
        f"{args.scene} {args.split} seed {args.seed}: {args.tasks} tasks in "
        f"{time.perf_counter() - start:.0f} s -> {folder}"
    )
    for kind in KINDS:
        shares = ", ".join(f"{c} {v:.0%}" for c, v in dataset.manifest["balance"][kind].items())
        print(f"  {kind}: {shares}")


if __name__ == "__main__":
    main()
