"""Property-based fuzzing of every scene's public API (hypothesis, stateful).

Random sequences of ``reset`` (random seeds, interventions, tasks and unknown options),
``step`` (arrays of any shape and dtype, NaN, inf, huge values), ``do`` (known and unknown
names, in- and out-of-range, non-finite values) and ``counterfactual`` calls. Every call either
succeeds, with finite observations inside the observation space and a finite reward, or raises
``ValueError``; nothing else escapes, and the env keeps working after every error. The runs are
derandomised, so CI explores the same cases every time.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from causal_gym import SCENES
from causal_gym.tasks import TASKS

FUZZ = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

any_float = st.floats(allow_nan=True, allow_infinity=True)
wild_float = st.one_of(
    any_float, st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300, 0.0, -0.0])
)


def wild_actions(size: int) -> st.SearchStrategy:
    """Mostly right-shaped actions, in range or not, and arrays and objects of other shapes."""
    right = hnp.arrays(np.float32, (size,), elements=st.floats(-1, 1, width=32))
    return st.one_of(
        right,
        right,
        hnp.arrays(np.float64, (size,), elements=wild_float),
        hnp.arrays(
            st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        ),
        st.lists(wild_float, max_size=4),
        st.sampled_from([None, "push", {"a": 1}, object()]),
    )


def interventions(scene: type) -> st.SearchStrategy:
    """Dicts of variable names (any role, or made up) to values inside or outside the range."""
    names = st.sampled_from([*scene.variable_names, "not_a_variable", ""])

    def value_for(name: str) -> st.SearchStrategy:
        if name in scene.variable_names:
            variable = scene.variable(name)
            inside = st.floats(variable.low, variable.high)
            edges = st.sampled_from([variable.low, variable.high])
            return st.one_of(inside, inside, edges, wild_float)
        return wild_float

    pair = names.flatmap(lambda name: st.tuples(st.just(name), value_for(name)))
    return st.lists(pair, max_size=3).map(dict)


def is_valid_action(action: object, size: int) -> bool:
    """The contract: a finite array of ``size`` numbers (a scalar when ``size`` is 1)."""
    try:
        array = np.asarray(action, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return array.size == size and array.ndim <= 1 and bool(np.isfinite(array).all())


def are_valid_interventions(scene: type, values: dict) -> bool:
    """The contract: known intervenable names, each with a finite value inside its range."""
    for name, value in values.items():
        if name not in scene.variable_names or not scene.variable(name).intervenable:
            return False
        variable = scene.variable(name)
        if not (math.isfinite(value) and variable.low <= value <= variable.high):
            return False
    return True


def same_values(a: dict[str, float], b: dict[str, float]) -> bool:
    """Bit-equal variable values (NaN, an action before the first step, equals NaN)."""
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a
    )


def scene_machine(env_id: str) -> type[RuleBasedStateMachine]:
    scene = SCENES[env_id]

    class SceneFuzz(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.env = gym.make(env_id)
            self.observation = None
            self.done = False

        @initialize(seed=st.integers(0, 2**32 - 1))
        def start(self, seed: int) -> None:
            self.observation, _ = self.env.reset(seed=seed)

        @rule(
            seed=st.one_of(st.none(), st.integers(0, 2**63 - 1)),
            do=interventions(scene),
            task=st.sampled_from([*TASKS, "harder"]),
            extra=st.booleans(),
        )
        def reset(self, seed: int | None, do: dict, task: str, extra: bool) -> None:
            options = {"interventions": do, "task": task, **({"speed": 2} if extra else {})}
            valid = are_valid_interventions(scene, do) and task in TASKS and not extra
            try:
                self.observation, info = self.env.reset(seed=seed, options=options)
            except ValueError:
                assert not valid, f"reset refused valid options {options}"
                return
            assert valid, f"reset accepted invalid options {options}"
            assert isinstance(info["is_success"], bool)
            for name, value in do.items():
                if scene.variable(name).role == "property":
                    assert info["variables"][name] == value
            self.done = False

        @rule(action=wild_actions(len(scene.action_variables)))
        def step(self, action: object) -> None:
            valid = is_valid_action(action, len(scene.action_variables))
            try:
                observation, reward, terminated, truncated, info = self.env.step(action)
            except ValueError as error:
                assert not valid, f"step refused the valid action {action!r}: {error}"
                assert "action must be a finite array of shape" in str(error)
                return
            assert valid, f"step accepted the invalid action {action!r}"
            in_range = bool(np.all(np.abs(np.asarray(action, dtype=np.float64)) <= 1.0))
            assert info["action_clipped"] == (not in_range)
            assert math.isfinite(reward)
            self.observation = observation
            if truncated and "physics_error" in info:
                assert info["physics_error"].startswith("physics left the valid state space")
            self.done = terminated or truncated

        @rule(values=interventions(scene))
        def do(self, values: dict) -> None:
            valid = are_valid_interventions(scene, values)
            try:
                info = self.env.unwrapped.do(**values)
            except ValueError:
                assert not valid, f"do refused valid interventions {values}"
                return
            assert valid, f"do accepted invalid interventions {values}"
            for name, value in values.items():
                if scene.variable(name).role == "property":
                    assert info["variables"][name] == value

        @precondition(lambda self: self.env.unwrapped.elapsed_steps > 0)
        @rule(
            steps=st.integers(0, 8),
            change=interventions(scene),
            data=st.data(),
        )
        def counterfactual(self, steps: int, change: dict, data: st.DataObject) -> None:
            unwrapped = self.env.unwrapped
            before = unwrapped.values()
            from_step = data.draw(st.integers(-1, unwrapped.elapsed_steps + 1))
            size = len(scene.action_variables)
            actions = data.draw(
                st.one_of(
                    hnp.arrays(np.float64, (steps, size), elements=any_float),
                    hnp.arrays(np.float64, (steps, size + 1)),
                )
            )
            valid = (
                are_valid_interventions(scene, change)
                and 0 <= from_step <= unwrapped.elapsed_steps
                and actions.shape[1] == len(scene.action_variables)
                and bool(np.isfinite(actions).all())
            )
            try:
                trajectory = unwrapped.counterfactual(actions, change, from_step=from_step)
            except ValueError:
                assert not valid, f"counterfactual refused valid input {change}, {from_step}"
            else:
                assert valid, f"counterfactual accepted invalid input {change}, {from_step}"
                assert np.isfinite(trajectory.values[1:]).all() or trajectory.truncated
                assert np.isfinite(trajectory.rewards).all()
            assert same_values(unwrapped.values(), before)  # the factual episode is untouched

        @invariant()
        def observation_is_finite_and_inside_the_space(self) -> None:
            if self.observation is None:
                return
            assert np.isfinite(self.observation).all()
            assert self.env.observation_space.contains(self.observation), self.observation

        @invariant()
        def snapshots_still_replay(self) -> None:
            if self.observation is None:
                return
            unwrapped = self.env.unwrapped
            before = unwrapped.values()
            unwrapped.restore(unwrapped.snapshot())
            assert same_values(unwrapped.values(), before)

        def teardown(self) -> None:
            self.env.close()

    SceneFuzz.TestCase.settings = FUZZ
    return SceneFuzz


@pytest.mark.parametrize("env_id", sorted(SCENES))
def test_every_call_succeeds_cleanly_or_raises_value_error(env_id: str) -> None:
    scene_machine(env_id).TestCase("runTest").runTest()


@pytest.mark.parametrize("env_id", sorted(SCENES))
def test_extreme_valid_interventions_truncate_with_a_physics_error_never_nan(env_id: str) -> None:
    """Every property at an end of its valid range, state variables set to the ends of theirs
    mid-episode, full-scale actions: observations and rewards stay finite and inside the
    space, and a step whose physics leaves the valid state space truncates the episode and
    says why in ``info["physics_error"]``."""
    scene = SCENES[env_id]
    env = gym.make(env_id)
    rng = np.random.default_rng(0)
    properties = [v for v in scene.variables if v.role == "property"]
    intervenable = [v for v in scene.variables if v.intervenable]
    faults = 0
    for episode in range(40):
        corners = {v.name: [v.low, v.high][rng.integers(2)] for v in properties}
        observation, _ = env.reset(seed=episode, options={"interventions": corners})
        done = False
        while not done:
            if rng.random() < 0.1:
                variable = intervenable[rng.integers(len(intervenable))]
                env.unwrapped.do(**{variable.name: [variable.low, variable.high][rng.integers(2)]})
            action = rng.choice([-1.0, 1.0], size=env.action_space.shape)
            observation, reward, terminated, truncated, info = env.step(action)
            assert np.isfinite(observation).all() and env.observation_space.contains(observation)
            assert math.isfinite(reward)
            if "physics_error" in info:
                faults += 1
                assert truncated and "outside" in info["physics_error"]
            done = terminated or truncated
    assert faults > 0  # the extremes do push the physics out of bounds: the check is exercised
