"""pymunk world building, fast batched reads of body states, and fast velocity writes.

``env.step`` reads and writes a few bodies every control step, and pymunk's Python properties
cost about 2 us per access (an attribute guard, a property, a Vec2d): as much as a physics
substep. Here the same chipmunk functions that pymunk's properties and ``pymunk.batch`` call
are called directly through pymunk's own cffi bindings (pymunk is pinned to 7.x).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pymunk
import pymunk.batch
from pymunk._chipmunk import ffi, lib

# Per body, the batch read writes x, y, angle, vx, vy, angular velocity: first the dynamic and
# kinematic bodies in the order they were added, then the space's own static body.
BODY_FIELDS = 6
_FIELDS = (
    pymunk.batch.BodyFields.POSITION
    | pymunk.batch.BodyFields.ANGLE
    | pymunk.batch.BodyFields.VELOCITY
    | pymunk.batch.BodyFields.ANGULAR_VELOCITY
)


class BodyReader:
    """Reads every body's pose and velocity with one C call.

    ``read()`` returns ``BODY_FIELDS`` floats per body: the dynamic and kinematic bodies in the
    order they were added, then the space's static body (present once a shape uses it). The
    bodies must not change after the reader is made.

    It fills the C structs that ``pymunk.batch`` uses itself rather than going through
    ``pymunk.batch.Buffer``, which never frees its C arrays: one Buffer per episode leaked
    about 200 bytes a reset (measured with ``benchmarks/soak.py``). Here the probe's arrays
    are freed by chipmunk's own free functions and the reading array is a cffi-owned struct
    over numpy memory, both released with the reader.
    """

    def __init__(self, space: pymunk.Space) -> None:
        self._query = ffi.new("pmBatchedData *")
        self._query.fields = _FIELDS.value
        self._ints = ffi.gc(lib.pmIntArrayNew(0), lib.pmIntArrayFree)
        self._query.intArray = self._ints
        self._visit = ffi.addressof(lib, "pmSpaceBodyGetIteratorFuncBatched")
        self._space = space  # keeps the C space alive as long as this reader
        self._handle = space._space
        probe = ffi.gc(lib.pmFloatArrayNew(0), lib.pmFloatArrayFree)
        self._query.floatArray = probe
        lib.cpSpaceEachBody(self._handle, self._visit, self._query)
        self._n = probe.num
        # Chipmunk reallocates the array when it is filled exactly, which must never happen to
        # memory numpy owns: keep a body's worth of spare room.
        self.values = np.zeros(self._n + BODY_FIELDS)
        self._memory = ffi.from_buffer("cpFloat[]", self.values)
        self._floats = ffi.new("pmFloatArray *")
        self._floats.arr = self._memory
        self._floats.max = len(self.values)
        self._query.floatArray = self._floats

    def read(self) -> list[float]:
        self._floats.num = 0
        lib.cpSpaceEachBody(self._handle, self._visit, self._query)
        if self._floats.num != self._n:
            raise RuntimeError(
                f"the space had {self._n // BODY_FIELDS} bodies when its reader was made and "
                f"has {self._floats.num // BODY_FIELDS} now; make a new BodyReader"
            )
        return self.values[: self._n].tolist()


def stepper(
    space: pymunk.Space,
    dt: float,
    substeps: int,
    before_substep: Callable[[], None] | None = None,
) -> Callable[[], None]:
    """A function advancing ``space`` by ``substeps`` steps of ``dt`` seconds, calling
    ``before_substep`` (if given) before each: chipmunk clears forces after every step.

    It calls chipmunk's step directly. pymunk's ``Space.step`` wraps the same call with
    bookkeeping for bodies and shapes added or removed inside collision callbacks and for
    post-step callbacks; scenes use neither, and the wrapper costs as much as the step itself.
    The throughput benchmark's bare loop uses this same function.
    """
    handle = space._space
    step = lib.cpSpaceStep

    if before_substep is None:

        def advance() -> None:
            for _ in range(substeps):
                step(handle, dt)

    else:

        def advance() -> None:
            for _ in range(substeps):
                before_substep()
                step(handle, dt)

    advance.space = space  # keeps the C space and its bodies alive as long as this function

    return advance


class ContactReporter:
    """Calls ``on_contact(tag)`` when shapes of two collision types start touching.

    It installs the begin callback on chipmunk's collision handler directly instead of
    through ``Space.on_collision``: pymunk keeps a space and its ``CollisionHandler`` objects
    in a reference cycle that only the garbage collector breaks, and until it runs every
    finished episode's space keeps its C memory (measured: resident memory swinging by 5-10%
    over a soak). The callback itself is pymunk's compiled one (``ext_cpCollisionBeginFunc``,
    an API-mode ``def_extern``, so no run-time ``ffi.callback`` trampoline is needed), handed
    a small relay object in place of a ``CollisionHandler``. One relay per tag serves every
    space of an env; the reporter keeps them alive, and the env keeps the reporter.
    """

    def __init__(self, on_contact: Callable[[int], None]) -> None:
        self._on_contact = on_contact
        self._relays: dict[int, tuple[_ContactRelay, object]] = {}

    def watch(self, space: pymunk.Space, type_a: int, type_b: int, tag: int) -> None:
        """Report ``tag`` when a shape of ``type_a`` starts touching one of ``type_b``."""
        if tag not in self._relays:
            relay = _ContactRelay(self._on_contact, tag)
            self._relays[tag] = (relay, ffi.new_handle(relay))
        handler = lib.cpSpaceAddCollisionHandler(space._space, type_a, type_b)
        handler.beginFunc = lib.ext_cpCollisionBeginFunc
        handler.userData = self._relays[tag][1]


class _ContactRelay:
    """What pymunk's ``ext_cpCollisionBeginFunc`` reads from a ``CollisionHandler``."""

    def __init__(self, on_contact: Callable[[int], None], tag: int) -> None:
        self._space = None  # the callback passes it on; the relay has no use for it
        self.data = {"begin": None}
        self._on_contact, self._tag = on_contact, tag

    def _begin(self, arbiter: object, space: object, data: object) -> None:
        self._on_contact(self._tag)


