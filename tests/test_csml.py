"""CSML meta-training (Algorithm 1) learns a scene's questions; its property graph."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from causal_gym.questions import generate
from world_models.csml import (
    CSML,
    CSMLConfig,
    _true_property_losses,
    censored_normal_log_prob,
    fit_censored_line,
    meta_train,
    reading_bounds,
    saturation_bounds,
    scene_config,
)


def test_meta_training_learns_every_question_kind(seesaw_questions) -> None:
    train, held_out = seesaw_questions
    model = CSML(train, CSMLConfig(iterations=200))
    data = model.tensors(held_out)
    before = model.accuracy(data)
    graph_before = model.weights().detach().clone()
    losses = meta_train(model, train)
    after = model.accuracy(data)
    for kind in ("prediction", "intervention", "counterfactual"):
        assert after[kind] >= before[kind] + 0.15 and after[kind] >= 0.55, (kind, before, after)
    one_shot = model.accuracy(data, 1, ("prediction",))["prediction"]
    assert one_shot >= 0.6, one_shot
    assert sum(losses[-20:]) < sum(losses[:20])
    # The inner loop starts from roots read off each held-out task's own support episodes.
    with torch.no_grad():
        roots = torch.stack(
            [model.initial_roots(s, a) for s, a in zip(data.support, data.support_answer)]
        )
    payload = torch.corrcoef(torch.stack([roots[:, 0], data.properties[:, 0]]))[0, 1]
    assert payload > 0.5, payload
    weights = model.weights().detach()
    assert not torch.equal(weights, graph_before)  # the graph step moved W
    # The property the questions intervene on keeps its edge to the outcome.
    assert model.property_graph()[0, -1] == 1, weights[:, -1]
    assert (weights.diagonal() == 0).all() and (weights[-1] == 0).all()  # structural prior


def test_property_graph_follows_paths_through_symbols(seesaw_questions) -> None:
    train, _ = seesaw_questions
    model = CSML(train, CSMLConfig(symbols=2))  # nodes: z1, z2, payload_mass, pivot_damping, o
    with torch.no_grad():
        model.graph.zero_()
        model.graph[2, 4] = 0.5  # payload_mass -> outcome
        model.graph[3, 0] = -0.4  # pivot_damping -> z1 -> z2 -> outcome
        model.graph[0, 1] = 0.6
        model.graph[1, 4] = 0.35
    expected = np.array([[0, 0, 1], [0, 0, 1], [0, 0, 0]])
    assert np.array_equal(model.property_graph(), expected)
    with torch.no_grad():
        model.graph[0, 1] = 0.1  # below the cut: the path breaks
    assert np.array_equal(model.property_graph(), np.array([[0, 0, 1], [0, 0, 0], [0, 0, 0]]))


def test_inputs_encoder_makes_each_input_a_symbol_node(seesaw_questions) -> None:
    """Also Shuffle's other setting: the causal answers fitted under the true properties."""
    train, held_out = seesaw_questions
    model = CSML(train, CSMLConfig(encoder="inputs", interventional_roots="true", iterations=60))
    manifest = train.manifest
    names = [*manifest["state_variables"], *manifest["action_variables"]]
    assert model.symbol_names == names and model.symbols == len(names) == model.features
    assert model.nodes == len(names) + len(manifest["property_variables"]) + 1
    assert model.encoder is None
    data = model.tensors(held_out)
    assert torch.equal(model.encode(data.support[0]), data.support[0])
    before = model.accuracy(data)
    meta_train(model, train)
    after = model.accuracy(data)
    for kind in ("prediction", "intervention", "counterfactual"):
        assert after[kind] >= before[kind] + 0.1 and after[kind] >= 0.5, (kind, before, after)
    # The posterior's outcome-only pass gives the all-node pass's answers.
    params = model.reasoning_parameters()
    inputs, roots = data.queries["intervention"][0], torch.rand(3, model.properties)
    with torch.no_grad():
        torch.testing.assert_close(
            model.logits(params, inputs, roots, outcome_only=True),
            model.logits(params, inputs, roots),
        )


