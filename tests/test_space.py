"""causal_gym.physics.space: the batched body reader reads what pymunk reports and frees its
C memory (pymunk.batch.Buffer, which it replaces, leaked about 200 bytes per reset)."""

from __future__ import annotations

import gc

import gymnasium as gym
import pymunk
import pytest
from pymunk._chipmunk import ffi, lib

import causal_gym  # noqa: F401  (registers the scenes)
from causal_gym.physics import BODY_FIELDS, BodyReader, add_slider, box_world, release_space


def resident_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def small_world() -> pymunk.Space:
    space, _ = box_world(4.0, 1.2, 0.05, 1.0, 0.0)
    body = pymunk.Body(1.0, 1.0)
    body.position, body.velocity, body.angle = (1.0, 0.5), (2.0, -1.0), 0.25
    space.add(body, pymunk.Circle(body, 0.1))
    return space


def test_the_reader_reads_each_body_then_the_static_body() -> None:
    space = small_world()
    values = BodyReader(space).read()
    assert len(values) == 2 * BODY_FIELDS  # the ball, then the walls' static body
    assert values[:BODY_FIELDS] == [1.0, 0.5, 0.25, 2.0, -1.0, 0.0]


def test_readers_free_their_memory() -> None:
    space = small_world()
    for _ in range(2_000):
        BodyReader(space).read()
    gc.collect()
    before = resident_bytes()
    for _ in range(40_000):
        BodyReader(space).read()
    gc.collect()
    # pymunk.batch.Buffer's arrays, never freed, cost about 16 MB here.
    assert resident_bytes() - before < 4 * 2**20


def test_a_released_space_keeps_nothing_attached() -> None:
    # A slider ties the body to the static body with constraints: the reference cycles that
    # outlive a dropped space (``release_space``'s docstring).
    space = small_world()
    body = pymunk.Body(1.0, 1.0)
    space.add(body, pymunk.Circle(body, 0.1))
    add_slider(space, body, (0.5, 0.3), (3.5, 0.3))
    parts = [*space.bodies, space.static_body, *space.shapes, *space.constraints]
    release_space(space)
    assert not (space.bodies or space.shapes or space.constraints)
    for part in parts:
        if isinstance(part, pymunk.Body):
            assert lib.cpBodyGetSpace(part._body) == ffi.NULL
        elif isinstance(part, pymunk.Shape):
            assert lib.cpShapeGetSpace(part._shape) == ffi.NULL
        else:
            assert lib.cpConstraintGetSpace(part._constraint) == ffi.NULL
    del space, parts
    gc.collect()


def test_every_reset_releases_the_previous_world() -> None:
    env = gym.make("CausalWorld-Shuffle-v0").unwrapped
    env.reset(seed=0)
    first = env._space
    static = first.static_body
    env.reset(seed=1)
    assert not (first.constraints or first.bodies or first.shapes)
    assert lib.cpBodyGetSpace(static._body) == ffi.NULL
    second = env._space
    env.close()
    assert not (second.constraints or second.bodies or second.shapes)
    with pytest.raises(gym.error.ResetNeeded):
        env.step(env.action_space.sample())
    env.reset(seed=2)  # a closed env resets into a new world
    env.step(env.action_space.sample())
