"""Check a scene's declared causal graphs against its simulator, by intervention.

A declared edge X -> Y is *shown* when some intervention on X changes Y while every other
parent of Y is held fixed; an effect is *missing* from the graph when changing X changes Y
although no edge X -> Y is declared. A faithful scene has neither unshown edges nor missing
ones. All comparisons are exact (bit for bit): the simulator is deterministic under replay.

- ``dynamics_graph``: from a state s_t reached in an episode, restore s_t, change one variable
  at step t (``do`` for a property or state, a different value for one action dimension), take
  the step, and compare every state variable at t+1 with the unchanged step. Everything else
  at step t is identical, so each change is a direct one-step effect.
- Outcome edges of ``causal_graph``: outcomes are functions of the current state, so each
  probe sets one variable by ``do`` and reads the outcomes at once. At each base point every
  parent of the outcomes keeps its value at some moment of an episode or gets a random one in
  its range; half the draws then meet the scene's goal (``_success_setting``), and half
  the base points kept have the rarer value of ``success``, so both sides of a goal that
  random states rarely reach are visited. Besides a grid of its range,
  each variable is also set to the value of every other variable with the same unit (a
  sled onto its target).
- Non-descendants: over a whole episode, an intervention on X leaves every variable that is
  not a descendant of X in ``causal_graph`` bit-identical (``non_descendant_changes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from causal_gym.envs.base import CausalSceneEnv, Snapshot

Edge = tuple[str, str]


@dataclass
class GraphCheck:
    """Result of comparing declared edges with the effects interventions produced."""

    declared: set[Edge]
    measured: set[Edge]
    probes: int = 0
    unshown: set[Edge] = field(init=False)
    missing: set[Edge] = field(init=False)

    def __post_init__(self) -> None:
        self.unshown = self.declared - self.measured
        self.missing = self.measured - self.declared

    @property
    def faithful(self) -> bool:
        return not self.unshown and not self.missing

    def report(self) -> str:
        lines = [f"{len(self.declared)} declared edges, {self.probes} probes"]
        lines += [f"  declared but never shown: {x} -> {y}" for x, y in sorted(self.unshown)]
        lines += [f"  effect with no edge declared: {x} -> {y}" for x, y in sorted(self.missing)]
        return "\n".join(lines)


def probe_values(env: CausalSceneEnv, name: str, current: float, grid: int) -> list[float]:
    """Values to set ``name`` to: small nudges around ``current`` and an even grid of its range."""
    var = env.unwrapped.variable(name)
    span = var.high - var.low
    nudges = [current + sign * scale * span for sign in (-1, 1) for scale in (1e-3, 3e-2)]
    values = [*nudges, *np.linspace(var.low, var.high, grid).tolist()]
    return [v for v in values if var.low <= v <= var.high and v != current]


def episode_snapshots(
    env: CausalSceneEnv, seeds: Iterable[int], steps: int, every: int
) -> list[tuple[Snapshot, np.ndarray]]:
    """Snapshots of random-action episodes, each with the action taken next: every ``every``
    steps, before every step that reported an event (a contact: where collisions make edges
    show), and of the state each episode ended in. An episode runs on past termination (the
    task is over, not the physics: a chain of collisions may still be on its way) and stops
    only at a physics error."""
    env = env.unwrapped
    taken = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        env.reset(seed=seed)
        for t in range(steps):
            action = rng.uniform(-1.0, 1.0, env.action_space.shape)
            before = env.snapshot()
            _, _, _, truncated, info = env.step(action)
            if t % every == 0 or info["events"]:
                taken.append((before, action))
            if truncated:
                break
        taken.append((env.snapshot(), rng.uniform(-1.0, 1.0, env.action_space.shape)))
    return taken


def _states_after_step(
    env: CausalSceneEnv,
    snapshot: Snapshot,
    action: np.ndarray,
    intervention: dict[str, float] | None,
) -> tuple[float, ...]:
    env.restore(snapshot)
    if intervention:
        env.do(**intervention)
    env.step(action)
    return env._state


def check_dynamics_graph(
    env: CausalSceneEnv, starts: Sequence[tuple[Snapshot, np.ndarray]], grid: int = 5
) -> GraphCheck:
    """Compare ``dynamics_graph`` with the one-step effects of interventions from ``starts``."""
    env = env.unwrapped
    states = env._all_states
    measured: set[Edge] = set()
    probes = 0
    for snapshot, action in starts:
        env.restore(snapshot)
        before = env.values()
        factual = _states_after_step(env, snapshot, action, None)
        for name in (*env.property_variables, *env._all_states):
            for value in probe_values(env, name, before[name], grid):
                after = _states_after_step(env, snapshot, action, {name: value})
                probes += 1
                measured.update((name, y) for y, a, b in zip(states, after, factual) if a != b)
        for i, name in enumerate(env.action_variables):
            for value in np.linspace(-1.0, 1.0, grid).tolist():
                if value == action[i]:
                    continue
                changed = np.array(action, dtype=np.float64)
                changed[i] = value
                after = _states_after_step(env, snapshot, changed, None)
                probes += 1
                measured.update((name, y) for y, a, b in zip(states, after, factual) if a != b)
    declared = set(env.dynamics_graph.edges)
    return GraphCheck(declared=declared, measured=measured, probes=probes)


def check_outcome_edges(
    env: CausalSceneEnv, seeds: Iterable[int], base_points: int = 40, grid: int = 25
) -> GraphCheck:
    """Compare the outcome edges of ``causal_graph`` with instantaneous effects of ``do``."""
    env = env.unwrapped
    outcomes = env.outcome_variables
    parents = sorted({p for y in outcomes for p in env.causal_graph.predecessors(y)})
    candidates = [*env.property_variables, *env._all_states]
    measured: set[Edge] = set()
    probes = 0
    for seed in seeds:
        rng = np.random.default_rng(seed)
        env.reset(seed=seed)
        for point in _outcome_base_points(env, parents, rng, base_points):
            env.restore(point)
            reference = env.values()
            for name in candidates:
                var = env.variable(name)
                # Also set it to every same-unit variable's value (a sled onto its target).
                alike = [
                    reference[o]
                    for o in candidates
                    if o != name and env.variable(o).unit == var.unit
                ]
                values = probe_values(env, name, reference[name], grid)
                values += [v for v in alike if var.low <= v <= var.high and v != reference[name]]
                for value in values:
                    env.restore(point)
                    after = env.do(**{name: value})["variables"]
                    probes += 1
                    measured.update((name, y) for y in outcomes if after[y] != reference[y])
    declared = {(x, y) for x, y in env.causal_graph.edges if y in outcomes}
    return GraphCheck(declared=declared, measured=measured, probes=probes)


def _outcome_base_points(
    env: CausalSceneEnv, parents: Sequence[str], rng: np.random.Generator, count: int
) -> list[Snapshot]:
    """``count`` snapshots from moments of a random-action episode where each parent of the
    outcomes keeps its value or gets a random one, and then, in half the draws, the scene's
    goal is met (``_success_setting``). Half of those returned have the rarer value of
    ``success``, so that both values of ``success`` are visited."""
    moments = [
        snapshot for snapshot, _ in episode_snapshots(env, [int(rng.integers(2**31))], 90, 6)
    ]
    drawn = []
    for attempt in range(8 * count):
        env.restore(moments[int(rng.integers(len(moments)))])
        setting = {}
        for name in parents:
            if rng.random() < 0.5:
                var = env.variable(name)
                setting[name] = float(rng.uniform(var.low, var.high))
        success = env.do(**setting)["variables"]["success"]
        if attempt % 2:  # half the draws then meet the scene's goal from there
            success = env.do(**env._success_setting(env._state))["variables"]["success"]
        drawn.append((success, env.snapshot()))
    frequency: dict[float, int] = {}
    for success, _ in drawn:
        frequency[success] = frequency.get(success, 0) + 1
    drawn.sort(key=lambda item: frequency[item[0]])  # stable: random order within a value
    rare_first = [snapshot for _, snapshot in drawn]
    return rare_first[: count // 2] + rare_first[::-1][: count - count // 2]


def non_descendant_changes(
    env: CausalSceneEnv, seeds: Iterable[int], steps: int, from_step: int = 0
) -> list[tuple[str, str, int]]:
    """(intervened, changed, seed) for every non-descendant that an intervention changed.

    For each seed, a random-action episode of up to ``steps`` steps is played; then each
    intervenable variable in turn is set, at ``from_step``, to the far end of its range by
    ``counterfactual``, and every variable outside its descendants in ``causal_graph`` must keep
    all its values, bit for bit, for as long as both rollouts last.
    """
    env = env.unwrapped
    graph = env.causal_graph
    names = env.variable_names
    changes = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        env.reset(seed=seed)
        actions = []
        for _ in range(steps):
            actions.append(rng.uniform(-1.0, 1.0, env.action_space.shape))
            _, _, terminated, truncated, _ = env.step(actions[-1])
            if terminated or truncated:
                break
        start = min(from_step, len(actions))
        actions = np.reshape(actions, (-1, *env.action_space.shape))
        factual = env.counterfactual(actions)
        for name, var in env._by_name.items():
            if not var.intervenable:
                continue
            now = factual[name][start]
            value = var.low if now - var.low > var.high - now else var.high
            changed = env.counterfactual(actions[start:], {name: value}, from_step=start)
            rows = min(len(changed.values), len(factual.values) - start)
            for y in sorted(set(graph) - nx.descendants(graph, name) - {name}):
                column = names.index(y)
                if not np.array_equal(
                    changed.values[:rows, column],
                    factual.values[start : start + rows, column],
                    equal_nan=True,
                ):
                    changes.append((name, y, seed))
    return changes
