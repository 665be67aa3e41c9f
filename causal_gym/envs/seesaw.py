"""CausalWorld-Seesaw-v0: pour sand into one end of a balance beam to lift a hidden payload.

The scene, in metres: a 2 m beam (1 kg) is pivoted at its middle, 0.75 m above the floor, with
a 4 kg bob 0.4 m below the pivot, so it rests level when empty and tilts by a definite angle
under unequal loads. A pan at the left end holds ``left_load`` kg of sand; a payload of hidden
mass sits at the right end. Stops under the beam end its swing at +-25 degrees. The goal: hold
the payload at rest at ``target_height`` +- 0.03 m.

**The collider.** Two causes that are independent of each other meet in the beam: the sand
the agent pours (``load_target`` -> ``left_load``) and the hidden ``payload_mass``. Their
torques add, so at rest tan(beam_angle) = (left_load - payload_mass) x 1 m / (4 kg x 0.4 m)
(left end down is positive): the sand needed depends on the payload, which the agent never
sees, while nothing about the payload depends on the sand. (``tests/test_env_contract.py``
checks the graph against the simulator.)

The pan and the payload are point masses at the beam's ends: the simulator applies their
weight as a force at each end in every physics substep and adds their inertia (mass x 1 m^2)
to the beam's, which is the exact rotation of a rigid beam about its fixed pivot.

Each control step (1/30 s, 4 physics substeps) the agent intervenes on:

============ ========== ======================================================================
action       range      meaning
============ ========== ======================================================================
load_target  [0, 3] kg  the sand the pan should hold: sand runs in or out toward it, at most
                        0.1 kg per step
============ ========== ======================================================================

Observation (``obs_mode="state"``, float32, order ``state_variables``): left_load [0, 3] kg
(starts empty), beam_angle [-30, 30] deg (counter-clockwise, left end down, positive; starts
at rest at its equilibrium for the empty pan), beam_angular_velocity [-10, 10] rad/s,
target_height [0.35, 1.15] m (drawn so that its beam angle is in [-15, 15] degrees).
``pixels``: uint8 RGB image of the scene, 84x84 by default.

Hidden properties, drawn per episode (tasks: ``causal_gym.tasks``; ``test`` and ``surface``
use the training ranges; every ``ood`` range lies outside the training one):

============== ========== =========== =========== ===========================================
property       train      ood         valid       meaning
============== ========== =========== =========== ===========================================
payload_mass   [0.5, 1.2] [1.2, 1.5]  [0, 3] kg   mass of the payload at the right end
pivot_damping  [6, 12]    [4, 6]      [0, 50]     viscous friction of the pivot, N m s/rad
============== ========== =========== =========== ===========================================

Outcomes: ``payload_to_target`` = payload height - target_height (m; the payload's height is
the right end's, 0.75 + sin(beam_angle) m) and ``success`` (1 when the beam is at rest,
|angular velocity| < 0.02 rad/s, with the payload inside the target band).

Reward: the payload's progress toward the target height, |d_t| - |d_{t+1}| with d =
payload_to_target (metres), plus 1 when the step ends in success. Termination: success.
Truncation: after 150 steps (5 s; registered ``max_episode_steps``), or if the physics leaves
the valid state space (``info["physics_error"]``). Events in ``info["events"]``:
``beam_hit_stop``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping

import pymunk
from pymunk._chipmunk import lib

from causal_gym.envs import zone
from causal_gym.envs.base import CausalSceneEnv
from causal_gym.physics import (
    COMMON_COLORS,
    COMMON_SURFACE_COLORS,
    Canvas,
    new_space,
)
from causal_gym.scm import Variable

WORLD_WIDTH, WORLD_HEIGHT = 4.0, 1.5  # m
PIVOT_X, PIVOT_Y = 2.0, 0.75  # m
HALF_LENGTH, BEAM_RADIUS, BEAM_MASS = 1.0, 0.03, 1.0  # m, m, kg
BOB_MASS, BOB_DEPTH, BOB_RADIUS = 4.0, 0.4, 0.08  # kg, m below the pivot, m
STOP_ANGLE, STOP_RADIUS = 25.0, 0.03  # deg, m
GRAVITY = 9.81  # m/s^2
POUR_PER_STEP = 0.1  # kg
TARGET_HALF_WIDTH = 0.03  # m
REST_SPEED = 0.02  # rad/s
SUCCESS_BONUS = 1.0

_BEAM_TYPE, _STOP_TYPE = 1, 2
# The beam and bob as one body: its centre of gravity below the pivot, its moment about it.
_BODY_MASS = BEAM_MASS + BOB_MASS
_COG_DEPTH = BOB_MASS * BOB_DEPTH / _BODY_MASS
_BODY_MOMENT = (
    BEAM_MASS * (2 * HALF_LENGTH) ** 2 / 12
    + BEAM_MASS * _COG_DEPTH**2
    + BOB_MASS * (BOB_DEPTH - _COG_DEPTH) ** 2
)

_COLORS = {
    **COMMON_COLORS,
    "beam": (140, 95, 45),
    "stand": (120, 110, 100),
    "sand": (215, 180, 100),
    "payload": (45, 85, 200),
}
# The "surface" task: other colours, same world (see causal_gym.tasks).
_SURFACE_COLORS = {
    **COMMON_SURFACE_COLORS,
    "beam": (120, 200, 230),
    "stand": (200, 200, 210),
    "sand": (90, 60, 160),
    "payload": (240, 130, 40),
}

_BEAM_STATE = ("beam_angle", "beam_angular_velocity")


def payload_height(beam_angle: float) -> float:
    """Height (m) of the beam's right end, where the payload sits, at ``beam_angle`` (deg)."""
    return PIVOT_Y + HALF_LENGTH * math.sin(math.radians(beam_angle))


