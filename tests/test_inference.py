"""Interventional and counterfactual inference on a known linear SCM, against closed forms."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

from world_models.inference import causal_order, counterfactual, intervene
from world_models.synthetic import random_dag

NODES = 6


def linear_scm(seed: int) -> tuple[np.ndarray, torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    adjacency = random_dag(NODES, 1.5, rng)
    weights = torch.tensor(adjacency * rng.uniform(0.5, 1.5, size=adjacency.shape))
    intercepts = torch.tensor(rng.normal(size=NODES))
    return adjacency, weights, intercepts


def closed_form(weights: torch.Tensor, exogenous: torch.Tensor, node: int, value: float):
    """Z = E (I - W_cut)^-1, W_cut without the intervened node's incoming edges, E_node = x."""
    cut = weights.clone()
    cut[:, node] = 0.0
    exogenous = exogenous.clone()
    exogenous[:, node] = value
    return exogenous @ torch.linalg.inv(torch.eye(NODES, dtype=weights.dtype) - cut)


@pytest.mark.parametrize("seed", range(4))
def test_intervention_and_counterfactual_match_the_closed_form(seed: int) -> None:
    adjacency, weights, intercepts = linear_scm(seed)
    rng = np.random.default_rng(100 + seed)
    noise = torch.tensor(rng.normal(size=(8, NODES)))
    factual = (noise + intercepts) @ torch.linalg.inv(
        torch.eye(NODES, dtype=torch.float64) - weights
    )

    def predict(values: torch.Tensor) -> torch.Tensor:
        return values @ weights + intercepts

    roots = ~adjacency.any(axis=0)
    for node in range(NODES):
        # do(): roots keep their values, other nodes their expected value given their parents.
        exogenous = torch.where(torch.tensor(roots), factual, intercepts.expand_as(factual))
        expected = closed_form(weights, exogenous, node, 2.5)
        result = intervene(predict, adjacency, factual, {node: 2.5})
        torch.testing.assert_close(result, expected)
        # Counterfactual: the factual noise (residuals) is kept.
        expected = closed_form(weights, noise + intercepts, node, -1.0)
        result = counterfactual(predict, adjacency, factual, {node: -1.0})
        torch.testing.assert_close(result, expected)
        descendants = nx.descendants(nx.DiGraph(adjacency), node) | {node}
        unchanged = [k for k in range(NODES) if k not in descendants]
        assert torch.equal(result[:, unchanged], factual[:, unchanged])


def test_counterfactual_without_intervention_returns_the_factual() -> None:
    adjacency, weights, intercepts = linear_scm(0)
    factual = torch.randn(5, NODES, dtype=torch.float64)
    same = counterfactual(lambda z: z @ weights + intercepts, adjacency, factual, {})
    torch.testing.assert_close(same, factual)


def test_inference_is_differentiable_in_the_mechanisms() -> None:
    adjacency, weights, intercepts = linear_scm(1)
    weights.requires_grad_(True)
    factual = torch.randn(4, NODES, dtype=torch.float64)
    order = causal_order(adjacency)
    result = intervene(lambda z: z @ weights + intercepts, adjacency, factual, {order[0]: 1.0})
    result.sum().backward()
    assert weights.grad is not None and torch.isfinite(weights.grad).all()


def test_bad_input_is_rejected() -> None:
    adjacency, weights, _ = linear_scm(0)
    factual = torch.zeros(2, NODES, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"not in 0\.\.5"):
        intervene(lambda z: z @ weights, adjacency, factual, {NODES: 1.0})
    with pytest.raises(ValueError, match="B x K"):
        intervene(lambda z: z @ weights, adjacency, factual[0], {0: 1.0})
    with pytest.raises(ValueError, match="cycle"):
        causal_order(np.array([[0, 1], [1, 0]]))