def set_velocity(body: pymunk.Body, vx: float, vy: float) -> None:
    lib.cpBodySetVelocity(body._body, (vx, vy))


def set_angular_velocity(body: pymunk.Body, angular_velocity: float) -> None:
    lib.cpBodySetAngularVelocity(body._body, angular_velocity)


def set_angle(body: pymunk.Body, angle: float) -> None:
    lib.cpBodySetAngle(body._body, angle)


def set_friction(shape: pymunk.Shape, friction: float) -> None:
    lib.cpShapeSetFriction(shape._shape, friction)


def add_slider(
    space: pymunk.Space, body: pymunk.Body, start: tuple[float, float], end: tuple[float, float]
) -> pymunk.PivotJoint:
    """Let ``body``'s centre move only along the segment ``start``-``end`` (a pin in a slot;
    an end stops it dead), against Coulomb friction: returns the friction joint, whose
    ``max_force`` is the friction force (N). Chipmunk's top-down friction: a joint that only
    resists motion (no position correction), up to a force."""
    static = space.static_body
    slot = pymunk.GrooveJoint(static, body, start, end, (0.0, 0.0))
    friction = pymunk.PivotJoint(static, body, (0.0, 0.0), (0.0, 0.0))
    friction.max_bias = 0.0
    space.add(slot, friction)
    return friction


def release_space(space: pymunk.Space) -> None:
    """Detach every constraint, shape and body from a space that is about to be dropped.

    pymunk keeps each constraint and its bodies in a reference cycle (``Body._constraints``),
    which outlives the space until the garbage collector runs, while the C objects stay
    attached to the C space. When the space is freed, pymunk's finalizer walks it with Python
    callbacks, with the space locked; a collection that falls inside that walk frees such a
    body, whose finalizer removes it from the locked space, and chipmunk aborts the process
    ("This operation cannot be done safely during a call to cpSpaceStep() or during a
    query"; seen generating Shuffle questions with images, where a scene's sliders tie bodies
    to the static body). Detached first, nothing is left for either finalizer to remove.
    """
    space.remove(*space.constraints, *space.shapes, *space.bodies)
    static = space._static_body  # pymunk adds it to the C space but does not list it
    if static is not None and lib.cpSpaceContainsBody(space._space, static._body):
        lib.cpSpaceRemoveBody(space._space, static._body)


def new_space() -> pymunk.Space:
    """An empty space for a world measured in metres."""
    space = pymunk.Space()
    # pymunk's default slop (0.1) is tuned for pixel units.
    space.collision_slop = 0.002
    return space


def box_world(
    width: float, height: float, thickness: float, friction: float, elasticity: float
) -> tuple[pymunk.Space, list[pymunk.Segment]]:
    """A space in metres with floor, right wall, ceiling and left wall around [0, width] x
    [0, height]; returns the space and the four walls in that order."""
    space = new_space()
    return space, add_box_walls(space, width, height, thickness, friction, elasticity)


def add_box_walls(
    space: pymunk.Space,
    width: float,
    height: float,
    thickness: float,
    friction: float,
    elasticity: float,
) -> list[pymunk.Segment]:
    """Static floor, right wall, ceiling and left wall (in that order) whose inner faces are
    the box [0, width] x [0, height]."""
    r = thickness
    corners = [(-r, -r), (width + r, -r), (width + r, height + r), (-r, height + r)]
    # Space.static_body costs ~14 us a call (pymunk looks the body up afresh every time).
    static_body = space.static_body
    walls = []
    for start, end in zip(corners, corners[1:] + corners[:1], strict=True):
        wall = pymunk.Segment(static_body, start, end, r)
        wall.friction = friction
        wall.elasticity = elasticity
        walls.append(wall)
    space.add(*walls)
    return walls
