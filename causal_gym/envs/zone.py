"""The goal that floor scenes share: bring an object to rest inside a zone around target_x.

Pure functions, so a scene's outcomes, reward and drawing of that goal stay one line each.
"""

from __future__ import annotations

from causal_gym.physics import Canvas


def outcomes(
    position: float, velocity: float, target: float, half_width: float, rest_speed: float
) -> tuple[float, float]:
    """(position - target, 1.0 when the object rests inside the zone else 0.0)."""
    offset = position - target
    at_rest_inside = abs(offset) <= half_width and abs(velocity) < rest_speed
    return offset, 1.0 if at_rest_inside else 0.0


def reward(previous_offset: float, offset: float, success: float, bonus: float) -> float:
    """Progress toward the target in metres, |d_t| - |d_{t+1}|, plus ``bonus`` on success."""
    return abs(previous_offset) - abs(offset) + bonus * success


def draw(
    canvas: Canvas,
    view: tuple[float, float, float, float],
    target: float,
    half_width: float,
    band_height: float,
) -> None:
    """Sky, the floor, and the zone: a mark on the floor and a light band above it."""
    canvas.fill("sky")
    x0, y0, x1, _ = view
    canvas.rect(x0, y0, x1, 0.0, "floor")
    canvas.rect(target - half_width, 0.0, target + half_width, band_height, "target_band")
    canvas.rect(target - half_width, y0, target + half_width, 0.0, "target")
