"""The scene base class: the CausalWorld environment contract, implemented once.

A scene subclass declares its variables, the parents of each state and outcome variable, its
task splits, and implements a handful of small hooks (build the pymunk world, apply an action,
read and write state, reward, termination, drawing). Everything else lives here:

- observation modes ``state`` / ``pixels`` / ``dict``; Box [-1, 1] actions mapped linearly onto
  the action variables' ranges, with NaN/inf or wrong shapes rejected and out-of-range values
  clipped and flagged in ``info["action_clipped"]``;
- ``causal_graph`` / ``dynamics_graph`` built from the declared parents;
- ``do(**values)`` and ``reset(options={"interventions": ..., "task": ...})``;
- exogenous noise from separate seeded streams (task, initial configuration, dynamics), the
  dynamics noise pre-drawn per step, so an action never shifts the noise of later steps;
- ``snapshot()`` / ``restore()`` / ``counterfactual()``, all by deterministic replay from the
  episode start: pymunk's ``Space.copy()`` drops contact warm-starting and is not bit-exact;
- no time limit of its own: scenes are registered with ``max_episode_steps`` and ``make``'s
  ``TimeLimit`` wrapper truncates; the env truncates only when the physics leaves the valid
  state space;
- ``info`` with ``is_success``, every variable's value, events and any physics error;
- ``motion_frame(seconds)``: the picture with each moving body carried on by its velocity, the
  cue a still frame lacks (the scene's ``velocities`` name which state is whose rate).
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import networkx as nx
import numpy as np
import pymunk

from causal_gym import scm, tasks
from causal_gym.physics import BodyReader, Canvas, ContactReporter, release_space, stepper
from causal_gym.scm import Variable

OBS_MODES = ("state", "pixels", "dict")
_NOISE_BLOCK = 256  # dynamics noise is drawn in fixed blocks so replay sees the same values
# Seeds of an episode's few-draw streams: episode_seed * _STREAMS + the stream's number.
_STREAMS = 8
_INITIAL_STREAM = 4  # the task draws use 0 + the task's draw_stream


_RATE_UNITS = {"m": {"m/s": 1.0}, "deg": {"deg/s": 1.0, "rad/s": 180.0 / math.pi}}


def _motion_term(cls: type, position: str, velocity: str) -> tuple[int, int, float]:
    """(index of ``position``, index of ``velocity`` in the state tuple, position units per
    velocity unit second) for ``velocities``, checked when the scene class is made."""
    for name in (position, velocity):
        if name not in cls._all_states:
            raise TypeError(f"{cls.__name__}: velocities names {name!r}, not a state variable")
    units = (cls._by_name[position].unit, cls._by_name[velocity].unit)
    per_second = _RATE_UNITS.get(units[0], {}).get(units[1])
    if per_second is None:
        raise TypeError(
            f"{cls.__name__}: velocities maps {position} ({units[0]}) to {velocity} "
            f"({units[1]}); a rate pairs m with m/s, deg with deg/s or rad/s"
        )
    return cls._all_states.index(position), cls._all_states.index(velocity), per_second


@dataclass(frozen=True)
class Snapshot:
    """Everything needed to replay an episode to its current step, bit for bit.

    ``actions`` are the clipped agent actions in [-1, 1]; ``interventions`` lists the ``do()``
    calls as ``(step, ((name, value), ...))``, applied before the action of that step.
    """

    scene: str
    episode_seed: int
    task: str
    reset_interventions: tuple[tuple[str, float], ...]
    actions: np.ndarray
    interventions: tuple[tuple[int, tuple[tuple[str, float], ...]], ...]

    @property
    def step(self) -> int:
        return len(self.actions)


@dataclass(frozen=True)
class Trajectory:
    """Values of every variable along a (counterfactual) rollout.

    ``values[i]`` holds the variables (order ``variables``) after ``i`` of its steps;
    ``values[0]`` is the state it started from. Action entries hold the action applied in the
    step that led to that row (NaN in row 0 of an episode). ``trajectory["block_x"]`` gives
    one variable's column.
    """

    variables: tuple[str, ...]
    values: np.ndarray
    rewards: np.ndarray
    terminated: bool
    truncated: bool
    is_success: bool

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.values[:, self.variables.index(name)]
        except ValueError:
            raise KeyError(
                f"unknown variable {name!r}; variables are {list(self.variables)}"
            ) from None


class VariableValues(Mapping[str, float]):
    """``info["variables"]``: a read-only mapping of every variable's name to its value.

    It keeps references to the step's (immutable) value lists and lays them out only when it
    is read, so a training loop that never looks at it pays nothing for it. ``dict(values)``
    gives a plain dict (e.g. for JSON).
    """

    def __init__(self, index: Mapping[str, int], *parts: Sequence[float]) -> None:
        self._index = index
        self._parts = parts
        self._row: list[float] | None = None

    def _values(self) -> list[float]:
        if self._row is None:
            self._row = [value for part in self._parts for value in part]
        return self._row

    def __getitem__(self, name: str) -> float:
        position = self._index.get(name)
        if position is None:
            raise KeyError(f"unknown variable {name!r}; variables are {list(self._index)}")
        return self._values()[position]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"VariableValues({dict(zip(self._index, self._values()))!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (VariableValues, (self._index, self._values()))


class CausalSceneEnv(gym.Env):
    """Base class of every CausalWorld scene; see the module docstring for the contract."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 30}

    # Declared by each scene.
    variables: ClassVar[tuple[Variable, ...]]
    state_parents: ClassVar[Mapping[str, tuple[str, ...]]]
    outcome_parents: ClassVar[Mapping[str, tuple[str, ...]]]
    property_ranges: ClassVar[Mapping[str, Mapping[str, tuple[float, float]]]]  # train, ood
    view: ClassVar[tuple[float, float, float, float]]  # x0, y0, x1, y1 in metres
    colors: ClassVar[Mapping[str, tuple[int, int, int]]]  # named RGB colours for drawing
    surface_colors: ClassVar[Mapping[str, tuple[int, int, int]]]  # the "surface" task's
    event_names: ClassVar[tuple[str, ...]] = ()  # what info["events"] may contain
    # Each drawn position (or angle) state mapped to the state that is its rate of change:
    # m -> m/s, deg -> deg/s or rad/s; ``motion_frame`` moves them.
    velocities: ClassVar[Mapping[str, str]] = {}
    noise_per_step: ClassVar[int] = 0
    substeps: ClassVar[int] = 4
    default_render_size: ClassVar[tuple[int, int]] = (240, 480)
    default_max_episode_steps: ClassVar[int] = 150  # registered as max_episode_steps

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "variables" not in cls.__dict__:
            return
        by_role = {role: tuple(v for v in cls.variables if v.role == role) for role in scm.ROLES}
        cls.variable_names = tuple(v.name for role in scm.ROLES for v in by_role[role])
        cls._variable_index = {name: i for i, name in enumerate(cls.variable_names)}
        cls._by_name = {v.name: v for v in cls.variables}
        if len(cls._by_name) != len(cls.variables):
            raise TypeError(f"{cls.__name__}: variable names must be unique")
        cls.property_variables = tuple(v.name for v in by_role["property"])
        cls.action_variables = tuple(v.name for v in by_role["action"])
        cls.outcome_variables = tuple(v.name for v in by_role["outcome"])
        if "success" not in cls.outcome_variables:
            raise TypeError(f"{cls.__name__}: every scene declares a 0/1 outcome named 'success'")
        cls._success_index = cls.outcome_variables.index("success")
        cls.state_variables = tuple(v.name for v in by_role["state"] if v.observed)
        cls._all_states = tuple(v.name for v in by_role["state"])
        cls._observed_index = [cls._all_states.index(n) for n in cls.state_variables]
        cls._all_observed = cls.state_variables == cls._all_states
        cls._dynamics_graph = scm.dynamics_graph(cls.variables, cls.state_parents)
        cls._causal_graph = scm.causal_graph(cls.variables, cls.state_parents, cls.outcome_parents)
        for split in ("train", "ood"):
            ranges = cls.property_ranges[split]
            if set(ranges) != set(cls.property_variables):
                raise TypeError(
                    f"{cls.__name__}: {split} ranges must cover {cls.property_variables}"
                )
            for name, (low, high) in ranges.items():
                var = cls._by_name[name]
                if not var.low <= low <= high <= var.high:
                    raise TypeError(
                        f"{cls.__name__}: {split} range of {name} outside its valid range"
                    )
        if list(cls.surface_colors) != list(cls.colors):
            raise TypeError(f"{cls.__name__}: surface_colors must name the colours of colors")
        # Plain float lists: for a handful of values they are faster than numpy on the hot path.
        actions = by_role["action"]
        cls._action_scale = [(v.low, (v.high - v.low) / 2) for v in actions]
        cls._state_bounds = [(v.low, v.high) for v in by_role["state"]]
        cls._motion = [_motion_term(cls, p, v) for p, v in cls.velocities.items()]

    def __init__(
        self,
        obs_mode: str = "state",
        render_mode: str | None = None,
        task: str = "train",
        image_size: tuple[int, int] = (84, 84),
        render_size: tuple[int, int] | None = None,
    ) -> None:
        if obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode must be one of {OBS_MODES}, got {obs_mode!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}, "
                f"got {render_mode!r}"
            )
        self._check_task(task)
        render_size = self.default_render_size if render_size is None else tuple(render_size)
        image_size = tuple(image_size)
        for label, size in (("image_size", image_size), ("render_size", render_size)):
            if len(size) != 2 or min(size) < 1:
                raise ValueError(f"{label} must be (height, width) in pixels, got {size!r}")
        self._constructor_args = {
            "obs_mode": obs_mode,
            "render_mode": render_mode,
            "task": task,
            "image_size": image_size,
            "render_size": render_size,
        }
        self.obs_mode = obs_mode
        self.render_mode = render_mode
        self.task = task
        self.control_dt = 1.0 / self.metadata["render_fps"]
        self._substep_dt = self.control_dt / self.substeps

        n_actions = len(self.action_variables)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(n_actions,), dtype=np.float32)
        observed = [self._by_name[n] for n in self.state_variables]
        state_space = gym.spaces.Box(
            low=np.array([v.low for v in observed], dtype=np.float32),
            high=np.array([v.high for v in observed], dtype=np.float32),
            dtype=np.float32,
        )
        pixel_space = gym.spaces.Box(0, 255, shape=(*image_size, 3), dtype=np.uint8)
        self.observation_space = {
            "state": state_space,
            "pixels": pixel_space,
            "dict": gym.spaces.Dict({"state": state_space, "pixels": pixel_space}),
        }[obs_mode]
        self._image_canvas = Canvas(*image_size, self.view, self.colors)
        self._render_canvas = Canvas(*render_size, self.view, self.colors)
        self._surface_shifted = False
        self._backgrounds: dict[int, np.ndarray] = {}
        self._space: pymunk.Space | None = None
        self._shadow: CausalSceneEnv | None = None
        self._contacts: ContactReporter | None = None

    # ----- the public contract -------------------------------------------------------------

    @classmethod
    def variable(cls, name: str) -> Variable:
        """The declaration of variable ``name``: role, range, unit, meaning."""
        try:
            return cls._by_name[name]
        except KeyError:
            raise KeyError(
                f"unknown variable {name!r}; variables are {list(cls.variable_names)}"
            ) from None

    @property
    def causal_graph(self) -> nx.DiGraph:
        """Summary causal graph over all variables (frozen; node attribute ``role``)."""
        return self._causal_graph

    @property
    def dynamics_graph(self) -> nx.DiGraph:
        """Edge X -> Y when X at step t is a parent of state Y at step t+1 (frozen)."""
        return self._dynamics_graph

    @property
    def space(self) -> pymunk.Space:
        """The pymunk space of the current episode (read it; changing it voids the contract)."""
        self._require_episode()
        return self._space

    @property
    def elapsed_steps(self) -> int:
        self._require_episode()
        return self._t

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        options = {} if options is None else dict(options)
        unknown = set(options) - {"interventions", "task"}
        if unknown:
            raise ValueError(
                f"unknown reset options {sorted(unknown)}; valid are ['interventions', 'task']"
            )
        task = options.get("task", self.task)
        self._check_task(task)
        interventions = scm.check_interventions(self._by_name, options.get("interventions", {}))
        super().reset(seed=seed)
        episode_seed = int(self.np_random.integers(2**63))
        self._start_episode(episode_seed, task, tuple(interventions.items()))
        return self._observation(), self._info(action_clipped=False)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if self._space is None:
            self._require_episode()
        clipped_action, was_clipped = self._checked_action(action)
        reward = self._advance(clipped_action)
        info = self._info(action_clipped=was_clipped)
        truncated = False
        if self._physics_fault is not None:
            info["physics_error"] = self._physics_fault
            truncated = True
        return self._observation(), reward, self._terminated(self._state), truncated, info

    def do(self, **values: float) -> dict[str, Any]:
        """Intervene now: set properties and/or state variables, e.g. ``do(ball_mass=2.0)``.

        A property keeps its new value for the rest of the episode; a state variable is set at
        this instant and then evolves by its mechanism. Returns the updated ``info``. Unknown
        names, actions, outcomes, NaN and out-of-range values raise ``ValueError`` and change
        nothing.
        """
        self._require_episode()
        checked = scm.check_interventions(self._by_name, values)
        self._apply_interventions(checked)
        self._interventions.append((self._t, tuple(checked.items())))
        return self._info(action_clipped=False)

    def values(self) -> dict[str, float]:
        """The current value of every variable (actions: the last applied, NaN before any)."""
        self._require_episode()
        return dict(zip(self.variable_names, self._value_row()))

    def snapshot(self) -> Snapshot:
        """A record of this episode so far; ``restore`` replays it bit for bit."""
        self._require_episode()
        actions = np.array(self._actions, dtype=np.float64).reshape(-1, len(self.action_variables))
        actions.setflags(write=False)
        return Snapshot(
            scene=type(self).__name__,
            episode_seed=self._episode_seed,
            task=self._task,
            reset_interventions=self._reset_interventions,
            actions=actions,
            interventions=tuple(self._interventions),
        )

    def restore(self, snapshot: Snapshot) -> tuple[Any, dict[str, Any]]:
        """Return to the moment ``snapshot`` was taken (by replay); returns (obs, info)."""
        if not isinstance(snapshot, Snapshot) or snapshot.scene != type(self).__name__:
            raise ValueError(f"restore needs a Snapshot taken from a {type(self).__name__} env")
        self._start_episode(snapshot.episode_seed, snapshot.task, snapshot.reset_interventions)
        pending = list(snapshot.interventions)
        for step, action in enumerate(snapshot.actions.tolist()):
            pending = self._replay_interventions(pending, step)
            self._advance(action)
        self._replay_interventions(pending, snapshot.step)
        return self._observation(), self._info(action_clipped=False)

    def counterfactual(
        self,
        actions: Sequence[Sequence[float]] | np.ndarray,
        interventions: Mapping[str, float] | None = None,
        from_step: int = 0,
    ) -> Trajectory:
        """What would have happened in this same episode under other actions or interventions.

        The episode is replayed with its own noise up to ``from_step``: the factual actions
        before that step and the ``do()`` calls made up to it (so from the current step, it
        starts from the current state). Then ``interventions`` are applied and ``actions``
        (shape ``(T, n_actions)``, in [-1, 1]) are taken until they run out or the episode
        terminates (a time limit is the ``TimeLimit`` wrapper's business, not the world's);
        factual ``do()`` calls made after ``from_step`` are not replayed. This env is
        left untouched; with the factual actions the factual trajectory comes back bit for bit.
        """
        self._require_episode()
        if (
            isinstance(from_step, bool)
            or not isinstance(from_step, (int, np.integer))
            or not (0 <= from_step <= self._t)
        ):
            raise ValueError(f"from_step must be an int in [0, {self._t}], got {from_step!r}")
        plan = self._checked_action_sequence(actions)
        checked = scm.check_interventions(self._by_name, interventions or {})
        factual = self.snapshot()
        past = Snapshot(
            scene=factual.scene,
            episode_seed=factual.episode_seed,
            task=factual.task,
            reset_interventions=factual.reset_interventions,
            actions=factual.actions[:from_step],
            interventions=tuple(i for i in factual.interventions if i[0] <= from_step),
        )
        if self._shadow is None:
            self._shadow = type(self)(task=self.task)  # state only: no pixels, no rendering
        shadow = self._shadow
        shadow.restore(past)
        if checked:
            shadow._apply_interventions(checked)
        rows = [shadow._value_row()]
        rewards = []
        terminated = truncated = False
        for action in plan.tolist():
            rewards.append(shadow._advance(action))
            rows.append(shadow._value_row())
            terminated = shadow._terminated(shadow._state)
            truncated = shadow._physics_fault is not None
            if terminated or truncated:
                break
        return Trajectory(
            variables=self.variable_names,
            values=np.array(rows),
            rewards=np.array(rewards),
            terminated=terminated,
            truncated=truncated,
            is_success=shadow._is_success(),
        )

    def __getstate__(self) -> dict[str, Any]:
        """Pickled as constructor arguments, seeding state and a snapshot: unpickling replays
        the episode, so a copy (``pickle``, ``copy.deepcopy``, a vector env's worker) continues
        bit for bit like the original."""
        return {
            "constructor_args": self._constructor_args,
            "spec": self.spec,
            "np_random": self._np_random,
            "np_random_seed": self._np_random_seed,
            "snapshot": None if self._space is None else self.snapshot(),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state["constructor_args"])
        self.spec = state["spec"]
        self._np_random, self._np_random_seed = state["np_random"], state["np_random_seed"]
        if state["snapshot"] is not None:
            self.restore(state["snapshot"])

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            gym.logger.warn("render() called with render_mode=None; pass render_mode='rgb_array'")
            return None
        self._require_episode()
        return self._draw_frame(self._render_canvas)

    def motion_frame(self, seconds: float) -> np.ndarray:
        """The observation's picture (``image_size``, uint8 RGB) with every body named in
        ``velocities`` drawn where its current velocity alone would carry it in ``seconds``
        (s): constant velocity, no force, wall or collision. Beside a still frame it shows the
        speeds, and nothing a hidden property decides. Nothing is simulated; the episode is
        unchanged. Bodies carried out of the view are cut off at its edge."""
        self._require_episode()
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, numbers.Real)
            or not math.isfinite(seconds)
        ):
            raise ValueError(f"seconds must be a finite number, got {seconds!r}")
        current = self._state
        moved = list(current)
        for position, velocity, per_second in self._motion:
            moved[position] += current[velocity] * per_second * seconds
        self._state = tuple(moved)
        try:
            return self._draw_frame(self._image_canvas)
        finally:
            self._state = current

    def close(self) -> None:
        """Free the episode's world (a later ``reset`` builds a new one)."""
        if self._space is not None:
            release_space(self._space)
            self._space = self._reader = self._step_physics = None
        if self._shadow is not None:
            self._shadow.close()
        super().close()

    # ----- episode mechanics -------------------------------------------------------------

    def _check_task(self, task: object) -> None:
        tasks.task(task)

    def _require_episode(self) -> None:
        if self._space is None:
            raise gym.error.ResetNeeded("call reset() before using the environment")

    def _start_episode(
        self, episode_seed: int, task: str, reset_interventions: tuple[tuple[str, float], ...]
    ) -> None:
        """Draw hidden properties and the initial configuration, build the world."""
        # One generator per purpose, each keyed by the episode seed; the property draws are
        # keyed by the task too (see causal_gym.tasks). The two that draw a handful of numbers
        # are Python's Mersenne Twister: seeding one costs 8 us, a numpy Generator 35 us, and
        # short episodes make resets a large part of the time. The dynamics noise comes from
        # a numpy Generator, made at the first step that needs noise.
        spec = tasks.task(task)
        task_rng = random.Random(episode_seed * _STREAMS + spec.draw_stream)
        initial_rng = random.Random(episode_seed * _STREAMS + _INITIAL_STREAM)
        self._dynamics_rng: np.random.Generator | None = None
        self._noise: list[list[float]] = []
        if spec.shifted_surface != self._surface_shifted:
            self._surface_shifted = spec.shifted_surface
            palette = self.surface_colors if spec.shifted_surface else self.colors
            self._image_canvas.set_palette(palette)
            self._render_canvas.set_palette(palette)

        ranges = self.property_ranges[spec.ranges]
        drawn = [task_rng.uniform(*ranges[name]) for name in self.property_variables]
        forced = dict(reset_interventions)
        properties = {
            name: forced.get(name, value) for name, value in zip(self.property_variables, drawn)
        }
        initial_do = {n: v for n, v in forced.items() if self._by_name[n].role == "state"}
        # Python floats, not numpy scalars: they are several times faster on the step path.
        initial_state = {
            name: float(value)
            for name, value in self._initial_state(initial_rng, properties, initial_do).items()
        }

        self._episode_seed, self._task = episode_seed, task
        self._reset_interventions = reset_interventions
        self._actions: list[list[float]] = []
        self._interventions: list[tuple[int, tuple[tuple[str, float], ...]]] = []
        self._t = 0
        self._events: list[str] = []
        self._last_action = (math.nan,) * len(self.action_variables)
        self._backgrounds.clear()
        self.properties = properties
        if self._space is not None:
            release_space(self._space)
        self._space = self._build()
        for name, value in properties.items():
            self._set_property(name, value)
        for name, value in initial_state.items():
            self._set_state(name, value)
        self._reader = BodyReader(self._space)
        self._step_physics = stepper(
            self._space, self._substep_dt, self.substeps, self._before_substep()
        )
        self._property_values = tuple(properties[name] for name in self.property_variables)
        self._refresh_state()

    def _replay_interventions(
        self, pending: list[tuple[int, tuple[tuple[str, float], ...]]], step: int
    ) -> list[tuple[int, tuple[tuple[str, float], ...]]]:
        while pending and pending[0][0] == step:
            values = dict(pending.pop(0)[1])
            self._apply_interventions(values)
            self._interventions.append((step, tuple(values.items())))
        return pending

    def _apply_interventions(self, values: Mapping[str, float]) -> None:
        for name, value in values.items():
            if self._by_name[name].role == "property":
                self.properties[name] = value
                self._set_property(name, value)
            else:
                self._set_state(name, value)
        # A new tuple, never changed in place: earlier infos still refer to the old one.
        self._property_values = tuple(self.properties[name] for name in self.property_variables)
        self._backgrounds.clear()
        self._refresh_state()

    def _is_success(self) -> bool:
        return self._outcome_values[self._success_index] == 1.0

    def _refresh_state(self) -> None:
        self._state = self._read_state()
        self._outcome_values = self._outcomes(self._state)
        self._physics_fault = self._physics_error()

    def _advance(self, action: list[float]) -> float:
        """One control step under ``action`` (already checked, in [-1, 1]); returns the reward."""
        physical = [low + (a + 1.0) * half for a, (low, half) in zip(action, self._action_scale)]
        t = self._t
        if t >= len(self._noise):
            self._noise.extend(self._noise_block())
        self._events = []
        self._apply_action(physical, self._noise[t])
        self._step_physics()
        self._after_physics(physical)
        previous = self._state
        self._refresh_state()
        self._last_action = physical
        self._actions.append(action)
        self._t = t + 1
        return self._reward(previous, self._state, self._outcome_values)

    def _noise_block(self) -> list[list[float]]:
        """The dynamics noise of the next ``_NOISE_BLOCK`` steps, ``noise_per_step`` each."""
        if self.noise_per_step == 0:
            return [[]] * _NOISE_BLOCK
        if self._dynamics_rng is None:
            self._dynamics_rng = np.random.default_rng([self._episode_seed, 2])
        return self._dynamics_rng.standard_normal((_NOISE_BLOCK, self.noise_per_step)).tolist()

    def _checked_action(self, action: Any) -> tuple[list[float], bool]:
        """The action as floats in [-1, 1] and whether it had to be clipped."""
        k = len(self._action_scale)
        if type(action) is np.ndarray and action.shape == (k,):
            values = action.tolist()
        else:
            try:
                array = np.asarray(action, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(self._action_help(f"got {action!r}")) from None
            if array.shape != (k,) and not (array.size == k and array.ndim <= 1):
                raise ValueError(self._action_help(f"got shape {array.shape}"))
            values = array.reshape(k).tolist()
        for value in values:
            if not -1.0 <= value <= 1.0:  # also catches NaN
                if not all(map(math.isfinite, values)):
                    raise ValueError(self._action_help(f"got non-finite values {values}"))
                return [min(max(v, -1.0), 1.0) for v in values], True
        return values, False

    def _checked_action_sequence(self, actions: Any) -> np.ndarray:
        k = len(self.action_variables)
        try:
            plan = np.asarray(actions, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                self._action_help(f"actions must be a (T, {k}) array, got {actions!r}")
            ) from None
        if plan.ndim != 2 or plan.shape[1] != k:
            raise ValueError(
                self._action_help(f"actions must have shape (T, {k}), got {plan.shape}")
            )
        if not np.isfinite(plan).all():
            raise ValueError(self._action_help("actions contain NaN or inf"))
        return np.clip(plan, -1.0, 1.0)

    def _action_help(self, problem: str) -> str:
        k = len(self.action_variables)
        return (
            f"action must be a finite array of shape ({k},) in [-1, 1] "
            f"(dimensions: {list(self.action_variables)}); {problem}"
        )

    def _physics_error(self) -> str | None:
        for value, (low, high) in zip(self._state, self._state_bounds):
            if not low <= value <= high:  # also catches NaN
                bad = [
                    f"{name} = {v} outside [{lo}, {hi}]"
                    for name, v, (lo, hi) in zip(self._all_states, self._state, self._state_bounds)
                    if not lo <= v <= hi
                ]
                return "physics left the valid state space: " + "; ".join(bad)
        return None

    def _observation(self) -> Any:
        if self.obs_mode == "pixels":
            return self._draw_frame(self._image_canvas)
        observed = self._state
        if not self._all_observed:
            observed = [observed[i] for i in self._observed_index]
        state = np.array(observed, dtype=np.float32)
        if self._physics_fault is not None:
            # Reported as info["physics_error"] and the episode truncated; the observation is
            # kept inside the space so downstream code never sees NaN.
            space = (
                self.observation_space["state"]
                if self.obs_mode == "dict"
                else self.observation_space
            )
            state = np.clip(np.nan_to_num(state), space.low, space.high)
        if self.obs_mode == "state":
            return state
        return {"state": state, "pixels": self._draw_frame(self._image_canvas)}

    def _value_row(self) -> list[float]:
        """Every variable's value, in ``variable_names`` order."""
        return [*self._property_values, *self._last_action, *self._state, *self._outcome_values]

    def _info(self, action_clipped: bool) -> dict[str, Any]:
        return {
            "is_success": self._is_success(),
            "variables": VariableValues(
                self._variable_index,
                self._property_values,
                self._last_action,
                self._state,
                self._outcome_values,
            ),
            "events": tuple(self._events),
            "action_clipped": action_clipped,
        }

    def _draw_frame(self, canvas: Canvas) -> np.ndarray:
        background = self._backgrounds.get(id(canvas))
        if background is None:
            self._draw_static(canvas)
            background = self._backgrounds[id(canvas)] = canvas.image.copy()
        else:
            canvas.image[:] = background
        self._draw_dynamic(canvas)
        return canvas.rgb()

    def _report_contacts(
        self, space: pymunk.Space, contacts: Mapping[tuple[int, int], str]
    ) -> None:
        """Add event ``name`` to ``info["events"]`` when shapes of collision types (a, b) start
        touching; ``contacts`` maps (a, b) to the name (one of ``event_names``)."""
        if self._contacts is None:
            self._contacts = ContactReporter(self._note_event)
        for (type_a, type_b), name in contacts.items():
            self._contacts.watch(space, type_a, type_b, self.event_names.index(name))

    def _note_event(self, tag: int) -> None:
        name = self.event_names[tag]
        if name not in self._events:
            self._events.append(name)

    # ----- what each scene implements --------------------------------------------------------

    def _initial_state(
        self, rng: random.Random, properties: Mapping[str, float], do: Mapping[str, float]
    ) -> dict[str, float]:
        """Initial value of every state variable; values in ``do`` replace their mechanism.
        Draw the same numbers from ``rng`` whatever ``do`` holds, so that an intervention
        never shifts the draws of other variables."""
        raise NotImplementedError

    def _build(self) -> pymunk.Space:
        """The episode's world: bodies, shapes and joints, added in the order ``_read_state``
        expects from ``self._reader`` (a ``BodyReader``). The base class then sets every
        property and initial state through ``_set_property`` and ``_set_state``."""
        raise NotImplementedError

    def _read_state(self) -> tuple[float, ...]:
        """All state variables (declaration order) as a new tuple of floats."""
        raise NotImplementedError

    def _set_state(self, name: str, value: float) -> None:
        raise NotImplementedError

    def _set_property(self, name: str, value: float) -> None:
        raise NotImplementedError

    def _apply_action(self, action: list[float], noise: list[float]) -> None:
        """Apply the physical action values before the physics substeps of this step."""
        raise NotImplementedError

    def _before_substep(self) -> Callable[[], None] | None:
        """A function to call before every physics substep (e.g. to apply forces, which
        chipmunk clears after each); default: none."""
        return None

    def _after_physics(self, action: list[float]) -> None:
        """Hook after the substeps (e.g. settle kinematic bodies exactly); default: nothing."""

    def _outcomes(self, state: tuple[float, ...]) -> tuple[float, ...]:
        """Outcome values (declaration order); ``success`` is 1.0 or 0.0."""
        raise NotImplementedError

    def _reward(
        self, previous: tuple[float, ...], state: tuple[float, ...], outcomes: tuple[float, ...]
    ) -> float:
        raise NotImplementedError

    def _terminated(self, state: tuple[float, ...]) -> bool:
        raise NotImplementedError

    def _success_setting(self, state: tuple[float, ...]) -> dict[str, float]:
        """Interventions that would make ``success`` 1 from ``state``: the verifier
        (``causal_gym.verify``) starts probes from the goal with them."""
        raise NotImplementedError

    def _draw_static(self, canvas: Canvas) -> None:
        """Draw what does not move within an episode (cached until the next reset or do)."""
        raise NotImplementedError

    def _draw_dynamic(self, canvas: Canvas) -> None:
        raise NotImplementedError