def test_bad_inner_loop_setting_is_named(seesaw_questions) -> None:
    train, _ = seesaw_questions
    with pytest.raises(ValueError, match="encoder must be 'mlp' or 'inputs'"):
        CSML(train, CSMLConfig(encoder="vit"))
    with pytest.raises(ValueError, match="'roots' or 'reasoner'"):
        CSML(train, CSMLConfig(inner_adapts="everything"))
    with pytest.raises(ValueError, match="inner_lr must be > 0"):
        CSML(train, CSMLConfig(inner_lr=0.0))
    with pytest.raises(ValueError, match="'posterior' or 'adapted'"):
        CSML(train, CSMLConfig(roots="mean"))
    with pytest.raises(ValueError, match="interventional_roots must be 'adapted' or 'true'"):
        CSML(train, CSMLConfig(interventional_roots="false"))
    with pytest.raises(ValueError, match="prior_scale > 0"):
        CSML(train, CSMLConfig(prior_scale=0.0))
    with pytest.raises(ValueError, match="root_prior must be 'estimate' or 'training'"):
        CSML(train, CSMLConfig(root_prior="uniform"))
    with pytest.raises(ValueError, match="they need roots='posterior'"):
        CSML(train, CSMLConfig(roots="adapted", symbol_likelihood=True))
    for weight in (0.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="symbol_weight must be > 0 and finite"):
            CSML(train, CSMLConfig(symbol_weight=weight))


def test_one_support_episode_moves_the_start_less_than_five(seesaw_questions) -> None:
    train, _ = seesaw_questions
    model = CSML(train, CSMLConfig())
    data = model.tensors(train)
    with torch.no_grad():
        model.support_roots.weight.normal_()
        model.log_prior_episodes.fill_(math.log(2.0))
        episode, answer = data.support[0, :1], data.support_answer[0, :1]
        once = model.initial_roots(episode, answer) - model.hidden_init
        five_times = model.initial_roots(episode.repeat(5, 1), answer.repeat(5)) - model.hidden_init
    # The same evidence seen n times pools to n / (n + kappa) of one reading (kappa = 2).
    torch.testing.assert_close(once / (1 / 3), five_times / (5 / 7))
    averaged = CSML(train, CSMLConfig(shrink_estimate=False))
    averaged.load_state_dict(model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(
            averaged.initial_roots(episode, answer),
            averaged.initial_roots(episode.repeat(5, 1), answer.repeat(5)),
        )


def test_a_property_constant_in_training_stays_finite() -> None:
    """Ramp's training tasks hold the block's properties at one value: they are scaled by their
    valid range instead (a zero-width training range gave 0 / 0, and every model answered one
    class). The scaled constant is 0 and a do() on it has a finite size."""
    train = generate("CausalWorld-Ramp-v0", "train", 0, 6, 2, 2, images=False)
    model = CSML(train, CSMLConfig(iterations=4, meta_batch=2))
    data = model.tensors(train)
    block_mass = train.manifest["property_variables"].index("block_mass")
    assert data.properties[:, block_mass].abs().max() < 1e-6
    for kind in ("intervention", "counterfactual"):
        assert torch.isfinite(data.values[kind]).all()
    assert all(math.isfinite(loss) for loss in meta_train(model, train))


def test_inference_never_moves_a_root_held_constant_in_training() -> None:
    """Ramp's block properties and restitution are one value in every training-range task, so
    their roots are known: the support estimate, the inner loop, the posterior's draws and
    abduction leave them at that constant (0), while the ball's roots move; a do still sets
    them."""
    train = generate("CausalWorld-Ramp-v0", "train", 0, 6, 2, 2, images=False)
    model = CSML(train, CSMLConfig(iterations=4, meta_batch=2, posterior_draws=500))
    meta_train(model, train)
    names = train.manifest["property_variables"]
    held = [names.index(n) for n in ("block_mass", "block_friction", "ball_restitution")]
    varied = [names.index(n) for n in ("ball_mass", "ball_friction", "gravity")]
    assert model.property_varies[held].tolist() == [0.0] * 3
    assert model.property_varies[varied].tolist() == [1.0] * 3
    data = model.tensors(train)
    params = model.adapt(data.support[0], data.support_answer[0], differentiable=False)
    assert params["hidden"][held].tolist() == [0.0] * 3
    assert (params["hidden"][varied] != 0).all()
    assert (model.root_draws[:, held] == 0).all()
    assert (model.root_draws[:, varied].std(dim=0) > 0.8).all()
    inputs = data.queries["counterfactual"][0]
    start = params["hidden"].detach().expand(len(inputs), -1)
    abducted = model.abduct(params, inputs, data.factual_answer[0], start)
    assert (abducted[:, held] == 0).all()
    assert not torch.equal(abducted[:, varied], start[:, varied])
    data.targets["intervention"][0] = held[0]
    data.values["intervention"][0] = 0.25
    intervened = model.intervene(abducted, data, 0, "intervention")
    assert (intervened[:, held[0]] == 0.25).all()
    probabilities = model.posterior_probabilities(data, 0, "intervention", None)
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(len(probabilities)))


