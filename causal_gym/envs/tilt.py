"""CausalWorld-Tilt-v0: brake a sliding sled; the floor's hidden tilt also rolls a gauge ball.

The scene, in metres: a 4 x 1.2 box whose floor is tilted by a hidden angle (gravity is
rotated; the picture shows the floor's own frame, so the tilt cannot be seen). A sled
(0.3 x 0.15) is launched along the floor at 3.0-3.6 m/s; the goal is to make it come to rest
with its centre inside the target zone ``target_x +- 0.05``. A ball (radius 0.06) sits on a
shelf 0.75 m up, between end stops at x = 0.3 and 3.7: the tilt rolls it, so it is a gauge of
the tilt, but it never touches the sled.

**The hidden confounder.** ``floor_tilt`` drives both the sled and the ball. Across episodes
the ball's motion therefore predicts how far the sled slides, yet it has no effect on it:
intervening on the ball (``do(ball_vx=...)``) leaves the sled bit-identical. A learner that
fits the observational correlation gets the interventional question wrong.

Each control step (1/30 s, 4 physics substeps) the agent intervenes on:

=========== ======== =====================================================================
action      range    meaning
=========== ======== =====================================================================
brake       [0, 1]   brake setting: the sled's friction on the floor is
                     ``floor_friction + 0.5 * brake`` for this step
=========== ======== =====================================================================

Observation (``obs_mode="state"``, float32, order ``state_variables``): sled_x [0.1, 3.9] m,
sled_vx [-10, 10] m/s, ball_x [0.3, 3.7] m, ball_vx [-10, 10] m/s, ball_angular_velocity
[-200, 200] rad/s (counter-clockwise positive), target_x [1.5, 3.5] m (drawn in [1.7, 2.9],
where every training sled can stop).
``pixels``: uint8 RGB image of the scene, 84x84 by default.

Hidden properties, drawn per episode (tasks: ``causal_gym.tasks``; ``test`` and ``surface``
use the training ranges; every ``ood`` range lies outside the training one):

=============== ============= ============ ============ =====================================
property        train         ood          valid        meaning
=============== ============= ============ ============ =====================================
floor_tilt      [-3, 3] deg   [3, 4] deg   [-6, 6] deg  positive: the floor descends to the
                                                        right (gravity 9.81 m/s^2, rotated)
floor_friction  [0.08, 0.14]  [0.14, 0.2]  [0, 1]       the sled's friction with no brake
=============== ============= ============ ============ =====================================

With the training ranges the floor always holds a sled at rest (floor_friction > tan tilt).

Causal structure (checked against the simulator by ``tests/test_env_contract.py``): the brake,
the floor friction and the tilt move the sled; the tilt alone moves the ball (a 2D ball is a
disc: rolling without slipping it accelerates at 2/3 g sin(tilt), whatever its mass, fixed at
0.2 kg, or its friction);
sled and ball never interact, so neither is a descendant of the other.

Outcomes: ``sled_to_target`` = sled_x - target_x (m) and ``success`` (1 when the sled is at
rest, |sled_vx| < 0.01 m/s, inside the zone).

Reward: the sled's progress toward the target, |d_t| - |d_{t+1}| with d = sled_x - target_x
(metres), plus 1 when the step ends in success. Termination: the sled is at rest (nothing can
move it again: success if it is inside the zone). Truncation: after 150 steps (5 s; registered
``max_episode_steps``), or if the physics leaves the valid state space
(``info["physics_error"]``). Events in ``info["events"]``: ``sled_hit_wall``,
``ball_hit_stop``.
"""

from __future__ import annotations

import math
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
    box_world,
    set_friction,
)
from causal_gym.scm import Variable

WORLD_WIDTH, WORLD_HEIGHT = 4.0, 1.2  # m
WALL_THICKNESS = 0.05  # m
GRAVITY = 9.81  # m/s^2
SLED_LENGTH, SLED_HEIGHT = 0.3, 0.15  # m
SHELF_Y, SHELF_LEFT, SHELF_RIGHT = 0.75, 0.3, 3.7  # m: top of the shelf and its end stops
SHELF_RADIUS, STOP_HEIGHT = 0.01, 0.12  # m
BALL_RADIUS, BALL_MASS, BALL_FRICTION = 0.06, 0.2, 0.8  # m, kg, -
BRAKE_FRICTION = 0.5  # friction added at full brake
TARGET_HALF_WIDTH = 0.05  # m
REST_SPEED = 0.01  # m/s
SUCCESS_BONUS = 1.0

_SLED_TYPE, _BALL_TYPE, _WALL_TYPE, _STOP_TYPE = 1, 2, 3, 4
# BodyReader lists sled, ball (the order they are added), each x, y, angle, vx, vy, spin.
_SLED, _BALL = 0, BODY_FIELDS
_BODY_STATE = itemgetter(_SLED, _SLED + 3, _BALL, _BALL + 3, _BALL + 5)

