"""CausalWorld-Gliders-v0: a push travels down a row of five gliders; stop it after the named one.

The scene, in metres, seen from the side: five gliders (0.3 long, 0.5 kg each) float on an air
track. Each rides on a pin in its own slot, so glider i can travel only 0 to 0.3 m to the
right of where it starts; neighbours start 0.2 m apart. A glider that is hit slides toward the
next one and, if it is fast enough to close the 0.2 m gap before the track's friction stops it,
hits it in turn. The goal: set gliders 1 to k moving, where k = ``target_glider`` is drawn per
episode, and leave glider k+1 untouched.

**The chain.** Glider i can touch only gliders i-1 and i+1, and never both at once: touching
the next one takes 0.2 m more travel than its neighbour has made, and a slot allows 0.3 m, not
0.4. Speeds stay below 2.5 m/s, so a glider crosses at most 0.083 m in one control step: less
than the 0.1 m a hit glider would need to reach the glider after next within that step. So the
push reaches glider 5 through five hops, push -> glider 1 -> glider 2 -> ... -> glider 5, and
nothing skips a link (``tests/test_env_contract.py`` checks it against the simulator).

Each control step (1/30 s, 4 physics substeps) the agent intervenes on:

=========== ======== ========================================================================
action      range    meaning
=========== ======== ========================================================================
push_force  [0, 5] N force on glider 1 for this step, applied as the impulse force x 1/30 s
=========== ======== ========================================================================

Observation (``obs_mode="state"``, float32, order ``state_variables``): for i = 1..5,
``glider{i}_x`` (m; glider i starts at 0.35 + 0.5 (i - 1) and travels at most 0.3 m right of
it) and ``glider{i}_vx`` [-2.5, 2.5] m/s; ``target_glider`` (k, an integer in 2..4, drawn
uniformly; ``do`` rounds it to the nearest integer).
``pixels``: uint8 RGB image of the scene, 84x84 by default.

Hidden properties, drawn per episode (tasks: ``causal_gym.tasks``; ``test`` and ``surface``
use the training ranges; every ``ood`` range lies outside the training one):

=============== ============= ============ ========= =========================================
property        train         ood          valid     meaning
=============== ============= ============ ========= =========================================
track_friction  [0.015, 0.04] [0.04, 0.06] [0, 0.5]  Coulomb friction of a glider on the track
                                                     (deceleration friction x 9.81 m/s^2)
restitution     [0.8, 0.95]   [0.65, 0.8]  [0, 1]    of the glider-glider impacts
=============== ============= ============ ========= =========================================

The end of a slot stops a glider dead.

Outcomes: ``gliders_moved`` (how many gliders are more than 0.01 m from their start) and
``success`` (1 when every glider is at rest, |vx| < 0.01 m/s, glider k has moved and glider k+1
has not).

Reward: 0.2 for each of gliders 1..k when it first moves, 1 when the step ends in success, -1
when glider k+1 moves. Termination: success, or glider k+1 has moved (it cannot move back to
its start: nothing pushes a glider left of it). Truncation: after 150 steps (5 s; registered
``max_episode_steps``), or if the physics leaves the valid state space
(``info["physics_error"]``). Events in ``info["events"]``: ``gliders_collided``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from operator import itemgetter

import pymunk

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

GLIDERS = 5
GLIDER_LENGTH, GLIDER_HEIGHT, GLIDER_MASS = 0.3, 0.12, 0.5  # m, m, kg
FIRST_START, PITCH, TRAVEL = 0.35, 0.5, 0.3  # m: glider 1's start, start to start, slot length
STROKE = 0.1  # m: the pusher reaches glider 1 only this far from its start
TRACK_Y = 0.12  # m, height of the gliders' centres
MAX_SPEED = 2.5  # m/s
GRAVITY = 9.81  # m/s^2, only sets the friction force
MOVED = 0.01  # m from its start: a glider has moved
REST_SPEED = 0.01  # m/s
MOVE_REWARD, SUCCESS_BONUS, OVERSHOOT_PENALTY = 0.2, 1.0, 1.0
WORLD_WIDTH, WORLD_HEIGHT = 3.0, 0.4  # m

_GLIDER_TYPE = 1
STARTS = tuple(FIRST_START + PITCH * i for i in range(GLIDERS))
# BodyReader lists the gliders in order, each x, y, angle, vx, vy, spin.
_XS = tuple(BODY_FIELDS * i for i in range(GLIDERS))
_BODY_STATE = itemgetter(*(field for x in _XS for field in (x, x + 3)))

_COLORS = {
    **COMMON_COLORS,
    "track": (150, 150, 160),
    "slot": (60, 60, 70),
    "glider": (45, 85, 200),
}
# The "surface" task: other colours, same world (see causal_gym.tasks).
_SURFACE_COLORS = {
    **COMMON_SURFACE_COLORS,
    "track": (90, 110, 90),
    "slot": (230, 230, 200),
    "glider": (240, 130, 40),
}

_PROPERTIES = ("track_friction", "restitution")


def _glider_variables(i: int) -> tuple[Variable, Variable]:
    start = STARTS[i - 1]
    return (
        Variable(
            f"glider{i}_x",
            "state",
            start - 0.01,
            start + TRAVEL + 0.01,
            "m",
            f"centre of glider {i} (starts at {start:.2f})",
        ),
        Variable(f"glider{i}_vx", "state", -MAX_SPEED, MAX_SPEED, "m/s", f"velocity of glider {i}"),
    )


def _glider_state(i: int) -> tuple[str, str]:
    return (f"glider{i}_x", f"glider{i}_vx")


def _parents(i: int) -> tuple[str, ...]:
    """Glider i's own state, its neighbours', the properties, and the push for glider 1."""
    neighbours = [_glider_state(j) for j in (i - 1, i, i + 1) if 1 <= j <= GLIDERS]
    push = ("push_force",) if i == 1 else ()
    return (*(name for pair in neighbours for name in pair), *_PROPERTIES, *push)


class GlidersEnv(CausalSceneEnv):
    """CausalWorld-Gliders-v0; the module docstring lists spaces, variables, reward and
    termination."""

    variables = (
        Variable(
            "track_friction",
            "property",
            0.0,
            0.5,
            "",
            "Coulomb friction of a glider on the track",
            observed=False,
        ),
        Variable(
            "restitution",
            "property",
            0.0,
            1.0,
            "",
            "restitution of the glider-glider impacts",
            observed=False,
        ),
        Variable(
            "push_force",
            "action",
            0.0,
            5.0,
            "N",
            "force of the pusher on glider 1 this step (within 0.1 m of its start)",
        ),
        *(var for i in range(1, GLIDERS + 1) for var in _glider_variables(i)),
        Variable(
            "target_glider",
            "state",
            2.0,
            GLIDERS - 1.0,
            "",
            "k: gliders 1..k should move, glider k+1 not (constant)",
        ),
        Variable("gliders_moved", "outcome", 0.0, GLIDERS, "", "gliders away from their start"),
        Variable(
            "success",
            "outcome",
            0.0,
            1.0,
            "",
            "1 when all rest, glider k has moved and glider k+1 has not",
        ),
    )
    state_parents = {
        **{name: _parents(i) for i in range(1, GLIDERS + 1) for name in _glider_state(i)},
        "target_glider": ("target_glider",),
    }
    outcome_parents = {
        "gliders_moved": tuple(f"glider{i}_x" for i in range(1, GLIDERS + 1)),
        "success": (
            "target_glider",
            *(f"glider{i}_x" for i in range(2, GLIDERS + 1)),
            *(f"glider{i}_vx" for i in range(1, GLIDERS + 1)),
        ),
    }
    property_ranges = {
        "train": {"track_friction": (0.015, 0.04), "restitution": (0.8, 0.95)},
        "ood": {"track_friction": (0.04, 0.06), "restitution": (0.65, 0.8)},
    }
    colors = _COLORS
    surface_colors = _SURFACE_COLORS
    view = (0.0, -0.05, WORLD_WIDTH, WORLD_HEIGHT)
    event_names = ("gliders_collided",)
    velocities = {f"glider{i}_x": f"glider{i}_vx" for i in range(1, GLIDERS + 1)}
    default_render_size = (80, 640)

    # ----- initial configuration and world building ----------------------------------------

    def _initial_state(
        self, rng: random.Random, properties: Mapping[str, float], do: Mapping[str, float]
    ) -> dict[str, float]:
        # Always one draw, so an intervention never shifts the draws of other variables.
        target = float(rng.randrange(2, GLIDERS))
        state = {}
        for i, start in enumerate(STARTS, start=1):
            state[f"glider{i}_x"] = start
            state[f"glider{i}_vx"] = 0.0
        state["target_glider"] = target
        state.update(do)
        return state

    def _build(self) -> pymunk.Space:
        space = new_space()
        space.gravity = (0.0, 0.0)  # the air track carries the gliders' weight
        self._gliders, self._shapes, self._friction_joints = [], [], []
        for start in STARTS:
            glider = pymunk.Body(GLIDER_MASS, math.inf)
            glider.position = (start, TRACK_Y)
            shape = pymunk.Poly.create_box(glider, (GLIDER_LENGTH, GLIDER_HEIGHT))
            shape.collision_type = _GLIDER_TYPE
            space.add(glider, shape)
            friction = add_slider(space, glider, (start, TRACK_Y), (start + TRAVEL, TRACK_Y))
            self._gliders.append(glider)
            self._shapes.append(shape)
            self._friction_joints.append(friction)
        self._report_contacts(space, {(_GLIDER_TYPE, _GLIDER_TYPE): "gliders_collided"})
        self._moved = [False] * GLIDERS
        return space

    # ----- reading and writing variables ---------------------------------------------------

    def _read_state(self) -> tuple[float, ...]:
        return (*_BODY_STATE(self._reader.read()), self._target)

    def _set_state(self, name: str, value: float) -> None:
        if name == "target_glider":
            self._target = float(round(value))
            return
        glider_name, _, field = name.partition("_")
        if not (glider_name.startswith("glider") and field in ("x", "vx")):
            raise KeyError(name)
        glider = self._gliders[int(glider_name.removeprefix("glider")) - 1]
        if field == "x":
            glider.position = (value, TRACK_Y)
        else:
            glider.velocity = (value, 0.0)

    def _set_property(self, name: str, value: float) -> None:
        if name == "track_friction":
            for joint in self._friction_joints:
                joint.max_force = value * GLIDER_MASS * GRAVITY
        elif name == "restitution":
            # Pymunk multiplies the two shapes' elasticities at a contact.
            for shape in self._shapes:
                shape.elasticity = math.sqrt(value)
        else:
            raise KeyError(name)

    # ----- one control step ----------------------------------------------------------------

    def _apply_action(self, action: list[float], noise: list[float]) -> None:
        push = action[0]
        if push != 0.0 and self._state[0] - STARTS[0] < STROKE:
            speed = self._state[1] + push * self.control_dt / GLIDER_MASS
            set_velocity(self._gliders[0], speed, 0.0)

    # ----- outcomes, reward, termination ---------------------------------------------------

    def _outcomes(self, state: tuple[float, ...]) -> tuple[float, float]:
        # Which gliders have moved: kept for _terminated and the next step's _reward.
        self._previous_moved = self._moved
        moved = self._moved = [state[2 * i] - start > MOVED for i, start in enumerate(STARTS)]
        k = int(state[-1])
        success = moved[k - 1] and not moved[k] and max(map(abs, state[1:-1:2])) < REST_SPEED
        return float(sum(moved)), 1.0 if success else 0.0

    def _terminated(self, state: tuple[float, ...]) -> bool:
        return self._outcome_values[1] == 1.0 or self._moved[int(state[-1])]

    def _reward(
        self, previous: tuple[float, ...], state: tuple[float, ...], outcomes: tuple[float, ...]
    ) -> float:
        k = int(state[-1])
        before, after = self._previous_moved, self._moved
        newly = sum(after[:k]) - sum(before[:k])
        overshoot = after[k] and not before[k]
        return MOVE_REWARD * newly + SUCCESS_BONUS * outcomes[1] - OVERSHOOT_PENALTY * overshoot

    def _success_setting(self, state: tuple[float, ...]) -> dict[str, float]:
        k = int(state[-1])
        setting = {}
        for i in range(1, GLIDERS + 1):
            moved = i <= k
            setting[f"glider{i}_x"] = STARTS[i - 1] + (0.5 * TRAVEL if moved else 0.0)
            setting[f"glider{i}_vx"] = 0.0
        return setting

    # ----- drawing ---------------------------------------------------------------------------

    def _draw_static(self, canvas: Canvas) -> None:
        canvas.fill("sky")
        canvas.rect(0.0, -0.05, WORLD_WIDTH, 0.03, "track")
        for start in STARTS:
            canvas.rect(start, 0.0, start + TRAVEL, 0.015, "slot")

    def _draw_dynamic(self, canvas: Canvas) -> None:
        state = self._state
        k = int(state[-1])
        half_length, half_height = GLIDER_LENGTH / 2, GLIDER_HEIGHT / 2
        for i in range(GLIDERS):
            x = state[2 * i]
            color = "target" if i == k - 1 else "ball" if i == k else "glider"
            canvas.rect(
                x - half_length,
                TRACK_Y - half_height,
                x + half_length,
                TRACK_Y + half_height,
                color,
            )
            canvas.rect(x - 0.01, 0.0, x + 0.01, TRACK_Y, "slot")
