"""The GCN reasoner is a structural model: parents only, and it learns mechanisms that
answer interventions and counterfactuals on a known nonlinear SCM."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from world_models.inference import counterfactual, intervene
from world_models.reasoning import GCNReasoner, normalised_parent_adjacency
from world_models.synthetic import random_dag

# z0 -> z1, z0 -> z2, z1 -> z3, z2 -> z3
GRAPH = torch.tensor([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], dtype=torch.float32)


def sample_scm(count: int, generator: torch.Generator) -> torch.Tensor:
    noise = 0.1 * torch.randn(count, 4, generator=generator)
    z0 = torch.randn(count, generator=generator)
    z1 = torch.tanh(2 * z0) + noise[:, 1]
    z2 = 0.5 * z0**2 + noise[:, 2]
    z3 = z1 + torch.sin(2 * z2) + noise[:, 3]
    return torch.stack([z0, z1, z2, z3], dim=1)


def test_each_prediction_reads_only_the_parents() -> None:
    torch.manual_seed(0)
    adjacency = torch.tensor(random_dag(6, 1.5, np.random.default_rng(0)), dtype=torch.float32)
    model = GCNReasoner(6, symbol_dim=2)
    symbols = torch.randn(1, 6, 2)
    jacobian = torch.autograd.functional.jacobian(lambda z: model(z, adjacency), symbols)
    # d prediction[k] / d symbol[j], summed over the symbol dimensions
    influence = jacobian[0].abs().sum(dim=(1, 4))[:, 0]
    for k in range(6):
        for j in range(6):
            if adjacency[j, k] == 0:
                assert influence[k, j] == 0, (j, k)
    assert (influence[adjacency.T != 0] > 0).all()


def test_learned_mechanisms_answer_interventions_and_counterfactuals() -> None:
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    data = sample_scm(4000, generator)
    model = GCNReasoner(4, hidden=32)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(600):
        loss = (model(data[:, :, None], GRAPH)[..., 0] - data).pow(2)[:, 1:].mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    predict = model.predictor(GRAPH)
    factual = sample_scm(500, generator)
    with torch.no_grad():
        # do(z1 = 0.5): z3 = 0.5 + sin(2 z2), z2 untouched (not a descendant of z1).
        result = intervene(predict, GRAPH, factual, {1: 0.5})
        expected = 0.5 + torch.sin(2 * 0.5 * factual[:, 0] ** 2)
        assert (result[:, 3] - expected).abs().mean() < 0.1
        # do(z0 = 1): z1 = tanh(2), z2 = 0.5, z3 = tanh(2) + sin(1) in expectation.
        result = intervene(predict, GRAPH, factual, {0: 1.0})
        assert abs(float(result[:, 3].mean()) - (np.tanh(2) + np.sin(1))) < 0.1
        # Counterfactual do(z1 = z1 + 0.3): z3 moves by exactly 0.3 in the true SCM.
        shifted = counterfactual(predict, GRAPH, factual, {1: factual[:, 1] + 0.3})
        assert (shifted[:, 3] - factual[:, 3] - 0.3).abs().mean() < 0.1
        assert torch.equal(shifted[:, [0, 2]], factual[:, [0, 2]])


def test_the_graph_weights_get_gradients_and_bad_shapes_are_named() -> None:
    weights = (0.5 * GRAPH).requires_grad_(True)
    model = GCNReasoner(4)
    model(torch.randn(3, 4, 1), weights).sum().backward()
    assert weights.grad is not None and weights.grad.abs().sum() > 0
    assert torch.allclose(normalised_parent_adjacency(GRAPH).diagonal(), torch.zeros(4))
    with pytest.raises(ValueError, match="B x 4 x 1"):
        model(torch.randn(3, 4), GRAPH)
    with pytest.raises(ValueError, match="4 x 4"):
        model(torch.randn(3, 4, 1), torch.zeros(3, 3))


def test_a_categorical_node_reads_out_one_logit_per_class() -> None:
    model = GCNReasoner(4, outputs=3)
    logits = model(torch.randn(5, 4, 1), GRAPH)
    assert logits.shape == (5, 4, 3)
    # z3's logits still read only its parents z1 and z2.
    symbols = torch.randn(1, 4, 1, requires_grad=True)
    (gradient,) = torch.autograd.grad(model(symbols, GRAPH)[0, 3].sum(), symbols)
    assert gradient[0, 0] == 0 and gradient[0, 3] == 0 and gradient[0, 1:3].abs().sum() > 0
    with pytest.raises(ValueError, match="symbol_dim = outputs = 1"):
        model.predictor(GRAPH)


def test_one_node_alone_matches_that_node_of_the_full_pass() -> None:
    torch.manual_seed(0)
    model = GCNReasoner(6, symbol_dim=2, outputs=3)
    symbols = torch.randn(50, 6, 2)
    weights = torch.rand(6, 6)
    every_node = model(symbols, weights)
    for node in (0, 3, 5, -1):
        alone = model(symbols, weights, node=node)
        assert alone.shape == (50, 3)
        assert torch.allclose(alone, every_node[:, node], atol=1e-5)
    with pytest.raises(ValueError, match=r"node must be in \[-6, 6\)"):
        model(symbols, weights, node=6)