def test_posterior_roots_weigh_support_and_factual_answers(seesaw_questions) -> None:
    """A hand-made mechanism: the answer is the class whose centre (0, 0.5, 1) is nearest the
    payload-mass root; pivot damping does nothing; episodes marked 1e3 tell nothing. The
    estimate says 0.5; do, the support answers and abduction must move the answer from it."""
    train, _ = seesaw_questions
    model = CSML(train, CSMLConfig(prior_scale=1.0, posterior_draws=4000))
    data = model.tensors(train)
    centres = torch.tensor([0.0, 0.5, 1.0])

    def logits(params, inputs, hidden, outcome_only=False):
        sharp = torch.log_softmax(-50.0 * (hidden[:, :1] - centres) ** 2, dim=1)
        silent = (inputs[:, :1] > 100.0).expand(-1, 3)
        return torch.where(silent, -torch.log(torch.tensor(3.0)), sharp)

    model.logits = logits
    model.initial_roots = lambda support, answers: torch.full((model.properties,), 0.5)
    questions = data.queries["counterfactual"].shape[1]
    for kind in ("intervention", "counterfactual"):
        data.values[kind][:] = 1.0
        data.targets[kind][:] = torch.arange(questions) % 2
    # Task 0: every support answer says the root is near 1.
    data.support_answer[0] = 2
    prediction = model.posterior_probabilities(data, 0, "prediction", None)
    assert (prediction[:, 2] > 0.9).all(), prediction
    torch.testing.assert_close(prediction.sum(dim=1), torch.ones(len(prediction)))
    # do(payload_mass = 1) answers 2 wherever the root was; do(pivot_damping) leaves it.
    data.support_answer[1] = 0
    intervened = model.posterior_probabilities(data, 1, "intervention", None).argmax(dim=1)
    assert intervened.tolist() == [2 if q % 2 == 0 else 0 for q in range(questions)]
    # Task 2: a silent support set; each question's own factual answer (0) places the root.
    data.support[2, :, 0] = 1e3
    data.factual_answer[2] = 0
    counterfactual = model.posterior_probabilities(data, 2, "counterfactual", None)
    assert counterfactual.argmax(dim=1).tolist() == [
        2 if q % 2 == 0 else 0 for q in range(questions)
    ]
    data.factual_answer[2] = 1
    moved = model.posterior_probabilities(data, 2, "counterfactual", None).argmax(dim=1)
    assert moved.tolist() == [2 if q % 2 == 0 else 1 for q in range(questions)]


def _fit_sand_equation(
    train, extra_parents: tuple[str, ...] = (), **config
) -> tuple[CSML, object, int, int]:
    """CSML on Seesaw's inputs whose graph's only edges are payload_mass (and
    ``extra_parents``) -> load_target and payload_mass -> outcome, with its symbols' equations
    fitted; with its data and the sand's and the payload's nodes."""
    model = CSML(train, CSMLConfig(encoder="inputs", **config))
    data = model.tensors(train)
    sand = model.symbol_names.index("load_target")
    payload = model.symbols + list(train.manifest["property_variables"]).index("payload_mass")
    with torch.no_grad():
        model.graph.zero_()
        model.graph[payload, sand] = 0.8
        for name in extra_parents:
            model.graph[model.symbol_names.index(name), sand] = 0.8
        model.graph[payload, -1] = 1.0
    model.fit_symbol_equations(data)
    return model, data, sand, payload


def test_symbol_equations_fit_the_designer_s_proxy_on_its_learned_parent(
    seesaw_questions,
) -> None:
    """Seesaw's designer draws the sand (the action, ``load_target``) from the payload mass:
    position in its range = clip(u + 0.15 z, 0, 1), u the payload's position in its training
    range. With the graph's only edge payload_mass -> load_target, that symbol alone gets an
    equation: least squares on the root and an intercept, residual spread near 0.15 of the
    range."""
    train, _ = seesaw_questions
    model, data, sand, payload = _fit_sand_equation(train)
    assert model.symbol_explained.tolist() == [k == sand for k in range(model.symbols)]
    shots = data.support.shape[1]
    roots = data.properties[:, payload - model.symbols].repeat_interleave(shots).numpy()
    observed = data.support.flatten(0, 1)[:, sand].numpy()
    slope, intercept = np.polyfit(roots, observed, 1)
    coefficients = model.symbol_coefficients[sand]
    assert coefficients[payload].item() == pytest.approx(slope, rel=1e-4)
    assert coefficients[-1].item() == pytest.approx(intercept, abs=1e-4)
    assert (coefficients[:payload] == 0).all() and (coefficients[payload + 1 : -1] == 0).all()
    # Standardised sand: the 0.15 spread over the range's standard deviation (1 / sqrt(12)),
    # less where the clip binds.
    assert 0.3 < model.symbol_noise[sand].item() < 0.55, model.symbol_noise
    assert (model.symbol_noise[torch.arange(model.symbols) != sand] == 1).all()


