"""causal_gym.physics.space: the batched body reader reads what pymunk reports and frees its
C memory (pymunk.batch.Buffer, which it replaces, leaked about 200 bytes per reset)."""

from __future__ import annotations

import gc

import pymunk

from causal_gym.physics import BODY_FIELDS, BodyReader, box_world


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
