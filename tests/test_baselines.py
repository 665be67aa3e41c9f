"""world_models.baselines (MLP, MAML, ProtoNets) and NSL, CSML on the fixed full graph."""

from __future__ import annotations

import pytest
import torch

from world_models.baselines import (
    BaselineConfig,
    MAMLBaseline,
    MLPBaseline,
    ProtoNetBaseline,
    train_baseline,
)
from world_models.csml import CSML, CSMLConfig, meta_train


def test_intervention_features_say_what_is_set(seesaw_questions) -> None:
    train, _ = seesaw_questions
    model = MLPBaseline(train)
    data = model.tensors(train)
    properties = model.properties
    support = model.inputs(data, 0, "support")
    assert (support[:, model.features :] == 0).all()
    assert (model.inputs(data, 0, "prediction")[:, model.features :] == 0).all()
    changed = model.inputs(data, 0, "counterfactual")
    targets = data.targets["counterfactual"][0]
    assert torch.equal(changed[:, model.features : model.features + properties].argmax(1), targets)
    assert torch.equal(changed[:, model.features + properties], data.values["counterfactual"][0])
    factual = changed[:, model.features + properties + 1 :].argmax(1)
    assert torch.equal(factual, data.factual_answer[0])
    intervention = model.inputs(data, 0, "intervention")
    assert (intervention[:, model.features + properties + 1 :] == 0).all()


@pytest.mark.parametrize("baseline", [MLPBaseline, MAMLBaseline, ProtoNetBaseline])
def test_each_baseline_learns_held_out_questions(seesaw_questions, baseline) -> None:
    train, held_out = seesaw_questions
    model = baseline(train, BaselineConfig(iterations=150))
    data = model.tensors(held_out)
    before = model.accuracy(data)
    losses = train_baseline(model, train)
    after = model.accuracy(data)
    assert sum(losses[-15:]) < sum(losses[:15])
    for kind in ("prediction", "intervention", "counterfactual"):
        assert after[kind] >= 0.55 and after[kind] >= before[kind] + 0.15, (kind, before, after)


def test_observational_training_never_sees_intervention_answers(seesaw_questions) -> None:
    train, _ = seesaw_questions
    model = MLPBaseline(train, BaselineConfig(interventional=False))
    assert model.trained_kinds() == ("prediction",)
    data = model.tensors(train)
    # The loss must not change when the training tasks' intervention answers do.
    loss = model.task_loss(data, 0)
    for kind in ("intervention", "counterfactual"):
        data.answers[kind][0] = (data.answers[kind][0] + 1) % 3
    assert torch.equal(model.task_loss(data, 0), loss)


def test_prototypes_work_from_one_shot_without_every_class(seesaw_questions) -> None:
    train, _ = seesaw_questions
    model = ProtoNetBaseline(train)
    data = model.tensors(train)
    logits = model.logits(data, 0, "prediction", shots=1)
    assert logits.shape == (data.queries["prediction"].shape[1], 3)
    assert torch.isfinite(logits).all()


def test_maml_adapts_to_the_support_set(seesaw_questions) -> None:
    train, _ = seesaw_questions
    model = MAMLBaseline(train)
    data = model.tensors(train)
    adapted = model.adapt(data, 0, shots=5, differentiable=False)
    initial = dict(model.network.named_parameters())
    assert any(not torch.equal(adapted[name], initial[name]) for name in initial)


def test_nsl_keeps_its_full_graph(seesaw_questions) -> None:
    train, _ = seesaw_questions
    model = CSML(train, CSMLConfig(graph="full", iterations=3, refit_steps=5))
    graph_before = model.graph.detach().clone()
    meta_train(model, train)
    assert torch.equal(model.graph.detach(), graph_before)
    assert torch.equal(model.weights(), model.mask)


def test_bad_settings_are_named(seesaw_questions) -> None:
    train, _ = seesaw_questions
    with pytest.raises(ValueError, match="'learned' or 'full'"):
        CSML(train, CSMLConfig(graph="complete"))
    model = MLPBaseline(train)
    with pytest.raises(ValueError, match=r"shots must be in 1\.\.5"):
        model.accuracy(model.tensors(train), shots=0)
    with pytest.raises(ValueError, match="kinds must be among"):
        model.accuracy(model.tensors(train), kinds=("explanation",))
