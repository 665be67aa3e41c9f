"""CSML meta-training (Algorithm 1) learns the prediction questions of a scene."""

from __future__ import annotations

import torch

from causal_gym.questions import generate
from world_models.csml import CSML, CSMLConfig, meta_train


def test_meta_training_learns_prediction_questions() -> None:
    train = generate("CausalWorld-Seesaw-v0", "train", 0, 40, 5, 3, images=False)
    test = generate("CausalWorld-Seesaw-v0", "train", 100, 20, 5, 3, images=False)
    model = CSML(train, CSMLConfig(iterations=200))
    before = model.accuracy(model.tensors(test))["prediction"]
    graph_before = model.weights().detach().clone()
    losses = meta_train(model, train)
    after = model.accuracy(model.tensors(test))["prediction"]
    assert after >= before + 0.15 and after >= 0.55, (before, after)
    assert sum(losses[-20:]) < sum(losses[:20])
    weights = model.weights().detach()
    assert not torch.equal(weights, graph_before)  # the graph step moved W
    assert (weights.diagonal() == 0).all() and (weights[-1] == 0).all()  # structural prior
