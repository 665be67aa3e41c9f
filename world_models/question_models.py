"""What every model of the question benchmark shares: the data as tensors and the scoring.

A ``QuestionModel`` keeps the statistics that scale its inputs (standardised on the training
support episodes) and the hidden properties (to [0, 1] over the scene's training ranges), turns a
``QuestionSet`` into ``TaskTensors``, and scores itself with ``accuracy``: each subclass answers
one task's questions of one kind from the task's first ``shots`` support episodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from causal_gym import SCENES, tasks
from causal_gym.questions import QuestionSet

KINDS = ("prediction", "intervention", "counterfactual")
CHANGED = ("intervention", "counterfactual")  # the kinds that set a hidden property
ANSWERS = 3  # the answer classes, ordered


@dataclass
class TaskTensors:
    """One dataset as tensors: inputs standardised, properties and interventions scaled to the
    scene's training ranges ([0, 1] inside them)."""

    support: torch.Tensor  # T x S x F
    support_answer: torch.Tensor  # T x S
    properties: torch.Tensor  # T x P
    queries: dict[str, torch.Tensor]  # kind -> T x Q x F
    answers: dict[str, torch.Tensor]  # kind -> T x Q
    targets: dict[str, torch.Tensor]  # kind -> T x Q (property index)
    values: dict[str, torch.Tensor]  # kind -> T x Q (scaled)
    factual_answer: torch.Tensor  # T x Q


class QuestionModel(nn.Module):
    """Base of the question models: data scaling and accuracy; subclasses implement ``answer``."""

    def __init__(self, dataset: QuestionSet):
        super().__init__()
        manifest = dataset.manifest
        self.scene = manifest["scene"]
        self.features = len(manifest["state_variables"]) + len(manifest["action_variables"])
        self.properties = len(manifest["property_variables"])
        ranges = SCENES[self.scene].property_ranges[tasks.task("train").ranges]
        low_high = [ranges[name] for name in manifest["property_variables"]]
        self.register_buffer("property_low", torch.tensor([low for low, _ in low_high]))
        self.register_buffer("property_span", torch.tensor([high - low for low, high in low_high]))
        support = _inputs(dataset, "support").reshape(-1, self.features)
        self.register_buffer("mean", support.mean(dim=0))
        self.register_buffer("scale", support.std(dim=0) + 1e-6)

    def tensors(self, dataset: QuestionSet) -> TaskTensors:
        """The dataset as tensors, scaled with this model's statistics."""
        if dataset.manifest["scene"] != self.scene:
            raise ValueError(
                f"this model is for {self.scene}, the dataset is of {dataset.manifest['scene']}"
            )
        scale = lambda x: (x - self.mean) / self.scale  # noqa: E731
        return TaskTensors(
            support=scale(_inputs(dataset, "support")),
            support_answer=torch.as_tensor(dataset["support_answer"]).long(),
            properties=self._scaled_properties(torch.as_tensor(dataset["properties"])),
            queries={kind: scale(_inputs(dataset, kind)) for kind in KINDS},
            answers={kind: torch.as_tensor(dataset[f"{kind}_answer"]).long() for kind in KINDS},
            targets={kind: torch.as_tensor(dataset[f"{kind}_target"]).long() for kind in CHANGED},
            values={kind: self._value(dataset, kind) for kind in CHANGED},
            factual_answer=torch.as_tensor(dataset["counterfactual_factual_answer"]).long(),
        )

    def _scaled_properties(self, values: torch.Tensor) -> torch.Tensor:
        return ((values - self.property_low) / self.property_span).float()

    def _value(self, dataset: QuestionSet, kind: str) -> torch.Tensor:
        target = torch.as_tensor(dataset[f"{kind}_target"]).long()
        value = torch.as_tensor(dataset[f"{kind}_value"])
        return ((value - self.property_low[target]) / self.property_span[target]).float()

    def answer(self, data: TaskTensors, task: int, kind: str, shots: int | None) -> torch.Tensor:
        """Predicted answers (Q) to one task's questions of ``kind``, given the task's first
        ``shots`` support episodes (all of them for None)."""
        raise NotImplementedError

    def accuracy(
        self, data: TaskTensors, shots: int | None = None, kinds: tuple[str, ...] = KINDS
    ) -> dict[str, float]:
        """Accuracy on each of ``kinds`` over a dataset, from ``shots`` support episodes."""
        available = data.support.shape[1]
        if shots is not None and not 1 <= shots <= available:
            raise ValueError(f"shots must be in 1..{available} (the support episodes), got {shots}")
        result = {}
        for kind in kinds:
            if kind not in KINDS:
                raise ValueError(f"kinds must be among {KINDS}, got {kind!r}")
            right = sum(
                int((self.answer(data, task, kind, shots) == data.answers[kind][task]).sum())
                for task in range(len(data.support))
            )
            result[kind] = right / data.answers[kind].numel()
        return result


def _inputs(dataset: QuestionSet, prefix: str) -> torch.Tensor:
    return torch.cat(
        [
            torch.as_tensor(dataset[f"{prefix}_state"]).float(),
            torch.as_tensor(dataset[f"{prefix}_action"]).float(),
        ],
        dim=-1,
    )
