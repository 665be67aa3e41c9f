"""The rasterizer draws shapes where the world coordinates say they are."""

import numpy as np
import pytest

from causal_gym.physics import Canvas

COLORS = {"sky": (255, 255, 255), "ink": (10, 20, 30)}


def ink_pixels(canvas: Canvas) -> set[tuple[int, int]]:
    rows, cols = np.nonzero(canvas.image == 1)
    return set(zip(rows.tolist(), cols.tolist()))


def test_pixel_centres_map_to_world_coordinates() -> None:
    canvas = Canvas(10, 20, (0.0, 0.0, 2.0, 1.0), COLORS)  # 10 px per metre both ways
    canvas.fill("sky")
    canvas.rect(0.0, 0.0, 0.1, 0.1, "ink")  # covers the centre of the bottom-left pixel only
    assert ink_pixels(canvas) == {(9, 0)}
    frame = canvas.rgb()
    assert frame.shape == (10, 20, 3) and frame.dtype == np.uint8
    assert tuple(frame[9, 0]) == COLORS["ink"] and tuple(frame[0, 0]) == COLORS["sky"]


def test_circle_and_bar_cover_exactly_their_pixels() -> None:
    canvas = Canvas(100, 100, (0.0, 0.0, 1.0, 1.0), COLORS)
    canvas.fill("sky")
    canvas.circle(0.5, 0.5, 0.2, "ink")
    centres = (np.arange(100) + 0.5) / 100
    x, y = np.meshgrid(centres, 1.0 - centres)
    assert ink_pixels(canvas) == set(zip(*np.nonzero((x - 0.5) ** 2 + (y - 0.5) ** 2 <= 0.04)))
    canvas.fill("sky")
    ax, ay, bx, by, half = 0.103, 0.117, 0.871, 0.893, 0.05  # no pixel centre on an edge
    canvas.bar(ax, ay, bx, by, half, "ink")
    length = np.hypot(bx - ax, by - ay)
    ux, uy = (bx - ax) / length, (by - ay) / length
    along = (x - ax) * ux + (y - ay) * uy
    across = np.abs((y - ay) * ux - (x - ax) * uy)
    expected = (across <= half) & (along >= 0) & (along <= length)
    assert ink_pixels(canvas) == set(zip(*np.nonzero(expected)))


def test_thin_shapes_stay_visible_at_low_resolution() -> None:
    canvas = Canvas(8, 8, (0.0, 0.0, 8.0, 8.0), COLORS)
    canvas.fill("sky")
    canvas.bar(0.2, 0.2, 7.8, 7.8, 0.01, "ink")  # much thinner than a pixel
    assert len(ink_pixels(canvas)) >= 8


def test_shapes_outside_the_view_are_clipped() -> None:
    canvas = Canvas(10, 10, (0.0, 0.0, 1.0, 1.0), COLORS)
    canvas.fill("sky")
    canvas.circle(5.0, 5.0, 0.3, "ink")
    canvas.rect(-3.0, -3.0, -2.0, -2.0, "ink")
    assert ink_pixels(canvas) == set()
    canvas.circle(1.0, 1.0, 0.15, "ink")  # a quarter inside
    assert ink_pixels(canvas) == {(0, 9)}


def test_bad_canvas_arguments() -> None:
    with pytest.raises(ValueError, match="frame size must be positive"):
        Canvas(0, 10, (0, 0, 1, 1), COLORS)
    with pytest.raises(ValueError, match="1 to 256 named colours"):
        Canvas(10, 10, (0, 0, 1, 1), {})


@pytest.mark.parametrize("width", [20, 21])  # even widths use the pair table, odd ones not
def test_rgb_expands_the_palette_exactly(width: int) -> None:
    colors = {f"c{i}": (i, 2 * i, 255 - i) for i in range(11)}
    canvas = Canvas(7, width, (0.0, 0.0, 1.0, 1.0), colors)
    canvas.image[:] = np.random.default_rng(0).integers(0, 11, canvas.image.shape)
    frame = canvas.rgb()
    assert frame.flags["C_CONTIGUOUS"] and frame.shape == (7, width, 3)
    assert np.array_equal(frame, canvas.palette[canvas.image])
