"""Scores of a learned directed graph against the true one (binary adjacency matrices).

Convention: ``adjacency[j, k] != 0`` is the edge j -> k, as in the NOTEARS weight matrix W.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np


@dataclass(frozen=True)
class GraphScores:
    """SHD and directed-edge precision, recall and F1 of a learned graph."""

    shd: int
    precision: float
    recall: float
    f1: float
    true_edges: int
    learned_edges: int


def _binary(adjacency: np.ndarray, name: str) -> np.ndarray:
    matrix = np.asarray(adjacency)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{name} has NaN or infinite entries")
    return matrix != 0


def structural_hamming_distance(true: np.ndarray, learned: np.ndarray) -> int:
    """Edge insertions, deletions and reversals that turn ``learned`` into ``true``; a reversed
    edge counts once."""
    truth, guess = _binary(true, "true"), _binary(learned, "learned")
    if truth.shape != guess.shape:
        raise ValueError(f"shapes differ: true {truth.shape}, learned {guess.shape}")
    # Compare the skeletons (unordered pairs) and, where both have an edge, the directions.
    true_pairs, learned_pairs = truth | truth.T, guess | guess.T
    upper = np.triu(np.ones_like(truth), k=1)
    missing_or_extra = int(np.sum((true_pairs != learned_pairs) & upper))
    shared = true_pairs & learned_pairs & upper
    wrong_direction = int(np.sum(shared & ((truth != guess) | (truth.T != guess.T))))
    return missing_or_extra + wrong_direction


def score_graph(true: np.ndarray, learned: np.ndarray) -> GraphScores:
    """SHD plus precision, recall and F1 over directed edges (a reversed edge is wrong)."""
    truth, guess = _binary(true, "true"), _binary(learned, "learned")
    shd = structural_hamming_distance(truth, guess)
    off_diagonal = ~np.eye(len(truth), dtype=bool)
    truth, guess = truth & off_diagonal, guess & off_diagonal
    hits = int(np.sum(truth & guess))
    true_edges, learned_edges = int(truth.sum()), int(guess.sum())
    precision = hits / learned_edges if learned_edges else float(true_edges == 0)
    recall = hits / true_edges if true_edges else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return GraphScores(shd, precision, recall, f1, true_edges, learned_edges)


def adjacency_of(graph: nx.DiGraph, nodes: list[str]) -> np.ndarray:
    """The 0/1 adjacency matrix of ``graph`` restricted to ``nodes``, in that order."""
    index = {name: i for i, name in enumerate(nodes)}
    matrix = np.zeros((len(nodes), len(nodes)))
    for parent, child in graph.edges:
        if parent in index and child in index:
            matrix[index[parent], index[child]] = 1.0
    return matrix


def lagged_shd(true: np.ndarray, learned: np.ndarray) -> int:
    """SHD of a dynamics graph (edge j -> k: j at step t is a parent of k at t + 1).

    Between two time slices every entry is its own edge, self-loops included, and j -> k
    is not the reverse of k -> j, so the distance is the number of entries that differ.
    """
    truth, guess = _binary(true, "true"), _binary(learned, "learned")
    if truth.shape != guess.shape:
        raise ValueError(f"shapes differ: true {truth.shape}, learned {guess.shape}")
    return int(np.sum(truth != guess))


def window_graph(adjacency: np.ndarray, state_count: int, steps: int) -> np.ndarray:
    """The lagged graph of ``steps`` env steps taken as one, from a one-step lagged graph.

    ``adjacency`` is over states (the first ``state_count`` nodes) then actions, as in
    ``lagged_shd``. Across the window, state j at t is a parent of state i at t + steps when a
    path of exactly ``steps`` one-step edges joins them; an action, held through the window,
    when a path of 1 to ``steps`` edges does (it acts at every step, the last one included).
    Edges into actions stay empty.
    """
    graph = _binary(adjacency, "adjacency").astype(int)
    if not 0 < state_count <= len(graph):
        raise ValueError(f"state_count must be in [1, {len(graph)}], got {state_count}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    between_states = graph[:state_count, :state_count]
    reach = np.eye(state_count, dtype=int)
    held_action = np.zeros((state_count, state_count), dtype=int)
    for _ in range(steps):
        held_action = np.minimum(held_action + reach, 1)
        reach = np.minimum(reach @ between_states, 1)
    window = np.zeros_like(graph)
    window[:state_count, :state_count] = reach
    actions_to_states = graph[state_count:, :state_count]
    window[state_count:, :state_count] = np.minimum(actions_to_states @ held_action, 1)
    return window
