"""The baselines of Table 1 on the question benchmark, on CSML's data and backbone width.

Every baseline answers the three kinds from the same inputs as CSML. What an intervention or
counterfactual question adds comes as extra input features: which hidden property is set
(one-hot), its new value (scaled like CSML's), and for a counterfactual the factual episode's
answer (one-hot); they are zero for support episodes and prediction questions. Every baseline
trains on the training tasks' questions of all three kinds, as CSML does with its default
``interventional_weight``, so the comparison is of structure, not of data; with
``interventional=False`` (CSML: ``interventional_weight=0``) only on the support episodes and
prediction questions, the paper's regime, where the other two kinds are 0-shot in every sense.
NSL, the paper's fixed-graph baseline, is CSML itself with ``CSMLConfig(graph="full")``
(``scene_config(scene, graph="full")``: the scene's settings with NSL's own posterior).

- ``MLPBaseline``: one MLP (two hidden layers of ``hidden`` units, CSML's encoder width) trained
  on all training tasks pooled; it ignores a task's support episodes at test time.
- ``MAMLBaseline``: the same MLP with meta-learned initial weights; ``inner_steps`` gradient
  steps on a task's support episodes adapt all of them (Finn et al., 2017: second order, through
  ``torch.func``).
- ``ProtoNetBaseline``: the same MLP as an embedding; a question takes the class of the nearest
  prototype, the mean embedding of the task's support episodes of that class (Snell et al.,
  2017). One or five support episodes seldom hold all three classes, so each prototype also
  averages in a learned prior embedding of its class, counted as one more episode.

``train_baseline`` fits any of them (Adam over meta-batches of training tasks).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, grad

from causal_gym.questions import QuestionSet
from world_models.perception import ViTEncoder
from world_models.question_models import ANSWERS, CHANGED, KINDS, QuestionModel, TaskTensors


@dataclass
class BaselineConfig:
    """Settings of the baselines; printed at the start of ``train_baseline``."""

    inputs: str = "state"  # or "pixels", with a reader (``QuestionModel``)
    hidden: int = 32  # CSML's width
    iterations: int = 300
    meta_batch: int = 8
    lr: float = 3e-3
    interventional: bool = True  # train on intervention / counterfactual answers too
    inner_steps: int = 3  # MAML only
    inner_lr: float = 0.3  # MAML only
    seed: int = 0


class _Baseline(QuestionModel):
    """An MLP over a question's inputs and its intervention features."""

    def __init__(
        self,
        dataset: QuestionSet,
        config: BaselineConfig | None = None,
        reader: ViTEncoder | None = None,
        outputs: int = ANSWERS,
    ):
        self.config = config or BaselineConfig()
        super().__init__(dataset, self.config.inputs, reader)
        torch.manual_seed(self.config.seed)
        width = self.config.hidden
        self.network = nn.Sequential(
            nn.Linear(self.features + self.properties + 1 + ANSWERS, width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Linear(width, outputs),
        )

    def inputs(self, data: TaskTensors, task: int, kind: str) -> torch.Tensor:
        """A task's questions of ``kind`` (or its support episodes, kind "support") with their
        intervention features: Q x (F + P + 1 + 3)."""
        if kind == "support":
            base = data.support[task]
        else:
            base = data.queries[kind][task]
        extra = torch.zeros(len(base), self.properties + 1 + ANSWERS)
        if kind in CHANGED:
            extra[:, : self.properties] = nn.functional.one_hot(
                data.targets[kind][task], self.properties
            )
            extra[:, self.properties] = data.values[kind][task]
        if kind == "counterfactual":
            extra[:, self.properties + 1 :] = nn.functional.one_hot(
                data.factual_answer[task], ANSWERS
            )
        return torch.cat([base, extra], dim=1)

    def trained_kinds(self) -> tuple[str, ...]:
        """The question kinds whose training-task answers the model trains on."""
        return KINDS if self.config.interventional else ("prediction",)

    def task_loss(self, data: TaskTensors, task: int) -> torch.Tensor:
        """The training loss of one task."""
        raise NotImplementedError


class MLPBaseline(_Baseline):
    """Monolithic MLP over all training tasks; see the module docstring."""

    def task_loss(self, data: TaskTensors, task: int) -> torch.Tensor:
        loss = nn.functional.cross_entropy(
            self.network(self.inputs(data, task, "support")), data.support_answer[task]
        )
        for kind in self.trained_kinds():
            logits = self.network(self.inputs(data, task, kind))
            loss = loss + nn.functional.cross_entropy(logits, data.answers[kind][task])
        return loss

    def answer(self, data: TaskTensors, task: int, kind: str, shots: int | None) -> torch.Tensor:
        with torch.no_grad():
            return self.network(self.inputs(data, task, kind)).argmax(dim=1)


class MAMLBaseline(_Baseline):
    """MAML on the MLP; see the module docstring."""

    def adapt(
        self, data: TaskTensors, task: int, shots: int | None, differentiable: bool
    ) -> dict[str, torch.Tensor]:
        """The network's parameters after the inner loop on the task's first ``shots`` support
        episodes."""
        support = self.inputs(data, task, "support")[:shots]
        answers = data.support_answer[task, :shots]

        def loss(params: dict[str, torch.Tensor]) -> torch.Tensor:
            logits = functional_call(self.network, params, (support,))
            return nn.functional.cross_entropy(logits, answers)

        params = dict(self.network.named_parameters())
        for _ in range(self.config.inner_steps):
            gradients = grad(loss)(params)
            if not differentiable:
                gradients = {name: g.detach() for name, g in gradients.items()}
            params = {n: p - self.config.inner_lr * gradients[n] for n, p in params.items()}
        return params

    def task_loss(self, data: TaskTensors, task: int) -> torch.Tensor:
        params = self.adapt(data, task, None, differentiable=True)
        return sum(
            nn.functional.cross_entropy(
                functional_call(self.network, params, (self.inputs(data, task, kind),)),
                data.answers[kind][task],
            )
            for kind in self.trained_kinds()
        )

    def answer(self, data: TaskTensors, task: int, kind: str, shots: int | None) -> torch.Tensor:
        params = self.adapt(data, task, shots, differentiable=False)
        with torch.no_grad():
            logits = functional_call(self.network, params, (self.inputs(data, task, kind),))
        return logits.argmax(dim=1)


class ProtoNetBaseline(_Baseline):
    """Prototypical network on the MLP embedding; see the module docstring."""

    def __init__(
        self,
        dataset: QuestionSet,
        config: BaselineConfig | None = None,
        reader: ViTEncoder | None = None,
    ):
        config = config or BaselineConfig()
        super().__init__(dataset, config, reader, outputs=config.hidden)
        self.prior_prototypes = nn.Parameter(0.1 * torch.randn(ANSWERS, config.hidden))

    def logits(self, data: TaskTensors, task: int, kind: str, shots: int | None) -> torch.Tensor:
        """Negative squared distances (Q x 3) of the questions to the class prototypes."""
        support = self.network(self.inputs(data, task, "support")[:shots])
        members = nn.functional.one_hot(data.support_answer[task, :shots], ANSWERS).float()
        prototypes = (members.T @ support + self.prior_prototypes) / (
            members.sum(dim=0)[:, None] + 1.0
        )
        queries = self.network(self.inputs(data, task, kind))
        return -torch.cdist(queries, prototypes).pow(2)

    def task_loss(self, data: TaskTensors, task: int) -> torch.Tensor:
        return sum(
            nn.functional.cross_entropy(
                self.logits(data, task, kind, None), data.answers[kind][task]
            )
            for kind in self.trained_kinds()
        )

    def answer(self, data: TaskTensors, task: int, kind: str, shots: int | None) -> torch.Tensor:
        with torch.no_grad():
            return self.logits(data, task, kind, shots).argmax(dim=1)


def train_baseline(model: _Baseline, train: QuestionSet, log_every: int = 0) -> list[float]:
    """Fits a baseline on a training dataset; returns the loss of every iteration."""
    config = model.config
    if log_every:
        print(f"{type(model).__name__} {model.scene}: {asdict(config)}")
    data = model.tensors(train)
    rng = np.random.default_rng(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    losses = []
    for iteration in range(config.iterations):
        batch = rng.choice(
            len(data.support), size=min(config.meta_batch, len(data.support)), replace=False
        )
        loss = sum(model.task_loss(data, int(t)) for t in batch) / len(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        if log_every and (iteration + 1) % log_every == 0:
            print(f"iteration {iteration + 1}: loss {losses[-1]:.3f}")
    return losses