def test_censored_symbols_refit_the_clipped_proxy_s_equation(seesaw_questions) -> None:
    """The sand of the test above piles at both ends of its range (the designer's clip):
    with ``censored_symbols`` both bounds censor, and the maximum-likelihood line is steeper,
    its noise wider, than least squares'."""
    train, _ = seesaw_questions
    fitted = {}
    for censored in (False, True):
        model, _, sand, payload = _fit_sand_equation(train, censored_symbols=censored)
        fitted[censored] = model.symbol_coefficients[sand, payload], model.symbol_noise[sand]
        assert model.symbol_censored[sand].tolist() == [censored, censored]
        assert not model.symbol_censored[torch.arange(model.symbols) != sand].any()
    (plain_slope, plain_noise), (slope, noise) = fitted[False], fitted[True]
    assert slope > 1.03 * plain_slope and noise > 1.03 * plain_noise, fitted


def test_symbol_equations_survive_a_constant_parent(seesaw_questions) -> None:
    """A symbol constant in the data (Seesaw's beam starts at rest) as a parent of the sand
    makes the least squares rank-deficient; the equation must still be the payload's line
    (the default CPU driver of ``torch.linalg.lstsq`` returned all zeros here)."""
    train, _ = seesaw_questions
    model, data, sand, payload = _fit_sand_equation(train, ("beam_angular_velocity",))
    still = model.symbol_names.index("beam_angular_velocity")
    assert data.support[..., still].abs().max() == 0
    assert model.weights()[still, sand] == 0.8
    shots = data.support.shape[1]
    roots = data.properties[:, payload - model.symbols].repeat_interleave(shots).numpy()
    slope, intercept = np.polyfit(roots, data.support.flatten(0, 1)[:, sand].numpy(), 1)
    coefficients = model.symbol_coefficients[sand]
    assert coefficients[payload].item() == pytest.approx(slope, rel=1e-4)
    assert coefficients[-1].item() == pytest.approx(intercept, abs=1e-4)
    assert coefficients[still].item() == 0
    assert 0.3 < model.symbol_noise[sand].item() < 0.55


def _proxy_model(train, noise: float, **config) -> tuple[CSML, object, int]:
    """A CSML with a hand-made mechanism whose outcome is the first root's nearest of 0, 0.5, 1
    (the support answers tell nothing for episodes with a first input over 100), and the
    equation load_target = payload root (noise ``noise``); with its data and the symbol's
    index."""
    centres = torch.tensor([0.0, 0.5, 1.0])

    def logits(params, inputs, hidden, outcome_only=False):
        sharp = torch.log_softmax(-50.0 * (hidden[:, :1] - centres) ** 2, dim=1)
        silent = (inputs[:, :1] > 100.0).expand(-1, 3)
        return torch.where(silent, -torch.log(torch.tensor(3.0)), sharp)

    model = CSML(train, CSMLConfig(encoder="inputs", root_prior="training", **config))
    model.logits = logits
    sand = model.symbol_names.index("load_target")
    payload = list(train.manifest["property_variables"]).index("payload_mass")
    assert payload == 0  # the mechanism above reads the first root
    model.symbol_explained[sand] = True
    model.symbol_coefficients[sand, model.symbols + payload] = 1.0
    model.symbol_noise[sand] = noise
    return model, model.tensors(train), sand


def test_saturation_bounds_censor_only_a_piled_extreme() -> None:
    bounds, censored = saturation_bounds(torch.tensor([0.0, 0.0, 0.3, 0.5, 1.0]))
    assert censored.tolist() == [True, False]
    assert bounds.tolist() == pytest.approx([1e-4, 1 - 1e-4])
    assert saturation_bounds(torch.full((5,), 2.0))[1].tolist() == [False, False]


