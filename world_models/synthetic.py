"""Synthetic linear-Gaussian structural equation models, for testing causal discovery."""

from __future__ import annotations

import numpy as np


def random_dag(nodes: int, edges_per_node: float, rng: np.random.Generator) -> np.ndarray:
    """An Erdos-Renyi DAG as a 0/1 matrix (``[j, k] = 1``: j -> k) with ``edges_per_node x
    nodes`` edges expected, its nodes in random order."""
    if nodes < 2:
        raise ValueError(f"nodes must be >= 2, got {nodes}")
    probability = min(1.0, 2.0 * edges_per_node / (nodes - 1))
    upper = np.triu(rng.uniform(size=(nodes, nodes)) < probability, k=1).astype(float)
    order = rng.permutation(nodes)
    return upper[np.ix_(order, order)]


def linear_gaussian_sem(
    adjacency: np.ndarray,
    samples: int,
    rng: np.random.Generator,
    weight_range: tuple[float, float] = (0.5, 2.0),
    standardise: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Edge weights (uniform in +-``weight_range``) and ``samples`` rows of Z = Z W + noise,
    noise N(0, 1). With ``standardise`` every column is scaled to unit variance, so that the
    variances' order (which grows along the causal order) does not give the graph away."""
    low, high = weight_range
    signs = rng.choice([-1.0, 1.0], size=adjacency.shape)
    weights = adjacency * signs * rng.uniform(low, high, size=adjacency.shape)
    noise = rng.standard_normal((samples, len(adjacency)))
    data = noise @ np.linalg.inv(np.eye(len(adjacency)) - weights)
    if standardise:
        data = (data - data.mean(axis=0)) / data.std(axis=0)
    return weights, data
