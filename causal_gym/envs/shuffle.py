"""CausalWorld-Shuffle-v0: one pusher launches three pucks down three lanes; land the named one.

The scene, in metres, seen from above: a 4 x 1.2 table with three lanes. A pusher bar spans
all three lanes and slides along x in its stroke, [0.1, 1.0]; each lane holds a puck (radius
0.06, 0.3 kg) that rides in the lane's slot, x in [0.1, 3.9]. The pusher carries the pucks it
meets (their impacts do not bounce) and releases them when it slows or stops; they then slide
until the table's friction stops them (the end of a slot stops a puck dead). The goal: the
puck named by ``target_puck`` comes to rest inside its target zone ``target_x +- 0.1``.

**The fork.** The pusher is kinematic (it moves as commanded, whatever it hits) and the lanes
never meet, so the pusher drives every puck and no puck affects the pusher or another puck:
pusher_speed -> pusher_x -> puck 1, puck 2, puck 3 (``tests/test_env_contract.py`` checks it
against the simulator). Each puck also has its own hidden friction.

Each control step (1/30 s, 4 physics substeps) the agent intervenes on:

============= =============== ===================================================================
action        range           meaning
============= =============== ===================================================================
pusher_speed  [-1.5, 3] m/s   the pusher's velocity this step; it stops at the ends of its stroke
============= =============== ===================================================================

Observation (``obs_mode="state"``, float32, order ``state_variables``): pusher_x [0.1, 1.0] m
(starts at 0.1); for i = 1..3, ``puck{i}_x`` [0.1, 3.95] m (starts drawn in [0.3, 0.8]; a
puck stopped by the end of its slot, at 3.9, may overshoot it by a centimetre) and
``puck{i}_vx`` [-4, 4] m/s; ``target_puck`` (an integer in 1..3, drawn uniformly; ``do``
rounds it to the nearest integer); target_x [1.5, 3.7] m (drawn in [1.8, 3.4]).
``pixels``: uint8 RGB image of the scene, 84x84 by default.

Hidden properties, drawn per episode (tasks: ``causal_gym.tasks``; ``test`` and ``surface``
use the training ranges; every ``ood`` range lies outside the training one):

=================== ============= ============ ======== =====================================
property            train         ood          valid    meaning
=================== ============= ============ ======== =====================================
puck1_friction      [0.08, 0.15]  [0.15, 0.2]  [0, 1]   Coulomb friction of puck 1 on the
                                                        table (deceleration x 9.81 m/s^2)
puck2_friction      [0.08, 0.15]  [0.15, 0.2]  [0, 1]   the same for puck 2
puck3_friction      [0.08, 0.15]  [0.15, 0.2]  [0, 1]   the same for puck 3
=================== ============= ============ ======== =====================================

Outcomes: ``puck_to_target`` = x of the named puck - target_x (m) and ``success`` (1 when the
named puck is at rest, |vx| < 0.01 m/s, inside the zone).

Reward: the named puck's progress toward the target, |d_t| - |d_{t+1}| with d = its x -
target_x (metres), plus 1 when the step ends in success. Termination: the named puck is at
rest beyond the pusher's reach (success if inside the zone; nothing can move it again).
Truncation: after 150 steps (5 s; registered ``max_episode_steps``), or if the physics leaves
the valid state space (``info["physics_error"]``). Events in ``info["events"]``:
``pusher_hit_puck``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from operator import itemgetter

import pymunk

from causal_gym.envs import zone
from causal_gym.envs.base import CausalSceneEnv
from causal_gym.physics import (
    BODY_FIELDS,
    COMMON_COLORS,
    COMMON_SURFACE_COLORS,
    Canvas,
    add_slider,
    new_space,
    set_velocity,
)
from causal_gym.scm import Variable

TABLE_LENGTH, TABLE_WIDTH = 4.0, 1.2  # m
LANES = (0.25, 0.6, 0.95)  # m, y of each lane's centre line
LANE_START, LANE_END = 0.1, 3.9  # m, the pucks' slots
STROKE_START, STROKE_END = 0.1, 1.0  # m, the pusher's x
PUSHER_HALF_THICKNESS = 0.03  # m
PUCK_RADIUS, PUCK_MASS = 0.06, 0.3  # m, kg
GRAVITY = 9.81  # m/s^2, only sets the friction force
TARGET_HALF_WIDTH = 0.1  # m
REST_SPEED = 0.01  # m/s
# Beyond this x a puck's back is out of the pusher's reach.
OUT_OF_REACH = STROKE_END + PUSHER_HALF_THICKNESS + PUCK_RADIUS + 0.01
SUCCESS_BONUS = 1.0

_PUSHER_TYPE, _PUCK_TYPE = 1, 2
# BodyReader lists the pusher, then the pucks, each x, y, angle, vx, vy, spin.
_PUCK_STATE = itemgetter(
    *(field for i in (1, 2, 3) for field in (BODY_FIELDS * i, BODY_FIELDS * i + 3))
)

_COLORS = {
    **COMMON_COLORS,
    "lane": (200, 205, 215),
    "pusher": (140, 95, 45),
    "puck": (45, 85, 200),
}
# The "surface" task: other colours, same world (see causal_gym.tasks).
_SURFACE_COLORS = {
    **COMMON_SURFACE_COLORS,
    "lane": (70, 75, 95),
    "pusher": (120, 200, 230),
    "puck": (240, 130, 40),
}


def _puck_state(i: int) -> tuple[str, str]:
    return (f"puck{i}_x", f"puck{i}_vx")


class ShuffleEnv(CausalSceneEnv):
    """CausalWorld-Shuffle-v0; the module docstring lists spaces, variables, reward and
    termination."""

    variables = (
        *(
            Variable(
                f"puck{i}_friction",
                "property",
                0.0,
                1.0,
                "",
                f"Coulomb friction of puck {i} on the table",
                observed=False,
            )
            for i in (1, 2, 3)
        ),
        Variable(
            "pusher_speed",
            "action",
            -1.5,
            3.0,
            "m/s",
            "the pusher's velocity this step (it stops at the ends of its stroke)",
        ),
        Variable("pusher_x", "state", STROKE_START, STROKE_END, "m", "the pusher bar's x"),
        *(
            var
            for i in (1, 2, 3)
            for var in (
                Variable(
                    f"puck{i}_x", "state", LANE_START, LANE_END + 0.05, "m", f"centre of puck {i}"
                ),
                Variable(f"puck{i}_vx", "state", -4.0, 4.0, "m/s", f"velocity of puck {i}"),
            )
        ),
        Variable("target_puck", "state", 1.0, 3.0, "", "the puck to land (constant)"),
        Variable("target_x", "state", 1.5, 3.7, "m", "centre of the target zone (constant)"),
        Variable("puck_to_target", "outcome", -3.6, 2.5, "m", "x of the named puck - target_x"),
        Variable("success", "outcome", 0.0, 1.0, "", "1 when the named puck rests inside the zone"),
    )
    state_parents = {
        "pusher_x": ("pusher_x", "pusher_speed"),
        **{
            name: (*_puck_state(i), f"puck{i}_friction", "pusher_x", "pusher_speed")
            for i in (1, 2, 3)
            for name in _puck_state(i)
        },
        "target_puck": ("target_puck",),
        "target_x": ("target_x",),
    }
    outcome_parents = {
        "puck_to_target": ("puck1_x", "puck2_x", "puck3_x", "target_puck", "target_x"),
        "success": (
            *(name for i in (1, 2, 3) for name in _puck_state(i)),
            "target_puck",
            "target_x",
        ),
    }
    property_ranges = {
        "train": {f"puck{i}_friction": (0.08, 0.15) for i in (1, 2, 3)},
        "ood": {f"puck{i}_friction": (0.15, 0.2) for i in (1, 2, 3)},
    }
    colors = _COLORS
    surface_colors = _SURFACE_COLORS
    view = (0.0, 0.0, TABLE_LENGTH, TABLE_WIDTH)
    event_names = ("pusher_hit_puck",)
    velocities = {f"puck{i}_x": f"puck{i}_vx" for i in range(1, len(LANES) + 1)}
    default_render_size = (144, 480)

    # ----- initial configuration and world building ----------------------------------------

    def _initial_state(
        self, rng: random.Random, properties: Mapping[str, float], do: Mapping[str, float]
    ) -> dict[str, float]:
        # Always five draws, so an intervention never shifts the draws of other variables.
        target_puck = float(rng.randrange(1, 4))
        target_u, *start_u = (rng.random() for _ in range(4))
        state = {"pusher_x": STROKE_START}
        for i, u in enumerate(start_u, start=1):
            state[f"puck{i}_x"] = 0.3 + 0.5 * u
            state[f"puck{i}_vx"] = 0.0
        state["target_puck"] = target_puck
        state["target_x"] = 1.8 + 1.6 * target_u
        state.update(do)
        return state

    def _build(self) -> pymunk.Space:
        space = new_space()
        space.gravity = (0.0, 0.0)  # seen from above: the table carries the pucks' weight
        self._pusher = pymunk.Body(body_type=pymunk.Body.KINEMATIC)
        pusher_shape = pymunk.Segment(
            self._pusher, (0.0, 0.05), (0.0, TABLE_WIDTH - 0.05), PUSHER_HALF_THICKNESS
        )
        pusher_shape.collision_type = _PUSHER_TYPE
        space.add(self._pusher, pusher_shape)
        self._pucks, self._friction_joints = [], []
        for lane_y in LANES:
            puck = pymunk.Body(PUCK_MASS, pymunk.moment_for_circle(PUCK_MASS, 0.0, PUCK_RADIUS))
            puck.position = (LANE_START, lane_y)
            shape = pymunk.Circle(puck, PUCK_RADIUS)
            shape.collision_type = _PUCK_TYPE
            space.add(puck, shape)
            self._pucks.append(puck)
            self._friction_joints.append(
                add_slider(space, puck, (LANE_START, lane_y), (LANE_END, lane_y))
            )
        self._report_contacts(space, {(_PUSHER_TYPE, _PUCK_TYPE): "pusher_hit_puck"})
        self._targets = (1.0, 0.0)  # target_puck, target_x: set below
        return space

    # ----- reading and writing variables ---------------------------------------------------

    def _read_state(self) -> tuple[float, ...]:
        return (self._pusher_x, *_PUCK_STATE(self._reader.read()), *self._targets)

    def _set_state(self, name: str, value: float) -> None:
        if name == "pusher_x":
            self._pusher_x = value
            self._pusher.position = (value, 0.0)
        elif name == "target_puck":
            self._targets = (float(round(value)), self._targets[1])
        elif name == "target_x":
            self._targets = (self._targets[0], value)
        elif name.startswith("puck") and name[4:5] in "123" and name[5:] in ("_x", "_vx"):
            puck = self._pucks[int(name[4]) - 1]
            if name.endswith("_x"):
                puck.position = (value, puck.position.y)
            else:
                puck.velocity = (value, 0.0)
        else:
            raise KeyError(name)

    def _set_property(self, name: str, value: float) -> None:
        if name.startswith("puck") and name[4:5] in "123" and name[5:] == "_friction":
            self._friction_joints[int(name[4]) - 1].max_force = value * PUCK_MASS * GRAVITY
        else:
            raise KeyError(name)

    # ----- one control step ----------------------------------------------------------------

    def _apply_action(self, action: list[float], noise: list[float]) -> None:
        # The pusher moves at the commanded speed, stopping exactly at the ends of its stroke.
        x = self._pusher_x
        self._next_pusher_x = min(max(x + action[0] * self.control_dt, STROKE_START), STROKE_END)
        set_velocity(self._pusher, (self._next_pusher_x - x) / self.control_dt, 0.0)

    def _after_physics(self, action: list[float]) -> None:
        # Integrating the velocity leaves rounding error; pin the exact position.
        self._pusher_x = self._next_pusher_x
        self._pusher.position = (self._pusher_x, 0.0)

    # ----- outcomes, reward, termination ---------------------------------------------------

    def _named(self, state: tuple[float, ...]) -> tuple[float, float, float]:
        """x and vx of the named puck, and target_x."""
        i = 2 * int(state[7]) - 1
        return state[i], state[i + 1], state[8]

    def _outcomes(self, state: tuple[float, ...]) -> tuple[float, float]:
        return zone.outcomes(*self._named(state), TARGET_HALF_WIDTH, REST_SPEED)

    def _terminated(self, state: tuple[float, ...]) -> bool:
        x, vx, _ = self._named(state)
        return abs(vx) < REST_SPEED and x > OUT_OF_REACH

    def _reward(
        self, previous: tuple[float, ...], state: tuple[float, ...], outcomes: tuple[float, ...]
    ) -> float:
        x, _, target = self._named(previous)
        return zone.reward(x - target, *outcomes, SUCCESS_BONUS)

    def _success_setting(self, state: tuple[float, ...]) -> dict[str, float]:
        i = int(state[7])
        return {f"puck{i}_x": state[8], f"puck{i}_vx": 0.0}

    # ----- drawing ---------------------------------------------------------------------------

    def _draw_static(self, canvas: Canvas) -> None:
        canvas.fill("sky")
        target_puck, target_x = self._targets
        lane_y = LANES[int(target_puck) - 1]
        half = TARGET_HALF_WIDTH
        canvas.rect(target_x - half, lane_y - 0.15, target_x + half, lane_y + 0.15, "target_band")
        for y in LANES:
            canvas.rect(LANE_START, y - 0.01, LANE_END, y + 0.01, "lane")
        canvas.rect(target_x - 0.01, lane_y - 0.15, target_x + 0.01, lane_y + 0.15, "target")

    def _draw_dynamic(self, canvas: Canvas) -> None:
        state = self._state
        x = state[0]
        canvas.bar(x, 0.05, x, TABLE_WIDTH - 0.05, PUSHER_HALF_THICKNESS, "pusher")
        named = int(state[7])
        for i, lane_y in enumerate(LANES, start=1):
            color = "ball" if i == named else "puck"
            canvas.circle(state[2 * i - 1], lane_y, PUCK_RADIUS, color)