def test_reading_bounds_find_a_stop_the_reader_scatters_about() -> None:
    """A beam on its stop (a third of the episodes at exactly 0), read with noise 0.02: the
    readings never tie, so ``saturation_bounds`` misses the stop; ``reading_bounds`` finds it
    from the true values and takes in the stopped episodes' scattered readings."""
    generator = torch.Generator().manual_seed(0)
    truths = torch.linspace(-0.5, 1.0, 600).clamp_min(0)
    readings = truths + 0.02 * torch.randn(600, generator=generator)
    assert saturation_bounds(readings)[1].tolist() == [False, False]
    bounds, censored = reading_bounds(readings, truths)
    assert censored.tolist() == [True, False]
    stopped = readings[truths == 0]
    assert bounds[0].item() == pytest.approx(stopped.mean() + 2 * stopped.std())
    assert bounds[0].item() == pytest.approx(0.04, abs=0.005)
    assert (stopped <= bounds[0]).float().mean().item() >= 0.95
    assert bounds[1].item() == saturation_bounds(truths)[0][1].item()
    # Readings biased low at the stop never move the bound out past the true values' own.
    bounds, _ = reading_bounds(torch.where(truths == 0, truths - 0.5, readings), truths)
    assert bounds[0].item() == saturation_bounds(truths)[0][0].item()


def test_censored_likelihood_at_a_bound_is_the_tail_probability() -> None:
    values = torch.tensor([1.0, 0.4, 0.0])
    mean, noise = torch.tensor([0.8, 0.5, 0.1]), torch.tensor(0.2)
    bounds, censored = torch.tensor([0.0, 1.0]), torch.tensor([True, True])
    log_p = censored_normal_log_prob(values, mean, noise, bounds, censored)

    def normal_cdf(x: float) -> float:
        return 0.5 * math.erfc(-x / math.sqrt(2))

    assert log_p[0].item() == pytest.approx(math.log(1 - normal_cdf((1.0 - 0.8) / 0.2)))
    assert log_p[2].item() == pytest.approx(math.log(normal_cdf((0.0 - 0.1) / 0.2)))
    gaussian = -0.5 * (0.1 / 0.2) ** 2 - math.log(0.2 * math.sqrt(2 * math.pi))
    assert log_p[1].item() == pytest.approx(gaussian)
    uncensored = censored_normal_log_prob(values, mean, noise, bounds, torch.tensor([False] * 2))
    assert uncensored[0].item() == pytest.approx(-0.5 - math.log(0.2 * math.sqrt(2 * math.pi)))


def test_censored_line_recovers_a_clipped_slope() -> None:
    """y = clip(x + 0.15 z, 0, 1), the designer's proxy: least squares flattens the slope and
    shrinks the noise; the censored fit recovers both."""
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(2000, generator=generator)
    y = (x + 0.15 * torch.randn(2000, generator=generator)).clamp(0, 1)
    regressors = torch.stack([x, torch.ones_like(x)], dim=1)
    line = torch.linalg.lstsq(regressors, y[:, None], driver="gelsd").solution[:, 0]
    noise = (y - regressors @ line).std()
    assert line[0].item() < 0.95 and noise.item() < 0.135
    bounds, censored = saturation_bounds(y)
    assert censored.tolist() == [True, True]
    fitted, fitted_noise = fit_censored_line(regressors, y, bounds, censored, line, noise)
    assert fitted[0].item() == pytest.approx(1.0, abs=0.02)
    assert fitted[1].item() == pytest.approx(0.0, abs=0.02)
    assert fitted_noise.item() == pytest.approx(0.15, abs=0.01)


def test_symbol_likelihood_lets_the_proxy_place_the_roots(seesaw_questions) -> None:
    """Support answers that tell nothing and draws from the whole training range: only the
    equation sand = payload root (noise 0.05) can place the root, at the episodes' sand."""
    train, _ = seesaw_questions
    answers = {}
    for likelihood in (False, True):
        model, data, sand = _proxy_model(train, 0.05, symbol_likelihood=likelihood)
        data.support[:2, :, 0] = 1e3
        for task, proxy in ((0, 0.9), (1, 0.1)):
            data.support[task, :, sand] = proxy
            data.queries["prediction"][task, :, sand] = proxy
        answers[likelihood] = [
            model.posterior_probabilities(data, task, "prediction", None).argmax(dim=1).tolist()
            for task in (0, 1)
        ]
    questions = data.queries["prediction"].shape[1]
    assert answers[False] == [[1] * questions, [1] * questions]  # the prior's middle
    assert answers[True] == [[2] * questions, [0] * questions]


