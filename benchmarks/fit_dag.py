"""``world_models.fit_dag`` against the dagma package's DagmaLinear on synthetic linear SEMs.

    python benchmarks/fit_dag.py [--seeds 5] [--nodes 10 20] [--samples 1000] [--notears]

Per seed: an Erdos-Renyi DAG with 2 edges per node expected (2 x nodes edges), weights
uniform in +-[0.5, 2], N(0, 1) noise, ``--samples`` rows, every column standardised to unit
variance (so the variances' order gives nothing away). Both fit the same data with the same
settings (lambda 0.03, threshold 0.3, DAGMA's default path). ``--notears`` adds our augmented
Lagrangian NOTEARS (slower). SHD and edge F1 against the true graph, mean +- std over seeds,
and seconds per fit. Needs ``pip install dagma`` (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from dagma.linear import DagmaLinear

from world_models.causal_discovery import fit_dag
from world_models.graph_metrics import score_graph
from world_models.synthetic import linear_gaussian_sem, random_dag


def spread(values: list[float], digits: int = 1) -> str:
    deviation = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.{digits}f} +- {deviation:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--nodes", type=int, nargs="*", default=[10, 20])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--notears", action="store_true")
    args = parser.parse_args()
    fitters = {
        "fit_dag (DAGMA)": lambda data: fit_dag(data, method="dagma"),
        "dagma.DagmaLinear": lambda data: DagmaLinear(loss_type="l2", verbose=False).fit(
            data, lambda1=0.03, w_threshold=0.3
        ),
    }
    if args.notears:
        fitters["fit_dag (NOTEARS)"] = lambda data: fit_dag(data, method="notears")
    print(f"seeds 0..{args.seeds - 1}, ER2 graphs, n = {args.samples}, standardised")
    print("| nodes | method | SHD | edge F1 | true edges | seconds per fit |")
    print("|---:|---|---:|---:|---:|---:|")
    for nodes in args.nodes:
        results: dict[str, dict[str, list[float]]] = {
            name: {"shd": [], "f1": [], "seconds": []} for name in fitters
        }
        edges = []
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            truth = random_dag(nodes, 2, rng)
            _, data = linear_gaussian_sem(truth, args.samples, rng)
            edges.append(truth.sum())
            for name, fit in fitters.items():
                start = time.perf_counter()
                learned = fit(data)
                results[name]["seconds"].append(time.perf_counter() - start)
                scores = score_graph(truth, learned)
                results[name]["shd"].append(scores.shd)
                results[name]["f1"].append(scores.f1)
        for name, result in results.items():
            print(
                f"| {nodes} | {name} | {spread(result['shd'])} | {spread(result['f1'], 2)} | "
                f"{statistics.mean(edges):.1f} | {spread(result['seconds'])} |"
            )


if __name__ == "__main__":
    main()
