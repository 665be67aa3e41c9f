"""Named causal variables, their graphs, and checked interventions (no physics here).

A scene is a dynamic structural causal model. Its variables have one of four roles:

- ``property``: a physical constant of the episode (a mass, a friction), drawn per episode
  from a task split; usually hidden from the agent.
- ``action``: set by the agent each control step. An action is an intervention: it replaces
  the variable's own mechanism for that step.
- ``state``: evolves from step t to step t+1; the observation vector holds the observed ones.
- ``outcome``: a function of the current state (a distance to a goal, success).

A scene declares, for each state variable, its parents at the previous step, and for each
outcome its parents at the same step. Both graphs are built from that one declaration:
``dynamics_graph`` (X -> Y when X at step t is a parent of Y at step t+1, self-loops included)
and ``causal_graph`` (the summary graph: the same edges without self-loops, plus the outcome
edges). Feedback in the physics (two bodies that push each other) makes the summary graph cyclic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import networkx as nx

Role = Literal["property", "action", "state", "outcome"]
ROLES: tuple[Role, ...] = ("property", "action", "state", "outcome")


@dataclass(frozen=True)
class Variable:
    """One named variable of a scene: its role, valid range, unit and meaning."""

    name: str
    role: Role
    low: float
    high: float
    unit: str
    meaning: str
    observed: bool = True

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(
                f"variable {self.name!r}: role must be one of {ROLES}, got {self.role!r}"
            )
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(
                f"variable {self.name!r}: range must be finite with low < high, "
                f"got [{self.low}, {self.high}]"
            )

    @property
    def intervenable(self) -> bool:
        """Properties and states can be set by ``do``; actions go through ``step``."""
        return self.role in ("property", "state")

    def checked(self, value: object) -> float:
        """Return ``value`` as a float, or raise ``ValueError`` naming the valid range."""
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(
                f"{self.name} must be a number in [{self.low}, {self.high}] {self.unit}, "
                f"got {value!r}"
            ) from None
        if not math.isfinite(number):
            raise ValueError(
                f"{self.name} must be finite, in [{self.low}, {self.high}] {self.unit}; "
                f"got {number}"
            )
        if not self.low <= number <= self.high:
            raise ValueError(
                f"{self.name} = {number} is out of range: valid is [{self.low}, {self.high}] "
                f"{self.unit}"
            )
        return number


def check_interventions(
    variables: Mapping[str, Variable], values: Mapping[str, object]
) -> dict[str, float]:
    """Validate ``do(**values)``: every name intervenable, every value finite and in range.

    Nothing is applied here; the caller applies the returned floats only when all are valid,
    so a bad intervention leaves the environment exactly as it was.
    """
    if not isinstance(values, Mapping):
        raise ValueError(
            f"interventions must be a mapping of variable name to value, got {values!r}"
        )
    if not values:
        return {}
    valid = sorted(name for name, var in variables.items() if var.intervenable)
    checked: dict[str, float] = {}
    for name, value in values.items():
        var = variables.get(name)
        if var is None:
            raise ValueError(f"unknown variable {name!r}; intervenable variables are {valid}")
        if not var.intervenable:
            how = (
                "set it through step(action)"
                if var.role == "action"
                else ("it is computed from the state; intervene on its parents")
            )
            raise ValueError(
                f"{name!r} is an {var.role} variable and cannot be set by do(): {how}. "
                f"Intervenable variables are {valid}"
            )
        checked[name] = var.checked(value)
    return checked


def _add_nodes(graph: nx.DiGraph, variables: Iterable[Variable]) -> None:
    for var in variables:
        graph.add_node(
            var.name,
            role=var.role,
            unit=var.unit,
            low=var.low,
            high=var.high,
            observed=var.observed,
            meaning=var.meaning,
        )


def _check_parents(
    variables: Mapping[str, Variable],
    parents: Mapping[str, Iterable[str]],
    child_role: Role,
    parent_roles: tuple[Role, ...],
) -> None:
    children = {name for name, var in variables.items() if var.role == child_role}
    if set(parents) != children:
        raise ValueError(
            f"parents must be declared for exactly the {child_role} variables {sorted(children)}; "
            f"got {sorted(parents)}"
        )
    for child, pars in parents.items():
        for parent in pars:
            if parent not in variables or variables[parent].role not in parent_roles:
                raise ValueError(
                    f"parent {parent!r} of {child!r} must be a variable with role in {parent_roles}"
                )


def dynamics_graph(
    variables: Iterable[Variable], state_parents: Mapping[str, Iterable[str]]
) -> nx.DiGraph:
    """Edge X -> Y when X at step t is a parent of state Y at step t+1 (self-loops included).

    Nodes are the properties, actions and states; the graph is frozen.
    """
    by_name = {var.name: var for var in variables}
    _check_parents(by_name, state_parents, "state", ("property", "action", "state"))
    graph = nx.DiGraph()
    _add_nodes(graph, (var for var in by_name.values() if var.role != "outcome"))
    for child, parents in state_parents.items():
        graph.add_edges_from((parent, child) for parent in parents)
    return nx.freeze(graph)


def causal_graph(
    variables: Iterable[Variable],
    state_parents: Mapping[str, Iterable[str]],
    outcome_parents: Mapping[str, Iterable[str]],
) -> nx.DiGraph:
    """The summary graph over all variables: dynamics edges without self-loops, plus outcomes."""
    by_name = {var.name: var for var in variables}
    _check_parents(by_name, state_parents, "state", ("property", "action", "state"))
    _check_parents(by_name, outcome_parents, "outcome", ("property", "state"))
    graph = nx.DiGraph()
    _add_nodes(graph, by_name.values())
    for parents_of in (state_parents, outcome_parents):
        for child, parents in parents_of.items():
            graph.add_edges_from((parent, child) for parent in parents if parent != child)
    return nx.freeze(graph)
