"""Interventional and counterfactual inference in a learned structural model.

A structural model here is a graph (K x K adjacency, ``[j, k] != 0``: z_j -> z_k) and a
``predict`` function mapping values Z (B x K) to each node's prediction from its parents
(B x K; column k may read only the parents of k; for a root it is a constant). Then

- ``intervene``: do(z_i = x) cuts i's incoming edges; the other nodes are recomputed in
  causal order from their parents' new values; roots keep their given values.
- ``counterfactual``: abduction (each node's residual z_k - predict(Z)_k in the factual
  sample), action (the do), prediction (every node = predict from its parents' counterfactual
  values + its own factual residual): Pearl's three steps. Only the intervened nodes'
  descendants are recomputed, so every other node keeps its factual value bit for bit.

Works on torch tensors (differentiable) or anything with the same indexing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import networkx as nx
import numpy as np
import torch

Predict = Callable[[torch.Tensor], torch.Tensor]


def causal_order(adjacency: np.ndarray | torch.Tensor) -> list[int]:
    """The nodes in an order where every parent comes before its children."""
    matrix = np.asarray(adjacency.detach().cpu() if torch.is_tensor(adjacency) else adjacency)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(matrix)))
    graph.add_edges_from(zip(*np.nonzero(matrix)))
    if not nx.is_directed_acyclic_graph(graph):
        raise ValueError("the graph has a cycle: inference needs a DAG")
    return list(nx.lexicographical_topological_sort(graph))


def _check(values: torch.Tensor, interventions: Mapping[int, float | torch.Tensor]) -> None:
    if values.ndim != 2:
        raise ValueError(f"values must be B x K, got shape {tuple(values.shape)}")
    for node in interventions:
        if not 0 <= node < values.shape[1]:
            raise ValueError(f"intervened node {node} is not in 0..{values.shape[1] - 1}")


def _propagate(
    predict: Predict,
    adjacency: np.ndarray | torch.Tensor,
    values: torch.Tensor,
    interventions: Mapping[int, float | torch.Tensor],
    residuals: torch.Tensor | None,
) -> torch.Tensor:
    matrix = np.asarray(adjacency.detach().cpu() if torch.is_tensor(adjacency) else adjacency)
    if residuals is None:
        recompute = set(np.flatnonzero(matrix.any(axis=0)))  # every non-root
    else:
        graph = nx.DiGraph(list(zip(*np.nonzero(matrix))))
        recompute = {
            d for node in interventions if node in graph for d in nx.descendants(graph, node)
        }
    columns = list(values.unbind(dim=1))
    for node in causal_order(matrix):
        if node in interventions:
            columns[node] = torch.as_tensor(interventions[node]).to(values).expand(len(values))
        elif node in recompute:
            prediction = predict(torch.stack(columns, dim=1))[:, node]
            columns[node] = prediction if residuals is None else prediction + residuals[:, node]
    return torch.stack(columns, dim=1)


def intervene(
    predict: Predict,
    adjacency: np.ndarray | torch.Tensor,
    values: torch.Tensor,
    interventions: Mapping[int, float | torch.Tensor],
) -> torch.Tensor:
    """Values under do(z_i = x for i, x in interventions): the model's expected outcome, roots
    taken from ``values``."""
    _check(values, interventions)
    return _propagate(predict, adjacency, values, interventions, residuals=None)


def counterfactual(
    predict: Predict,
    adjacency: np.ndarray | torch.Tensor,
    factual: torch.Tensor,
    interventions: Mapping[int, float | torch.Tensor],
) -> torch.Tensor:
    """What ``factual`` would have been under the interventions, its residuals held fixed."""
    _check(factual, interventions)
    residuals = factual - predict(factual)
    return _propagate(predict, adjacency, factual, interventions, residuals=residuals)
