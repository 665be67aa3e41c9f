"""What every model of the question benchmark shares: the data as tensors and the scoring.

A ``QuestionModel`` keeps the statistics that scale its inputs (standardised on the training
support episodes) and the hidden properties (to [0, 1] over the scene's training ranges), turns a
``QuestionSet`` into ``TaskTensors``, and scores itself with ``accuracy``: each subclass answers
one task's questions of one kind from the task's first ``shots`` support episodes.

Inputs are a question's initial state and constant action (``inputs="state"``), or its 64x64
initial image and action (``"pixels"``): the image is read by a frozen ``ViTEncoder`` trained
first on the training split's images against their states (``perception.fit_reader``; every
model of a comparison gets the same one), whose heads stand in for the state variables, so the
rest of every model is the same for both kinds. Only training tasks give states; a held-out
task shows its images alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from causal_gym import SCENES, tasks
from causal_gym.questions import QuestionSet
from world_models.perception import ViTEncoder, episode_images, read_images, reader_units

INPUTS = ("state", "pixels")
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
    # T x S x F: the support's true states (and actions) in ``support``'s units, what a perfect
    # reader would read; ``support`` itself from state inputs.
    support_truth: torch.Tensor


class QuestionModel(nn.Module):
    """Base of the question models: data scaling and accuracy; subclasses implement ``answer``."""

    def __init__(
        self, dataset: QuestionSet, inputs: str = "state", reader: ViTEncoder | None = None
    ):
        super().__init__()
        manifest = dataset.manifest
        if inputs not in INPUTS:
            raise ValueError(f"inputs must be one of {INPUTS}, got {inputs!r}")
        if (inputs == "pixels") != (reader is not None):
            raise ValueError(
                "inputs='pixels' takes a reader (world_models.perception.fit_reader on the "
                "training dataset) and 'state' none"
            )
        states = len(manifest["state_variables"])
        if reader is not None and reader.symbols != states:
            raise ValueError(f"the reader has {reader.symbols} heads, the scene {states} states")
        self.scene, self.input_kind = manifest["scene"], inputs
        self.reader = reader
        if reader is not None:  # the reader's units, to compare readings with true states
            self.reading_mean, self.reading_scale = reader_units(dataset)
        self.features = states + len(manifest["action_variables"])
        self.properties = len(manifest["property_variables"])
        scales = [_training_scale(self.scene, name) for name in manifest["property_variables"]]
        self.register_buffer("property_low", torch.tensor([low for low, _ in scales]))
        self.register_buffer("property_span", torch.tensor([span for _, span in scales]))
        ranges = [_training_range(self.scene, name) for name in manifest["property_variables"]]
        # 1 for a property the training ranges vary, 0 for one they hold constant (Ramp's block).
        self.register_buffer("property_varies", torch.tensor([float(h > lo) for lo, h in ranges]))
        support = self._inputs(dataset, "support").reshape(-1, self.features)
        self.register_buffer("mean", support.mean(dim=0))
        self.register_buffer("scale", support.std(dim=0) + 1e-6)

    def tensors(self, dataset: QuestionSet) -> TaskTensors:
        """The dataset as tensors, scaled with this model's statistics."""
        if dataset.manifest["scene"] != self.scene:
            raise ValueError(
                f"this model is for {self.scene}, the dataset is of {dataset.manifest['scene']}"
            )
        scale = lambda x: (x - self.mean) / self.scale  # noqa: E731
        support = scale(self._inputs(dataset, "support"))
        return TaskTensors(
            support=support,
            support_answer=torch.as_tensor(dataset["support_answer"]).long(),
            properties=self._scaled_properties(torch.as_tensor(dataset["properties"])),
            queries={kind: scale(self._inputs(dataset, kind)) for kind in KINDS},
            answers={kind: torch.as_tensor(dataset[f"{kind}_answer"]).long() for kind in KINDS},
            targets={kind: torch.as_tensor(dataset[f"{kind}_target"]).long() for kind in CHANGED},
            values={kind: self._value(dataset, kind) for kind in CHANGED},
            factual_answer=torch.as_tensor(dataset["counterfactual_factual_answer"]).long(),
            support_truth=support if self.reader is None else scale(self._truth(dataset)),
        )

    def _truth(self, dataset: QuestionSet) -> torch.Tensor:
        """T x S x F: the support's true initial states in the reader's units (a constant one
        at 0, as the reader reads it), and actions."""
        state = torch.as_tensor(dataset["support_state"]).float()
        action = torch.as_tensor(dataset["support_action"]).float()
        read = (state - self.reading_mean) / self.reading_scale * self.reader.head_gate
        return torch.cat([read, action], dim=-1)

    def _inputs(self, dataset: QuestionSet, prefix: str) -> torch.Tensor:
        """T x N x F: each episode's initial state (or its image's reading) and action."""
        action = torch.as_tensor(dataset[f"{prefix}_action"]).float()
        if self.reader is None:
            observed = torch.as_tensor(dataset[f"{prefix}_state"]).float()
        elif not dataset.manifest.get("images"):
            raise ValueError("this model reads pixels, the dataset has no images")
        else:
            images = torch.as_tensor(episode_images(dataset, prefix, self.reader.frames))
            observed = read_images(self.reader, images.flatten(end_dim=1))
            observed = observed.view(*images.shape[:2], -1)
        return torch.cat([observed, action], dim=-1)

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


def _training_scale(scene: str, name: str) -> tuple[float, float]:
    """(low, span) mapping a property's training range onto [0, 1]. A property the training
    tasks hold constant (Ramp's block) has no span there: its constant maps to 0 and its
    valid range's width to 1, so a ``do`` on it still has a finite size."""
    low, high = _training_range(scene, name)
    if high > low:
        return low, high - low
    variable = SCENES[scene].variable(name)
    return low, variable.high - variable.low


def _training_range(scene: str, name: str) -> tuple[float, float]:
    """(low, high) of a property over the ``train`` split's ranges."""
    return SCENES[scene].property_ranges[tasks.task("train").ranges][name]
