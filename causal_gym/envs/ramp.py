"""CausalWorld-Ramp-v0: a ball rolls down a tiltable ramp and knocks a block toward a target.

The scene, in metres: a 4 x 1.2 box. A 1.1 m ramp is hinged on the floor at x = 1.25 and rises
to the left; a ball (radius 0.08) starts on it near the top. A 0.2 m square block rests on the
floor to the right; the goal is to make the block come to rest with its centre inside the
target zone ``target_x +- 0.1``.

Each control step (1/30 s, 4 physics substeps) the agent intervenes on:

================== ============= =======================================================
action             range         meaning
================== ============= =======================================================
ramp_angle_target  [10, 50] deg  angle the ramp turns toward, at most 3 deg per step
ball_push          [-0.25, 0.25] impulse along the ramp (downhill positive) given to the
                   N s           ball only while it touches the ramp; the actuator's gain
                                 is noisy: x (1 + 0.1 eps), eps ~ N(0, 1) cut at +-2
================== ============= =======================================================

Observation (``obs_mode="state"``, float32, order ``state_variables``): ramp_angle [10, 50] deg,
ball_x [0, 4] m, ball_y [0, 1.2] m, ball_vx, ball_vy [-15, 15] m/s, ball_angular_velocity
[-250, 250] rad/s (counter-clockwise positive), block_x [1.6, 3.95] m (the wall's face is
at 3.9; a block driven into it presses in by up to a centimetre), block_vx [-15, 15] m/s,
target_x [2.0, 3.6] m (drawn in [2.25, 3.25], 0.25-1.45 m beyond the block).
``pixels``: uint8 RGB image of the scene, 84x84 by default.

Hidden properties. Three are drawn per episode (tasks: ``causal_gym.tasks``; ``test`` and
``surface`` use the training ranges; every ``ood`` range lies outside the training one); the
block's two and the ball's restitution are constants of the scene, the same in every task (a
range of one value), and change only by ``do``:

================== ============ ============ =========== =======
property           train        ood          valid       unit
================== ============ ============ =========== =======
ball_mass          [0.8, 1.6]   [1.6, 2.0]   [0.1, 5]    kg
ball_friction      [0.4, 0.8]   [0.2, 0.4]   [0, 2]
gravity            [9.0, 10.6]  [8.0, 9.0]   [0, 30]     m/s^2
block_mass         0.7          0.7          [0.1, 5]    kg
block_friction     0.175        0.175        [0, 2]      (block on the floor)
ball_restitution   0.4          0.4          [0, 1]
================== ============ ============ =========== =======

What an agent has to find out, and how: gravity shows in how fast the ball runs down the ramp;
the ball's mass shows only in what a push does to it (its speed changes by impulse / mass, the
gain's noise aside) and decides how hard it hits the block. So an agent that pushes early can
weigh the ball before it leaves the ramp and then choose its speed. The best constant action
succeeds on about a third of episodes for an agent that knows nothing, and on about nine in
ten for one that knows the ball's mass (``benchmarks/information_ceiling.py``; figures in
``docs/benchmarks.md``). The block's properties and the restitution are constants because
nothing observable depends on them before the impact, after which no action has any effect:
drawn per episode, they held an agent that knew the ball's properties to about 20%.

Pymunk multiplies the two shapes' frictions and elasticities at a contact; floor, walls and ramp
have friction 1 and elasticity 0, the block elasticity 1, so ``ball_restitution`` acts on
ball-block impacts only.

Causal structure (checked against the simulator by ``tests/test_env_contract.py``):
the ramp is kinematic, so nothing but ``ramp_angle_target`` drives ``ramp_angle``; the ramp and
the push move the ball; the ball moves the block only by hitting it (the block's valid
positions keep it 0.23 m clear of the ramp, and 0.07 m clear of a ball touching the ramp), so
actions reach the block through the ball. Ball and block push each other, which makes the
summary graph cyclic between them.
Ball mass matters: rolling under gravity alone is mass-independent, but a push changes the
ball's speed by impulse / mass and every impact depends on both masses.

Outcomes: ``block_to_target`` = block_x - target_x (m) and ``success`` (1 when the block is at
rest, |block_vx| < 0.01 m/s, inside the zone).

Reward: the block's progress toward the target, |d_t| - |d_{t+1}| with d = block_x - target_x
(metres), plus 1 when the step ends in success. Termination: the block is at rest inside the
zone (success) or at rest beyond it (it cannot come back). Truncation: after 150 steps (5 s;
registered ``max_episode_steps``, enforced by ``gymnasium.make``'s ``TimeLimit``), or if the
physics leaves the valid state space (``info["physics_error"]``).
Events in ``info["events"]``: ``ball_hit_block``, ``block_hit_wall``.
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
    set_angle,
    set_angular_velocity,
    set_velocity,
)
from causal_gym.scm import Variable

WORLD_WIDTH, WORLD_HEIGHT = 4.0, 1.2  # m
WALL_THICKNESS = 0.05  # m
RAMP_PIVOT_X = 1.25  # m, where the ramp's lower end rests on the floor
RAMP_LENGTH = 1.1  # m
RAMP_RADIUS = 0.02  # m, half the ramp's thickness
RAMP_MAX_TURN = 3.0  # deg per control step
BALL_RADIUS = 0.08  # m
BLOCK_SIZE = 0.2  # m
TARGET_HALF_WIDTH = 0.1  # m
REST_SPEED = 0.01  # m/s
PUSH_NOISE = 0.1  # relative standard deviation of the push actuator's gain
SUCCESS_BONUS = 1.0

_BALL_TYPE, _BLOCK_TYPE, _WALL_TYPE = 1, 2, 3
# BodyReader lists ramp, ball, block (the order they are added), each x, y, angle, vx, vy, spin.
_BALL, _BLOCK = BODY_FIELDS, 2 * BODY_FIELDS
_BODY_STATE = itemgetter(_BALL, _BALL + 1, _BALL + 3, _BALL + 4, _BALL + 5, _BLOCK, _BLOCK + 3)

_COLORS = {
    **COMMON_COLORS,
    "ramp": (140, 95, 45),
    "block": (45, 85, 200),
}
# The "surface" task: other colours, same world (see causal_gym.tasks).
_SURFACE_COLORS = {
    **COMMON_SURFACE_COLORS,
    "ramp": (120, 200, 230),
    "block": (240, 130, 40),
}

_ALL_PHYSICS = (
    "ball_mass",
    "block_mass",
    "ball_friction",
    "block_friction",
    "ball_restitution",
    "gravity",
)
_BALL_STATE = ("ball_x", "ball_y", "ball_vx", "ball_vy", "ball_angular_velocity")
_BLOCK_STATE = ("block_x", "block_vx")


class RampEnv(CausalSceneEnv):
    """CausalWorld-Ramp-v0; the module docstring lists spaces, variables, reward and termination."""

    variables = (
        Variable("ball_mass", "property", 0.1, 5.0, "kg", "mass of the ball", observed=False),
        Variable("block_mass", "property", 0.1, 5.0, "kg", "mass of the block", observed=False),
        Variable(
            "ball_friction",
            "property",
            0.0,
            2.0,
            "",
            "friction coefficient of the ball",
            observed=False,
        ),
        Variable(
            "block_friction",
            "property",
            0.0,
            2.0,
            "",
            "friction coefficient of the block (on the floor)",
            observed=False,
        ),
        Variable(
            "ball_restitution",
            "property",
            0.0,
            1.0,
            "",
            "elasticity of the ball's impacts on the block",
            observed=False,
        ),
        Variable(
            "gravity",
            "property",
            0.0,
            30.0,
            "m/s^2",
            "downward gravitational acceleration",
            observed=False,
        ),
        Variable(
            "ramp_angle_target",
            "action",
            10.0,
            50.0,
            "deg",
            "angle the ramp turns toward this step (at most 3 deg per step)",
        ),
        Variable(
            "ball_push",
            "action",
            -0.25,
            0.25,
            "N s",
            "impulse along the ramp, downhill positive, while the ball touches it",
        ),
        Variable("ramp_angle", "state", 10.0, 50.0, "deg", "ramp angle above the floor"),
        Variable("ball_x", "state", 0.0, WORLD_WIDTH, "m", "ball centre, horizontal"),
        Variable("ball_y", "state", 0.0, WORLD_HEIGHT, "m", "ball centre, height above the floor"),
        Variable("ball_vx", "state", -15.0, 15.0, "m/s", "ball velocity, horizontal"),
        Variable("ball_vy", "state", -15.0, 15.0, "m/s", "ball velocity, vertical"),
        Variable(
            "ball_angular_velocity",
            "state",
            -250.0,
            250.0,
            "rad/s",
            "ball spin, counter-clockwise positive",
        ),
        # A block driven into the right wall (its face at 3.9) presses in by up to a centimetre.
        Variable("block_x", "state", 1.6, 3.95, "m", "block centre"),
        Variable("block_vx", "state", -15.0, 15.0, "m/s", "block velocity"),
        Variable("target_x", "state", 2.0, 3.6, "m", "centre of the target zone (constant)"),
        Variable("block_to_target", "outcome", -2.0, 1.95, "m", "block_x - target_x"),
        Variable(
            "success", "outcome", 0.0, 1.0, "", "1 when the block rests inside the target zone"
        ),
    )
    state_parents = {
        "ramp_angle": ("ramp_angle", "ramp_angle_target"),
        **{
            name: (
                "ramp_angle",
                "ramp_angle_target",
                "ball_push",
                *_BALL_STATE,
                *_BLOCK_STATE,
                *_ALL_PHYSICS,
            )
            for name in _BALL_STATE
        },
        **{name: (*_BALL_STATE, *_BLOCK_STATE, *_ALL_PHYSICS) for name in _BLOCK_STATE},
        "target_x": ("target_x",),
    }
    outcome_parents = {
        "block_to_target": ("block_x", "target_x"),
        "success": ("block_x", "block_vx", "target_x"),
    }
    # The block's properties and the restitution are constants (see the module docstring).
    property_ranges = {
        "train": {
            "ball_mass": (0.8, 1.6),
            "block_mass": (0.7, 0.7),
            "ball_friction": (0.4, 0.8),
            "block_friction": (0.175, 0.175),
            "ball_restitution": (0.4, 0.4),
            "gravity": (9.0, 10.6),
        },
        "ood": {
            "ball_mass": (1.6, 2.0),
            "block_mass": (0.7, 0.7),
            "ball_friction": (0.2, 0.4),
            "block_friction": (0.175, 0.175),
            "ball_restitution": (0.4, 0.4),
            "gravity": (8.0, 9.0),
        },
    }
    colors = _COLORS
    surface_colors = _SURFACE_COLORS
    view = (-WALL_THICKNESS, -0.1, WORLD_WIDTH + WALL_THICKNESS, WORLD_HEIGHT + WALL_THICKNESS)
    event_names = ("ball_hit_block", "block_hit_wall")
    velocities = {"ball_x": "ball_vx", "ball_y": "ball_vy", "block_x": "block_vx"}
    noise_per_step = 1
    default_render_size = (160, 480)

    # ----- initial configuration and world building ----------------------------------------

    def _initial_state(
        self, rng: random.Random, properties: Mapping[str, float], do: Mapping[str, float]
    ) -> dict[str, float]:
        # Always four draws, so an intervention never shifts the draws of other variables.
        angle_u, distance_u, block_u, target_u = (rng.random() for _ in range(4))
        ramp_angle = do.get("ramp_angle", 20.0 + 20.0 * angle_u)
        distance_along_ramp = 0.8 + 0.2 * distance_u
        ball_x, ball_y = _point_above_ramp(ramp_angle, distance_along_ramp, BALL_RADIUS + 0.001)
        state = {
            "ramp_angle": ramp_angle,
            "ball_x": ball_x,
            "ball_y": ball_y,
            "ball_vx": 0.0,
            "ball_vy": 0.0,
            "ball_angular_velocity": 0.0,
            "block_x": 1.8 + 0.2 * block_u,
            "block_vx": 0.0,
            "target_x": 2.25 + 1.0 * target_u,
        }
        state.update(do)
        return state

    def _build(self) -> pymunk.Space:
        space, (_floor, right_wall, _ceiling, left_wall) = box_world(
            WORLD_WIDTH, WORLD_HEIGHT, WALL_THICKNESS, 1.0, 0.0
        )
        right_wall.collision_type = left_wall.collision_type = _WALL_TYPE

        self._ramp = pymunk.Body(body_type=pymunk.Body.KINEMATIC)
        self._ramp.position = (RAMP_PIVOT_X, RAMP_RADIUS)
        ramp_shape = pymunk.Segment(self._ramp, (0.0, 0.0), (-RAMP_LENGTH, 0.0), RAMP_RADIUS)
        ramp_shape.friction = 1.0

        self._ball = pymunk.Body(1.0, 1.0)
        self._ball_shape = pymunk.Circle(self._ball, BALL_RADIUS)
        self._ball_shape.collision_type = _BALL_TYPE

        self._block = pymunk.Body(1.0, math.inf)
        self._block.position = (0.0, BLOCK_SIZE / 2)
        self._block_shape = pymunk.Poly.create_box(self._block, (BLOCK_SIZE, BLOCK_SIZE))
        self._block_shape.elasticity = 1.0
        self._block_shape.collision_type = _BLOCK_TYPE

        space.add(
            self._ramp, ramp_shape, self._ball, self._ball_shape, self._block, self._block_shape
        )
        self._report_contacts(
            space,
            {
                (_BALL_TYPE, _BLOCK_TYPE): "ball_hit_block",
                (_BLOCK_TYPE, _WALL_TYPE): "block_hit_wall",
            },
        )
        return space

    # ----- reading and writing variables ---------------------------------------------------

    def _read_state(self) -> tuple[float, ...]:
        return (self._ramp_angle, *_BODY_STATE(self._reader.read()), self._target_x)

    def _set_state(self, name: str, value: float) -> None:
        ball, block = self._ball, self._block
        if name == "ramp_angle":
            self._ramp_angle = value
            self._ramp.angle = -math.radians(value)
        elif name == "target_x":
            self._target_x = value
        elif name == "ball_x":
            ball.position = (value, ball.position.y)
        elif name == "ball_y":
            ball.position = (ball.position.x, value)
        elif name == "ball_vx":
            ball.velocity = (value, ball.velocity.y)
        elif name == "ball_vy":
            ball.velocity = (ball.velocity.x, value)
        elif name == "ball_angular_velocity":
            ball.angular_velocity = value
        elif name == "block_x":
            block.position = (value, block.position.y)
        elif name == "block_vx":
            block.velocity = (value, block.velocity.y)
        else:
            raise KeyError(name)

    def _set_property(self, name: str, value: float) -> None:
        if name == "ball_mass":
            self._ball.mass = value
            self._ball.moment = pymunk.moment_for_circle(value, 0.0, BALL_RADIUS)
        elif name == "block_mass":
            self._block.mass = value
        elif name == "ball_friction":
            self._ball_shape.friction = value
        elif name == "block_friction":
            self._block_shape.friction = value
        elif name == "ball_restitution":
            self._ball_shape.elasticity = value
        elif name == "gravity":
            self._space.gravity = (0.0, -value)
        else:
            raise KeyError(name)

    # ----- one control step ----------------------------------------------------------------

    def _apply_action(self, action: list[float], noise: list[float]) -> None:
        angle_target, push = action
        angle = self._ramp_angle
        turn = min(max(angle_target - angle, -RAMP_MAX_TURN), RAMP_MAX_TURN)
        self._next_ramp_angle = angle + turn
        set_angular_velocity(self._ramp, -math.radians(turn) / self.control_dt)
        state = self._state
        if push == 0.0 or not ball_touches_ramp(angle, state[1], state[2]):
            return
        radians = math.radians(angle)
        downhill_x, downhill_y = math.cos(radians), -math.sin(radians)
        gain = 1.0 + PUSH_NOISE * min(max(noise[0], -2.0), 2.0)
        speed_change = push * gain / self.properties["ball_mass"]
        set_velocity(
            self._ball, state[3] + speed_change * downhill_x, state[4] + speed_change * downhill_y
        )

    def _after_physics(self, action: list[float]) -> None:
        # Integrating the angular velocity leaves rounding error; pin the exact angle.
        if self._next_ramp_angle != self._ramp_angle:
            self._ramp_angle = self._next_ramp_angle
            set_angle(self._ramp, -math.radians(self._ramp_angle))

    # ----- outcomes, reward, termination ---------------------------------------------------

    def _outcomes(self, state: tuple[float, ...]) -> tuple[float, float]:
        return zone.outcomes(state[6], state[7], state[8], TARGET_HALF_WIDTH, REST_SPEED)

    def _terminated(self, state: tuple[float, ...]) -> bool:
        return abs(state[7]) < REST_SPEED and state[6] - state[8] >= -TARGET_HALF_WIDTH

    def _reward(
        self, previous: tuple[float, ...], state: tuple[float, ...], outcomes: tuple[float, ...]
    ) -> float:
        return zone.reward(previous[6] - previous[8], *outcomes, SUCCESS_BONUS)

    def _success_setting(self, state: tuple[float, ...]) -> dict[str, float]:
        return {"block_x": state[8], "block_vx": 0.0}

    # ----- drawing ---------------------------------------------------------------------------

    def _draw_static(self, canvas: Canvas) -> None:
        zone.draw(canvas, self.view, self._target_x, TARGET_HALF_WIDTH, band_height=0.4)

    def _draw_dynamic(self, canvas: Canvas) -> None:
        state = self._state
        top_x, top_y = _point_above_ramp(self._ramp_angle, RAMP_LENGTH, 0.0)
        canvas.bar(RAMP_PIVOT_X, RAMP_RADIUS, top_x, top_y, RAMP_RADIUS, "ramp")
        half = BLOCK_SIZE / 2
        canvas.rect(state[6] - half, 0.0, state[6] + half, BLOCK_SIZE, "block")
        ball_x, ball_y = state[1], state[2]
        canvas.wheel(ball_x, ball_y, BALL_RADIUS, self._ball.angle, "ball", "spoke")


def _point_above_ramp(angle_deg: float, distance: float, clearance: float) -> tuple[float, float]:
    """The point ``distance`` up the ramp from its pivot, ``clearance`` above its surface."""
    radians = math.radians(angle_deg)
    along_x, along_y = -math.cos(radians), math.sin(radians)
    normal_x, normal_y = math.sin(radians), math.cos(radians)
    lift = RAMP_RADIUS + clearance
    return (
        RAMP_PIVOT_X + distance * along_x + lift * normal_x,
        RAMP_RADIUS + distance * along_y + lift * normal_y,
    )


def contact_momentum(
    ramp_angle: float, ball_vx: float, ball_vy: float, ball_angular_velocity: float
) -> float:
    """The ball's angular momentum about its contact with the ramp divided by m r (m/s), from
    observed variables (deg, m/s, rad/s): its downhill speed plus half the rim speed of its
    clockwise spin (a disc). Contact friction leaves it alone, so while the ball touches the
    ramp only gravity (g sin(angle) per second) and a push (impulse / ball_mass) change it:
    how an agent weighs the ball."""
    radians = math.radians(ramp_angle)
    downhill = ball_vx * math.cos(radians) - ball_vy * math.sin(radians)
    return downhill - ball_angular_velocity * BALL_RADIUS / 2


def ball_touches_ramp(ramp_angle: float, ball_x: float, ball_y: float) -> bool:
    """Whether the ball centred at (``ball_x``, ``ball_y``) m is within 1 cm of the ramp at
    ``ramp_angle`` deg: the condition for a push to act on it."""
    radians = math.radians(ramp_angle)
    downhill_x, downhill_y = math.cos(radians), -math.sin(radians)
    rel_x, rel_y = ball_x - RAMP_PIVOT_X, ball_y - RAMP_RADIUS
    up_ramp = min(max(-(rel_x * downhill_x + rel_y * downhill_y), 0.0), RAMP_LENGTH)
    # Distance from the ball's centre to the nearest point of the ramp's centre line.
    gap = math.hypot(rel_x + up_ramp * downhill_x, rel_y + up_ramp * downhill_y)
    return gap <= BALL_RADIUS + RAMP_RADIUS + 0.01