def beam_end(beam_angle: float, side: float) -> tuple[float, float]:
    """The beam's right end (``side`` = 1) or left end (-1) at ``beam_angle`` degrees."""
    radians = math.radians(beam_angle)
    return PIVOT_X + side * HALF_LENGTH * math.cos(radians), PIVOT_Y + side * HALF_LENGTH * (
        math.sin(radians)
    )


class SeesawEnv(CausalSceneEnv):
    """CausalWorld-Seesaw-v0; the module docstring lists spaces, variables, reward and
    termination."""

    variables = (
        Variable(
            "payload_mass",
            "property",
            0.0,
            3.0,
            "kg",
            "mass of the payload at the right end",
            observed=False,
        ),
        Variable(
            "pivot_damping",
            "property",
            0.0,
            50.0,
            "N m s/rad",
            "viscous friction of the pivot",
            observed=False,
        ),
        Variable(
            "load_target",
            "action",
            0.0,
            3.0,
            "kg",
            "sand the pan should hold (it changes by at most 0.1 kg per step)",
        ),
        Variable("left_load", "state", 0.0, 3.0, "kg", "sand in the pan at the left end"),
        Variable(
            "beam_angle",
            "state",
            -30.0,
            30.0,
            "deg",
            "beam angle, counter-clockwise (left end down) positive",
        ),
        Variable("beam_angular_velocity", "state", -10.0, 10.0, "rad/s", "beam spin"),
        Variable(
            "target_height",
            "state",
            0.35,
            1.15,
            "m",
            "height the payload should rest at (constant)",
        ),
        Variable("payload_to_target", "outcome", -0.8, 0.8, "m", "payload height - target"),
        Variable(
            "success", "outcome", 0.0, 1.0, "", "1 when the payload rests inside the target band"
        ),
    )
    state_parents = {
        "left_load": ("left_load", "load_target"),
        **{
            name: (*_BEAM_STATE, "left_load", "load_target", "payload_mass", "pivot_damping")
            for name in _BEAM_STATE
        },
        "target_height": ("target_height",),
    }
    outcome_parents = {
        "payload_to_target": ("beam_angle", "target_height"),
        "success": (*_BEAM_STATE, "target_height"),
    }
    property_ranges = {
        "train": {"payload_mass": (0.5, 1.2), "pivot_damping": (6.0, 12.0)},
        "ood": {"payload_mass": (1.2, 1.5), "pivot_damping": (4.0, 6.0)},
    }
    colors = _COLORS
    surface_colors = _SURFACE_COLORS
    view = (0.0, -0.05, WORLD_WIDTH, WORLD_HEIGHT)
    event_names = ("beam_hit_stop",)
    velocities = {"beam_angle": "beam_angular_velocity"}
    default_render_size = (180, 480)

    # ----- initial configuration and world building ----------------------------------------

    def _initial_state(
        self, rng: random.Random, properties: Mapping[str, float], do: Mapping[str, float]
    ) -> dict[str, float]:
        # Always one draw, so an intervention never shifts the draws of other variables.
        target_u = rng.random()
        left_load = do.get("left_load", 0.0)
        state = {
            "left_load": left_load,
            "beam_angle": self._rest_angle(left_load, properties["payload_mass"]),
            "beam_angular_velocity": 0.0,
            "target_height": payload_height(-15.0 + 30.0 * target_u),
        }
        state.update(do)
        return state

    @staticmethod
    def _rest_angle(left_load: float, payload_mass: float) -> float:
        """Equilibrium angle (deg) of the beam, within its stops."""
        tangent = (left_load - payload_mass) * HALF_LENGTH / (BOB_MASS * BOB_DEPTH)
        return min(max(math.degrees(math.atan(tangent)), -STOP_ANGLE), STOP_ANGLE)

    def _build(self) -> pymunk.Space:
        space = new_space()
        space.gravity = (0.0, -GRAVITY)
        static = space.static_body
        self._beam = pymunk.Body(_BODY_MASS, _BODY_MOMENT)
        self._beam.center_of_gravity = (0.0, -_COG_DEPTH)
        self._beam.position = (PIVOT_X, PIVOT_Y)
        beam_shape = pymunk.Segment(
            self._beam, (-HALF_LENGTH, 0.0), (HALF_LENGTH, 0.0), BEAM_RADIUS
        )
        beam_shape.collision_type = _BEAM_TYPE
        pivot = pymunk.PivotJoint(static, self._beam, (PIVOT_X, PIVOT_Y), (0.0, 0.0))
        self._damper = pymunk.DampedRotarySpring(static, self._beam, 0.0, 0.0, 0.0)
        stops = []
        for side in (-1.0, 1.0):
            # Where the beam's underside touches a stop when that end is STOP_ANGLE down.
            radians = -side * math.radians(STOP_ANGLE)
            along, reach = 0.9 * HALF_LENGTH, BEAM_RADIUS + STOP_RADIUS
            x = PIVOT_X + side * along * math.cos(radians) + reach * math.sin(radians)
            y = PIVOT_Y + side * along * math.sin(radians) - reach * math.cos(radians)
            stop = pymunk.Circle(static, STOP_RADIUS, (x, y))
            stop.collision_type = _STOP_TYPE
            stops.append(stop)
        self._stop_points = [stop.offset for stop in stops]
        space.add(self._beam, beam_shape, pivot, self._damper, *stops)
        self._report_contacts(space, {(_BEAM_TYPE, _STOP_TYPE): "beam_hit_stop"})
        self._handle = self._beam._body
        self._loads = [0.0, 0.0]  # left_load, payload_mass
        return space

    def _before_substep(self) -> Callable[[], None]:
        handle, loads = self._handle, self._loads
        lever = GRAVITY * HALF_LENGTH

        def apply_load_torque() -> None:
            # Left weight turns the beam counter-clockwise, the payload's clockwise.
            angle = lib.cpBodyGetAngle(handle)
            lib.cpBodySetTorque(handle, lever * math.cos(angle) * (loads[0] - loads[1]))

        return apply_load_torque

    # ----- reading and writing variables ---------------------------------------------------

    def _read_state(self) -> tuple[float, ...]:
        values = self._reader.read()
        return (self._loads[0], math.degrees(values[2]), values[5], self._target_height)

    def _set_load(self, index: int, value: float) -> None:
        self._loads[index] = value
        self._beam.moment = _BODY_MOMENT + (self._loads[0] + self._loads[1]) * HALF_LENGTH**2

    def _set_state(self, name: str, value: float) -> None:
        if name == "left_load":
            self._set_load(0, value)
        elif name == "beam_angle":
            self._place_beam(math.radians(value), self._beam.angular_velocity)
        elif name == "beam_angular_velocity":
            self._place_beam(self._beam.angle, value)
        elif name == "target_height":
            self._target_height = value
        else:
            raise KeyError(name)

    def _place_beam(self, angle: float, angular_velocity: float) -> None:
        """Turn the beam about its pivot, not about its centre of gravity (where pymunk turns a
        body), and move the centre of gravity as a rigid turn about the pivot would."""
        beam = self._beam
        beam.angle = angle
        beam.position = (PIVOT_X, PIVOT_Y)
        beam.angular_velocity = angular_velocity
        speed = angular_velocity * _COG_DEPTH
        beam.velocity = (speed * math.cos(angle), speed * math.sin(angle))

    def _set_property(self, name: str, value: float) -> None:
        if name == "payload_mass":
            self._set_load(1, value)
        elif name == "pivot_damping":
            self._damper.damping = value
        else:
            raise KeyError(name)

    # ----- one control step ----------------------------------------------------------------

    def _apply_action(self, action: list[float], noise: list[float]) -> None:
        load = self._loads[0]
        change = min(max(action[0] - load, -POUR_PER_STEP), POUR_PER_STEP)
        if change != 0.0:
            self._set_load(0, min(max(load + change, 0.0), 3.0))

    # ----- outcomes, reward, termination ---------------------------------------------------

    def _outcomes(self, state: tuple[float, ...]) -> tuple[float, float]:
        return zone.outcomes(
            payload_height(state[1]), state[2], state[3], TARGET_HALF_WIDTH, REST_SPEED
        )

    def _terminated(self, state: tuple[float, ...]) -> bool:
        return self._outcome_values[1] == 1.0

    def _reward(
        self, previous: tuple[float, ...], state: tuple[float, ...], outcomes: tuple[float, ...]
    ) -> float:
        return zone.reward(payload_height(previous[1]) - previous[3], *outcomes, SUCCESS_BONUS)

    def _success_setting(self, state: tuple[float, ...]) -> dict[str, float]:
        sine = (state[3] - PIVOT_Y) / HALF_LENGTH
        return {"beam_angle": math.degrees(math.asin(sine)), "beam_angular_velocity": 0.0}

    # ----- drawing ---------------------------------------------------------------------------

    def _draw_static(self, canvas: Canvas) -> None:
        canvas.fill("sky")
        canvas.rect(0.0, -0.05, WORLD_WIDTH, 0.0, "floor")
        canvas.bar(PIVOT_X, 0.0, PIVOT_X, PIVOT_Y, 0.03, "stand")
        for x, y in self._stop_points:
            canvas.bar(x, 0.0, x, y, STOP_RADIUS, "stand")
        target = self._target_height
        right = PIVOT_X + HALF_LENGTH
        canvas.rect(
            right - 0.25, target - TARGET_HALF_WIDTH, right + 0.35, target + 0.03, "target_band"
        )
        canvas.rect(right + 0.2, target - 0.005, right + 0.35, target + 0.005, "target")

    def _draw_dynamic(self, canvas: Canvas) -> None:
        load, angle = self._state[0], self._state[1]
        left_x, left_y = beam_end(angle, -1.0)
        right_x, right_y = beam_end(angle, 1.0)
        canvas.bar(left_x, left_y, right_x, right_y, BEAM_RADIUS, "beam")
        radians = math.radians(angle)
        bob_x = PIVOT_X + BOB_DEPTH * math.sin(radians)
        bob_y = PIVOT_Y - BOB_DEPTH * math.cos(radians)
        canvas.bar(PIVOT_X, PIVOT_Y, bob_x, bob_y, 0.015, "beam")
        canvas.circle(bob_x, bob_y, BOB_RADIUS, "beam")
        # The pan hangs below the left end; its sand fills it in proportion to the load.
        for side in (-1.0, 1.0):
            canvas.bar(left_x, left_y, left_x + side * 0.14, left_y - 0.17, 0.004, "stand")
        canvas.rect(left_x - 0.15, left_y - 0.2, left_x + 0.15, left_y - 0.17, "stand")
        canvas.rect(
            left_x - 0.14, left_y - 0.17, left_x + 0.14, left_y - 0.17 + 0.05 * load, "sand"
        )
        canvas.rect(right_x - 0.1, right_y + BEAM_RADIUS, right_x + 0.1, right_y + 0.17, "payload")