_COLORS = {
    **COMMON_COLORS,
    "shelf": (120, 110, 100),
    "sled": (45, 85, 200),
}
# The "surface" task: other colours, same world (see causal_gym.tasks).
_SURFACE_COLORS = {
    **COMMON_SURFACE_COLORS,
    "shelf": (200, 200, 210),
    "sled": (240, 130, 40),
}

_SLED_STATE = ("sled_x", "sled_vx")
_BALL_STATE = ("ball_x", "ball_vx", "ball_angular_velocity")


class TiltEnv(CausalSceneEnv):
    """CausalWorld-Tilt-v0; the module docstring lists spaces, variables, reward and termination."""

    variables = (
        Variable(
            "floor_tilt",
            "property",
            -6.0,
            6.0,
            "deg",
            "tilt of the floor, positive descending to the right",
            observed=False,
        ),
        Variable(
            "floor_friction",
            "property",
            0.0,
            1.0,
            "",
            "the sled's friction coefficient with no brake",
            observed=False,
        ),
        Variable("brake", "action", 0.0, 1.0, "", "brake setting (adds 0.5 * brake friction)"),
        Variable("sled_x", "state", 0.1, WORLD_WIDTH - 0.1, "m", "sled centre"),
        Variable("sled_vx", "state", -10.0, 10.0, "m/s", "sled velocity"),
        Variable("ball_x", "state", SHELF_LEFT, SHELF_RIGHT, "m", "gauge ball centre"),
        Variable("ball_vx", "state", -10.0, 10.0, "m/s", "gauge ball velocity"),
        Variable(
            "ball_angular_velocity",
            "state",
            -200.0,
            200.0,
            "rad/s",
            "gauge ball spin, counter-clockwise positive",
        ),
        Variable("target_x", "state", 1.5, 3.5, "m", "centre of the target zone (constant)"),
        Variable("sled_to_target", "outcome", -3.4, 2.4, "m", "sled_x - target_x"),
        Variable("success", "outcome", 0.0, 1.0, "", "1 when the sled rests inside the zone"),
    )
    state_parents = {
        **{name: (*_SLED_STATE, "brake", "floor_friction", "floor_tilt") for name in _SLED_STATE},
        **{name: (*_BALL_STATE, "floor_tilt") for name in _BALL_STATE},
        "target_x": ("target_x",),
    }
    outcome_parents = {
        "sled_to_target": ("sled_x", "target_x"),
        "success": ("sled_x", "sled_vx", "target_x"),
    }
    property_ranges = {
        "train": {"floor_tilt": (-3.0, 3.0), "floor_friction": (0.08, 0.14)},
        "ood": {"floor_tilt": (3.0, 4.0), "floor_friction": (0.14, 0.2)},
    }
    colors = _COLORS
    surface_colors = _SURFACE_COLORS
    view = (-WALL_THICKNESS, -0.1, WORLD_WIDTH + WALL_THICKNESS, WORLD_HEIGHT + WALL_THICKNESS)
    event_names = ("sled_hit_wall", "ball_hit_stop")
    velocities = {"sled_x": "sled_vx", "ball_x": "ball_vx"}
    default_render_size = (160, 480)

    # ----- initial configuration and world building ----------------------------------------

    def _initial_state(
        self, rng: random.Random, properties: Mapping[str, float], do: Mapping[str, float]
    ) -> dict[str, float]:
        # Always four draws, so an intervention never shifts the draws of other variables.
        sled_u, speed_u, ball_u, target_u = (rng.random() for _ in range(4))
        state = {
            "sled_x": 0.4 + 0.2 * sled_u,
            "sled_vx": 3.0 + 0.6 * speed_u,
            "ball_x": 1.6 + 0.8 * ball_u,
            "ball_vx": 0.0,
            "ball_angular_velocity": 0.0,
            "target_x": 1.7 + 1.2 * target_u,
        }
        state.update(do)
        return state

    def _build(self) -> pymunk.Space:
        space, (_floor, right_wall, _ceiling, left_wall) = box_world(
            WORLD_WIDTH, WORLD_HEIGHT, WALL_THICKNESS, 1.0, 0.0
        )
        right_wall.collision_type = left_wall.collision_type = _WALL_TYPE
        body = space.static_body
        shelf = pymunk.Segment(
            body,
            (SHELF_LEFT, SHELF_Y - SHELF_RADIUS),
            (SHELF_RIGHT, SHELF_Y - SHELF_RADIUS),
            SHELF_RADIUS,
        )
        shelf.friction = 1.0
        stops = [
            pymunk.Segment(body, (x, SHELF_Y), (x, SHELF_Y + STOP_HEIGHT), SHELF_RADIUS)
            for x in (SHELF_LEFT - SHELF_RADIUS, SHELF_RIGHT + SHELF_RADIUS)
        ]
        for stop in stops:
            stop.collision_type = _STOP_TYPE

        self._sled = pymunk.Body(1.0, math.inf)
        self._sled.position = (0.0, SLED_HEIGHT / 2)
        self._sled_shape = pymunk.Poly.create_box(self._sled, (SLED_LENGTH, SLED_HEIGHT))
        self._sled_shape.collision_type = _SLED_TYPE

        self._ball = pymunk.Body(BALL_MASS, pymunk.moment_for_circle(BALL_MASS, 0.0, BALL_RADIUS))
        self._ball.position = (0.0, SHELF_Y + BALL_RADIUS)
        ball_shape = pymunk.Circle(self._ball, BALL_RADIUS)
        ball_shape.friction = BALL_FRICTION
        ball_shape.collision_type = _BALL_TYPE

        space.add(shelf, *stops, self._sled, self._sled_shape, self._ball, ball_shape)
        self._report_contacts(
            space,
            {(_SLED_TYPE, _WALL_TYPE): "sled_hit_wall", (_BALL_TYPE, _STOP_TYPE): "ball_hit_stop"},
        )
        self._brake = 0.0
        return space

    # ----- reading and writing variables ---------------------------------------------------

    def _read_state(self) -> tuple[float, ...]:
        return (*_BODY_STATE(self._reader.read()), self._target_x)

    def _set_state(self, name: str, value: float) -> None:
        sled, ball = self._sled, self._ball
        if name == "sled_x":
            sled.position = (value, sled.position.y)
        elif name == "sled_vx":
            sled.velocity = (value, sled.velocity.y)
        elif name == "ball_x":
            ball.position = (value, ball.position.y)
        elif name == "ball_vx":
            ball.velocity = (value, ball.velocity.y)
        elif name == "ball_angular_velocity":
            ball.angular_velocity = value
        elif name == "target_x":
            self._target_x = value
        else:
            raise KeyError(name)

    def _set_property(self, name: str, value: float) -> None:
        if name == "floor_tilt":
            radians = math.radians(value)
            self._space.gravity = (GRAVITY * math.sin(radians), -GRAVITY * math.cos(radians))
        elif name == "floor_friction":
            self._floor_friction = value
            set_friction(self._sled_shape, value + BRAKE_FRICTION * self._brake)
        else:
            raise KeyError(name)

    # ----- one control step ----------------------------------------------------------------

    def _apply_action(self, action: list[float], noise: list[float]) -> None:
        self._brake = action[0]
        set_friction(self._sled_shape, self._floor_friction + BRAKE_FRICTION * self._brake)

    # ----- outcomes, reward, termination ---------------------------------------------------

    def _outcomes(self, state: tuple[float, ...]) -> tuple[float, float]:
        return zone.outcomes(state[0], state[1], state[5], TARGET_HALF_WIDTH, REST_SPEED)

    def _terminated(self, state: tuple[float, ...]) -> bool:
        return abs(state[1]) < REST_SPEED

    def _reward(
        self, previous: tuple[float, ...], state: tuple[float, ...], outcomes: tuple[float, ...]
    ) -> float:
        return zone.reward(previous[0] - previous[5], *outcomes, SUCCESS_BONUS)

    def _success_setting(self, state: tuple[float, ...]) -> dict[str, float]:
        return {"sled_x": state[5], "sled_vx": 0.0}

    # ----- drawing ---------------------------------------------------------------------------

    def _draw_static(self, canvas: Canvas) -> None:
        zone.draw(canvas, self.view, self._target_x, TARGET_HALF_WIDTH, band_height=0.3)
        canvas.rect(SHELF_LEFT, SHELF_Y - 2 * SHELF_RADIUS, SHELF_RIGHT, SHELF_Y, "shelf")
        for x in (SHELF_LEFT - SHELF_RADIUS, SHELF_RIGHT + SHELF_RADIUS):
            canvas.bar(x, SHELF_Y, x, SHELF_Y + STOP_HEIGHT, SHELF_RADIUS, "shelf")

    def _draw_dynamic(self, canvas: Canvas) -> None:
        state = self._state
        half = SLED_LENGTH / 2
        canvas.rect(state[0] - half, 0.0, state[0] + half, SLED_HEIGHT, "sled")
        ball_x, ball_y = state[2], SHELF_Y + BALL_RADIUS
        canvas.wheel(ball_x, ball_y, BALL_RADIUS, self._ball.angle, "ball", "spoke")
