"""Two reference answerers for the question benchmark: a plain classifier and the simulator.

- ``fit_classifier`` / ``classifier_accuracy``: multinomial logistic regression on a question's
  initial state and action, trained on observational data only (support episodes and
  prediction questions). It is what a correlational learner can do: it answers an
  intervention or counterfactual question as if nothing had been changed.
- ``resimulate``: the answer the true mechanisms give, recomputed through the public env API
  (``gymnasium.make``, ``reset`` with the task's properties and the episode's configuration,
  ``do`` at the start, ``step``): the oracle, and an independent check of the stored answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from causal_gym.questions.dataset import QuestionSet
from causal_gym.questions.designs import DESIGNS


@dataclass(frozen=True)
class Classifier:
    """Softmax regression on standardised features."""

    weights: np.ndarray
    bias: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    def predict(self, features: np.ndarray) -> np.ndarray:
        logits = ((features - self.mean) / self.scale) @ self.weights + self.bias
        return logits.argmax(axis=1)


def question_features(dataset: QuestionSet, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(initial state and action, answer) of every question of ``kind``, one row each."""
    state, action = dataset[f"{kind}_state"], dataset[f"{kind}_action"]
    features = np.concatenate([state, action], axis=-1).reshape(
        -1, state.shape[-1] + action.shape[-1]
    )
    return features.astype(np.float64), dataset[f"{kind}_answer"].reshape(-1).astype(np.int64)


def observational_data(dataset: QuestionSet) -> tuple[np.ndarray, np.ndarray]:
    """Features and answers of the support episodes and the prediction questions."""
    state, action = dataset["support_state"], dataset["support_action"]
    support = np.concatenate([state, action], axis=-1).reshape(
        -1, state.shape[-1] + action.shape[-1]
    )
    features, answers = question_features(dataset, "prediction")
    return (
        np.concatenate([support.astype(np.float64), features]),
        np.concatenate([dataset["support_answer"].reshape(-1).astype(np.int64), answers]),
    )


def fit_classifier(
    features: np.ndarray, answers: np.ndarray, classes: int = 3, l2: float = 1e-3, steps: int = 3000
) -> Classifier:
    """Full-batch gradient descent on the mean cross-entropy plus ``l2`` times the squared
    weights; features standardised first."""
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-9
    x = (features - mean) / scale
    onehot = np.eye(classes)[answers]
    weights, bias = np.zeros((x.shape[1], classes)), np.zeros(classes)
    for _ in range(steps):
        logits = x @ weights + bias
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        error = (probabilities - onehot) / len(x)
        weights -= 0.5 * (x.T @ error + l2 * weights)
        bias -= 0.5 * error.sum(axis=0)
    return Classifier(weights, bias, mean, scale)


def classifier_accuracy(model: Classifier, dataset: QuestionSet, kind: str) -> float:
    features, answers = question_features(dataset, kind)
    return float(np.mean(model.predict(features) == answers))


def resimulate(dataset: QuestionSet, kind: str, task: int, query: int) -> tuple[int, int]:
    """(answer, factual answer) of one stored question, recomputed through the public API;
    for support episodes use ``kind="support"`` (then both are the episode's answer)."""
    manifest = dataset.manifest
    design = DESIGNS[manifest["scene"]]
    env = gym.make(manifest["scene"])
    properties = dict(zip(manifest["property_variables"], dataset["properties"][task].tolist()))
    config = dict(
        zip(manifest["config_variables"], dataset[f"{kind}_config"][task, query].tolist())
    )
    interventions = {**properties, **design.reset_interventions(config)}
    seed = int(dataset[f"{kind}_seed"][task, query])
    action = np.asarray(design.action(config), dtype=np.float64)

    def play(change: dict[str, float]) -> int:
        env.reset(seed=seed, options={"task": manifest["split"], "interventions": interventions})
        if change:
            env.unwrapped.do(**change)
        terminated = truncated = False
        while not (terminated or truncated):
            *_, terminated, truncated, info = env.step(action)
        return design.answer(info["variables"])

    factual = play({})
    if kind in ("support", "prediction"):
        return factual, factual
    target = manifest["property_variables"][int(dataset[f"{kind}_target"][task, query])]
    return play({target: float(dataset[f"{kind}_value"][task, query])}), factual
