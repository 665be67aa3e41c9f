"""Causal induction: graph metrics on hand-made cases, acyclicity functions, fit_dag."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

from world_models.causal_discovery import (
    DagFitConfig,
    dagma_acyclicity,
    fit_dag,
    in_dagma_domain,
    least_squares_score,
    notears_acyclicity,
)
from world_models.graph_metrics import adjacency_of, score_graph, structural_hamming_distance
from world_models.synthetic import linear_gaussian_sem, random_dag


def matrix(size: int, edges: list[tuple[int, int]]) -> np.ndarray:
    result = np.zeros((size, size))
    for j, k in edges:
        result[j, k] = 1.0
    return result


CHAIN = matrix(4, [(0, 1), (1, 2), (2, 3)])


@pytest.mark.parametrize(
    ("learned", "shd", "precision", "recall"),
    [
        (CHAIN, 0, 1.0, 1.0),
        (matrix(4, [(0, 1), (1, 2)]), 1, 1.0, 2 / 3),  # one missing
        (matrix(4, [(0, 1), (1, 2), (2, 3), (0, 3)]), 1, 0.75, 1.0),  # one extra
        (matrix(4, [(1, 0), (1, 2), (2, 3)]), 1, 2 / 3, 2 / 3),  # one reversed: counts once
        (matrix(4, [(1, 0), (2, 1), (3, 2)]), 3, 0.0, 0.0),  # all reversed
        (np.zeros((4, 4)), 3, 0.0, 0.0),
        (matrix(4, [(0, 2), (3, 1)]), 5, 0.0, 0.0),  # 3 missing, 2 extra
    ],
)
def test_graph_scores_on_hand_made_cases(learned, shd, precision, recall) -> None:
    scores = score_graph(CHAIN, learned)
    assert scores.shd == shd
    assert scores.precision == pytest.approx(precision)
    assert scores.recall == pytest.approx(recall)
    expected_f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    assert scores.f1 == pytest.approx(expected_f1)
    assert structural_hamming_distance(learned, CHAIN) == shd  # symmetric


def test_graph_scores_read_weights_and_reject_bad_matrices() -> None:
    assert score_graph(CHAIN, 0.7 * CHAIN).shd == 0  # any non-zero weight is an edge
    with pytest.raises(ValueError, match="square"):
        score_graph(CHAIN, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="shapes differ"):
        score_graph(CHAIN, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        score_graph(CHAIN, np.full((4, 4), np.nan))


def test_adjacency_of_a_networkx_graph() -> None:
    graph = nx.DiGraph([("a", "b"), ("b", "c"), ("x", "c")])
    assert adjacency_of(graph, ["a", "b", "c"]).tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]


def test_acyclicity_is_zero_exactly_on_dags() -> None:
    dag = torch.tensor(CHAIN * 0.8)
    cyclic = dag.clone()
    cyclic[3, 0] = 0.5
    assert float(notears_acyclicity(dag)) == pytest.approx(0.0, abs=1e-12)
    assert float(notears_acyclicity(cyclic)) > 1e-3
    assert in_dagma_domain(dag) and in_dagma_domain(cyclic)
    assert float(dagma_acyclicity(dag)) == pytest.approx(0.0, abs=1e-12)
    assert float(dagma_acyclicity(cyclic)) > 1e-3
    assert not in_dagma_domain(torch.tensor([[0.0, 2.0], [2.0, 0.0]]))


def test_closed_form_gradients_match_autograd() -> None:
    """The solvers step with closed-form gradients of the public functions."""
    rng = np.random.default_rng(0)
    weights = torch.tensor(rng.uniform(-0.3, 0.3, size=(5, 5)), requires_grad=True)
    samples = torch.tensor(rng.standard_normal((50, 5)))
    covariance = samples.T @ samples / 50
    eye = torch.eye(5, dtype=torch.float64)
    w = weights.detach()
    (score_autograd,) = torch.autograd.grad(least_squares_score(weights, samples), weights)
    torch.testing.assert_close(score_autograd, covariance @ (w - eye))
    (notears_autograd,) = torch.autograd.grad(notears_acyclicity(weights), weights)
    torch.testing.assert_close(notears_autograd, 2 * w * torch.linalg.matrix_exp(w * w).T)
    (dagma_autograd,) = torch.autograd.grad(dagma_acyclicity(weights, 0.9), weights)
    torch.testing.assert_close(dagma_autograd, 2 * w * torch.linalg.inv(0.9 * eye - w * w).T)


@pytest.mark.parametrize("method", ["dagma", "notears"])
def test_fit_dag_recovers_a_small_graph(method: str) -> None:
    """Five nodes, raw (unstandardised) linear-Gaussian data: the exact graph, and weights
    near the least-squares fit of each node on its true parents (the path's sparsity and
    acyclicity terms shrink them a little: the dagma package's DagmaLinear gives 1.43 where
    least squares gives 1.60 on this data, as ours does)."""
    rng = np.random.default_rng(3)
    truth = matrix(5, [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)])
    _, samples = linear_gaussian_sem(truth, 2000, rng, standardise=False)
    learned = fit_dag(samples, method=method)
    assert score_graph(truth, learned).shd == 0
    centred = samples - samples.mean(axis=0)
    for child in range(5):
        parents = np.flatnonzero(truth[:, child])
        if len(parents):
            fitted, *_ = np.linalg.lstsq(centred[:, parents], centred[:, child], rcond=None)
            np.testing.assert_allclose(learned[parents, child], fitted, atol=0.2)
    assert nx.is_directed_acyclic_graph(nx.DiGraph(learned))


def test_fit_dag_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        fit_dag(np.zeros((10, 3)), method="pc")
    with pytest.raises(ValueError, match="N x K"):
        fit_dag(np.zeros(10))
    with pytest.raises(ValueError, match="NaN"):
        fit_dag(np.full((10, 3), np.nan))
    with pytest.raises(ValueError, match=r"unknown settings.*valid: method, l1"):
        fit_dag(np.zeros((10, 3)), not_a_setting=1)
    assert DagFitConfig().method == "dagma"


def test_random_dag_is_acyclic_with_the_expected_density() -> None:
    rng = np.random.default_rng(0)
    counts = []
    for _ in range(50):
        adjacency = random_dag(20, 2, rng)
        assert nx.is_directed_acyclic_graph(nx.DiGraph(adjacency))
        counts.append(adjacency.sum())
    assert 35 < np.mean(counts) < 45  # 2 x 20 expected
    _, samples = linear_gaussian_sem(random_dag(10, 2, rng), 500, rng)
    np.testing.assert_allclose(samples.std(axis=0), 1.0)
