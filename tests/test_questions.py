"""The CausalWorld question benchmark: right answers, balanced classes, safe files, and a
plain classifier that interventions fool."""

import json

import numpy as np
import pytest

from causal_gym.questions import CLASSES, DESIGNS, KINDS, generate, load, save
from causal_gym.questions.baselines import (
    classifier_accuracy,
    fit_classifier,
    observational_data,
    resimulate,
)

SCENES = sorted(DESIGNS)


@pytest.fixture(scope="module", params=SCENES)
def dataset(request):
    return generate(
        request.param, "train", seed=3, tasks_count=12, shots=2, queries=3, images=False, workers=1
    )


def test_stored_answers_are_what_the_public_env_api_gives(dataset) -> None:
    """Re-simulated with gymnasium.make, reset, do and step: not the generator's code path."""
    for task in range(3):
        for query in range(2):
            answer, _ = resimulate(dataset, "support", task, query)
            assert answer == dataset["support_answer"][task, query]
        for kind in KINDS:
            for query in range(3):
                answer, factual = resimulate(dataset, kind, task, query)
                assert answer == dataset[f"{kind}_answer"][task, query]
                if kind == "counterfactual":
                    assert factual == dataset["counterfactual_factual_answer"][task, query]


def test_every_class_holds_20_to_45_percent_of_every_kind(dataset) -> None:
    for kind in KINDS:
        shares = (
            np.bincount(dataset[f"{kind}_answer"].ravel(), minlength=3)
            / dataset[f"{kind}_answer"].size
        )
        assert ((shares >= 0.2) & (shares <= 0.45)).all(), (kind, shares)
        assert dataset.manifest["balance"][kind] == pytest.approx(dict(zip(CLASSES, shares)))


def test_interventions_change_a_hidden_property_only(dataset) -> None:
    names = dataset.manifest["property_variables"]
    for kind in ("intervention", "counterfactual"):
        targets = {names[i] for i in dataset[f"{kind}_target"].ravel()}
        assert targets and all(DESIGNS[dataset.manifest["scene"]].proxy != t for t in targets)
        assert not (targets - set(names))


def test_generation_is_deterministic_whatever_the_number_of_workers() -> None:
    one, two = (
        generate("CausalWorld-Tilt-v0", "test", 5, 4, shots=1, queries=1, workers=workers)
        for workers in (1, 2)
    )
    assert one.arrays.keys() == two.arrays.keys()
    for name in one.arrays:
        assert np.array_equal(one[name], two[name], equal_nan=True), name
    assert one["support_image"].shape == (4, 1, 64, 64, 3) and one["support_image"].std() > 0
    other = generate(
        "CausalWorld-Tilt-v0",
        "test",
        seed=6,
        tasks_count=4,
        shots=1,
        queries=1,
        images=False,
        workers=1,
    )
    assert not np.array_equal(one["properties"], other["properties"])


def test_motion_images_show_each_episodes_own_sled_speed() -> None:
    with_images = generate("CausalWorld-Tilt-v0", "test", 2, 3, shots=2, queries=2, workers=1)
    without = generate(
        "CausalWorld-Tilt-v0", "test", 2, 3, shots=2, queries=2, images=False, workers=1
    )
    # Drawing the pictures changes nothing else in the dataset.
    for name, array in without.arrays.items():
        assert np.array_equal(with_images[name], array, equal_nan=True), name
    assert not any("image" in name for name in without.arrays)
    seconds = with_images.manifest["motion_seconds"]
    state_names = with_images.manifest["state_variables"]
    px_per_m = 64 / 4.1  # the 64-pixel picture spans Tilt's 4.1 m view
    sled = np.array([45, 85, 200])
    for prefix in ("support", *KINDS):
        images = with_images[f"{prefix}_image"].reshape(-1, 64, 64, 3)
        moved = with_images[f"{prefix}_motion_image"].reshape(-1, 64, 64, 3)
        speeds = with_images[f"{prefix}_state"].reshape(-1, len(state_names))
        for image, after, speed in zip(images, moved, speeds[:, state_names.index("sled_vx")]):
            columns = [np.nonzero((x == sled).all(-1).any(0))[0].mean() for x in (image, after)]
            assert columns[1] - columns[0] == pytest.approx(speed * seconds * px_per_m, abs=1.0)


def test_files_round_trip_without_pickle_and_bad_files_are_named(tmp_path) -> None:
    dataset = generate(
        "CausalWorld-Seesaw-v0",
        "train",
        seed=0,
        tasks_count=2,
        shots=1,
        queries=1,
        images=False,
        workers=1,
    )
    folder = save(dataset, tmp_path / "seesaw")
    loaded = load(folder)
    assert loaded.manifest == dataset.manifest
    for name, array in dataset.arrays.items():
        assert np.array_equal(loaded[name], array, equal_nan=True)
        assert loaded[name].dtype != object
    arrays = folder / "questions.npz"
    arrays.write_bytes(arrays.read_bytes()[:-10])
    with pytest.raises(ValueError, match=r"questions\.npz: contents do not match"):
        load(folder)
    (folder / "manifest.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match=r"manifest\.json: not a causal-gym questions manifest"):
        load(folder)
    with pytest.raises(ValueError, match="missing"):
        load(tmp_path / "nowhere")


def test_bad_arguments_name_the_valid_values() -> None:
    with pytest.raises(ValueError, match="scene must be one of"):
        generate("CausalWorld-Nope-v0")
    with pytest.raises(ValueError, match="task must be one of"):
        generate("CausalWorld-Ramp-v0", "validation")
    with pytest.raises(ValueError, match="queries must be an int >= 1"):
        generate("CausalWorld-Ramp-v0", queries=0)


def test_a_plain_classifier_predicts_but_interventions_fool_it() -> None:
    """Trained on observations only, it reads hidden properties off the designer's biased
    choices: well above chance on prediction, near chance once do() breaks the bias."""
    train = generate(
        "CausalWorld-Seesaw-v0",
        "train",
        seed=0,
        tasks_count=30,
        shots=2,
        queries=3,
        images=False,
        workers=1,
    )
    test = generate(
        "CausalWorld-Seesaw-v0",
        "test",
        seed=1,
        tasks_count=15,
        shots=0,
        queries=3,
        images=False,
        workers=1,
    )
    model = fit_classifier(*observational_data(train))
    assert classifier_accuracy(model, test, "prediction") >= 0.6
    assert classifier_accuracy(model, test, "intervention") <= 0.5
    assert classifier_accuracy(model, test, "counterfactual") <= 0.5
