"""Shared physics: pymunk world helpers and the numpy rasterizer."""

from causal_gym.physics.render import COMMON_COLORS, COMMON_SURFACE_COLORS, RGB, Canvas
from causal_gym.physics.space import (
    BODY_FIELDS,
    BodyReader,
    ContactReporter,
    add_box_walls,
    add_slider,
    box_world,
    new_space,
    release_space,
    set_angle,
    set_angular_velocity,
    set_friction,
    set_velocity,
    stepper,
)

__all__ = [
    "BODY_FIELDS",
    "COMMON_COLORS",
    "COMMON_SURFACE_COLORS",
    "RGB",
    "BodyReader",
    "Canvas",
    "ContactReporter",
    "add_box_walls",
    "add_slider",
    "box_world",
    "new_space",
    "release_space",
    "set_angle",
    "set_angular_velocity",
    "set_friction",
    "set_velocity",
    "stepper",
]