def test_symbol_weight_tempers_the_equations_against_the_answers(seesaw_questions) -> None:
    """Five support answers say the root is near 0, the sand of all six episodes says 0.9
    (noise 0.02). The log-posterior is about -250 h^2 - 7500 w (0.9 - h)^2 for weight w: its
    peak is at 0.87 for w = 1 (answer 2) and at 0.21 for w = 0.01 (answer 0)."""
    train, _ = seesaw_questions
    answers = {}
    for weight in (1.0, 0.01):
        model, data, sand = _proxy_model(train, 0.02, symbol_likelihood=True, symbol_weight=weight)
        data.support_answer[0] = 0
        data.support[0, :, sand] = 0.9
        data.queries["prediction"][0, :, sand] = 0.9
        probabilities = model.posterior_probabilities(data, 0, "prediction", None)
        answers[weight] = probabilities.argmax(dim=1).tolist()
    questions = data.queries["prediction"].shape[1]
    assert answers == {1.0: [2] * questions, 0.01: [0] * questions}


def test_true_property_losses_of_many_tasks_are_each_task_s_mean(seesaw_questions) -> None:
    """The refit and the graph step score every task in one call per kind; that must be the
    mean over tasks of each task's own loss, with do applied per question of its own task."""
    train, _ = seesaw_questions
    model = CSML(train, CSMLConfig())
    data = model.tensors(train)
    params = model.reasoning_parameters()
    tasks = torch.tensor([0, 2, 3])
    batched = _true_property_losses(model, params, data, tasks, prediction=True)
    one_by_one = []
    for t in tasks.tolist():
        truth = data.properties[t]
        terms = [
            nn.functional.nll_loss(
                model.logits(params, inputs, truth.expand(len(inputs), -1)), answers
            )
            for inputs, answers in (
                (data.support[t], data.support_answer[t]),
                (data.queries["prediction"][t], data.answers["prediction"][t]),
            )
        ]
        for kind in ("intervention", "counterfactual"):
            roots = truth.expand(len(data.targets[kind][t]), -1).clone()
            roots[torch.arange(len(roots)), data.targets[kind][t]] = data.values[kind][t]
            log_p = model.logits(params, data.queries[kind][t], roots)
            terms.append(nn.functional.nll_loss(log_p, data.answers[kind][t]))
        one_by_one.append(torch.stack(terms))
    torch.testing.assert_close(torch.stack(batched), torch.stack(one_by_one).mean(dim=0))


def test_scene_config_applies_the_validated_settings_then_overrides() -> None:
    shuffle = scene_config("CausalWorld-Shuffle-v0", seed=3)
    assert (shuffle.encoder, shuffle.roots, shuffle.seed) == ("inputs", "adapted", 3)
    assert shuffle.interventional_roots == "true"
    assert scene_config("CausalWorld-Shuffle-v0", roots="posterior").roots == "posterior"
    longer_refit = {"encoder": "inputs", "refit_steps": 1000, "refit_lr": 3e-3}
    assert scene_config("CausalWorld-Ramp-v0") == CSMLConfig(**longer_refit, symbol_likelihood=True)
    assert scene_config("CausalWorld-Tilt-v0") == CSMLConfig(
        **longer_refit, root_prior="training", symbol_likelihood=True
    )
    assert scene_config("CausalWorld-Gliders-v0") == CSMLConfig()
    # NSL keeps the scene's other settings but takes its own posterior.
    assert scene_config("CausalWorld-Ramp-v0", graph="full") == CSMLConfig(
        **longer_refit, graph="full", root_prior="training", symbol_likelihood=True
    )
    seesaw = {"encoder": "inputs", "root_prior": "training", "symbol_likelihood": True}
    assert scene_config("CausalWorld-Seesaw-v0") == CSMLConfig(**seesaw, censored_symbols=True)
    assert scene_config("CausalWorld-Seesaw-v0", graph="full") == CSMLConfig(
        **seesaw, graph="full", censored_symbols=True
    )
    assert scene_config("CausalWorld-Ramp-v0", graph="full", root_prior="estimate").root_prior == (
        "estimate"
    )
    assert scene_config("CausalWorld-Shuffle-v0", graph="full").interventional_roots == "true"
    with pytest.raises(ValueError, match=r"valid scenes: .*CausalWorld-Ramp-v0"):
        scene_config("CausalWorld-Ramps-v0")
    with pytest.raises(ValueError, match=r"unknown CSMLConfig fields \[.refit.\]"):
        scene_config("CausalWorld-Shuffle-v0", refit=5)
