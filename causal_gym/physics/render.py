"""A small numpy rasterizer that draws scene shapes, given in world metres, into RGB frames.

Shapes are drawn as palette indices into a 2-D uint8 image (one byte per pixel), which is
expanded to RGB once per frame: masked writes of one byte are several times cheaper than of
three. Colours are named, so a scene's look can change (a surface shift) by swapping the
palette without touching what is drawn where.

Pixel centres are converted to world coordinates once; each shape is then tested only on the
pixels of its bounding box. The x and y scales may differ (a square observation of a wide
scene): circles then look like ellipses, but which pixels a shape covers is still exact in
world terms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

RGB = tuple[int, int, int]

# The colours every scene shares, so that scenes look alike; each scene adds its objects'.
COMMON_COLORS: dict[str, RGB] = {
    "sky": (236, 240, 245),
    "floor": (95, 95, 100),
    "target": (60, 170, 75),
    "target_band": (205, 232, 205),
    "ball": (210, 45, 45),
    "spoke": (255, 235, 235),
}
# The same names in the "surface" task's palette (see causal_gym.tasks).
COMMON_SURFACE_COLORS: dict[str, RGB] = {
    "sky": (40, 44, 60),
    "floor": (170, 160, 140),
    "target": (200, 60, 200),
    "target_band": (90, 60, 100),
    "ball": (250, 210, 40),
    "spoke": (60, 40, 0),
}


class Canvas:
    """An ``height x width`` frame of the world box ``view = (x0, y0, x1, y1)`` metres."""

    def __init__(
        self,
        height: int,
        width: int,
        view: tuple[float, float, float, float],
        colors: Mapping[str, RGB],
    ) -> None:
        if height < 1 or width < 1:
            raise ValueError(f"frame size must be positive, got {height}x{width}")
        if not 0 < len(colors) <= 256:
            raise ValueError(f"a canvas needs 1 to 256 named colours, got {len(colors)}")
        x0, y0, x1, y1 = view
        self.height, self.width = height, width
        self._x0, self._y1 = x0, y1
        self._px_per_m_x = width / (x1 - x0)
        self._px_per_m_y = height / (y1 - y0)
        xs = x0 + (np.arange(width) + 0.5) / self._px_per_m_x
        ys = y1 - (np.arange(height) + 0.5) / self._px_per_m_y
        # World coordinates of every pixel centre: shapes test equal-shaped views of these,
        # which costs numpy less per call than broadcasting rows against columns.
        self._x, self._y = np.meshgrid(xs, ys)
        # Thinner shapes could fall between pixel centres and vanish at low resolution.
        self._min_radius = 0.6 / min(self._px_per_m_x, self._px_per_m_y)
        self._color_index = {name: i for i, name in enumerate(colors)}
        self.image = np.zeros((height, width), dtype=np.uint8)
        self.set_palette(colors)

    def set_palette(self, colors: Mapping[str, RGB]) -> None:
        """Give the named colours new RGB values (the names must stay the same)."""
        if list(colors) != list(self._color_index):
            raise ValueError(f"a new palette must name the colours {list(self._color_index)}")
        self.palette = np.array(list(colors.values()), dtype=np.uint8).reshape(-1, 3)
        self._pair_colors = _pair_table(self.palette) if self.width % 2 == 0 else None

    def resolves(self, length: float) -> bool:
        """Whether ``length`` metres spans at least two pixels both ways."""
        return length * min(self._px_per_m_x, self._px_per_m_y) >= 2.0

    def rgb(self) -> np.ndarray:
        """The frame as a new, C-contiguous ``height x width x 3`` uint8 array."""
        if self._pair_colors is None:
            flat = self.palette.take(self.image.ravel(), axis=0)
        else:  # two pixels per lookup: half the work of one lookup per pixel
            flat = self._pair_colors.take(self.image.view(np.uint16)).view(np.uint8)
        return flat.reshape(self.height, self.width, 3)

    def _columns(self, x_min: float, x_max: float) -> slice:
        c0 = max(0, math.ceil((x_min - self._x0) * self._px_per_m_x - 0.5))
        c1 = min(self.width, math.floor((x_max - self._x0) * self._px_per_m_x - 0.5) + 1)
        return slice(c0, max(c0, c1))

    def _rows(self, y_min: float, y_max: float) -> slice:
        r0 = max(0, math.ceil((self._y1 - y_max) * self._px_per_m_y - 0.5))
        r1 = min(self.height, math.floor((self._y1 - y_min) * self._px_per_m_y - 0.5) + 1)
        return slice(r0, max(r0, r1))

    def fill(self, color: str) -> None:
        self.image[:] = self._color_index[color]

    def rect(self, x_min: float, y_min: float, x_max: float, y_max: float, color: str) -> None:
        """Fill the axis-aligned box [x_min, x_max] x [y_min, y_max]."""
        self.image[self._rows(y_min, y_max), self._columns(x_min, x_max)] = self._color_index[color]

    def circle(self, cx: float, cy: float, radius: float, color: str) -> None:
        radius = max(radius, self._min_radius)
        rows, cols = self._rows(cy - radius, cy + radius), self._columns(cx - radius, cx + radius)
        dx = self._x[rows, cols] - cx
        dy = self._y[rows, cols] - cy
        dx *= dx
        dy *= dy
        dx += dy
        self.image[rows, cols][dx <= radius * radius] = self._color_index[color]

    def wheel(
        self, cx: float, cy: float, radius: float, angle: float, color: str, spoke: str
    ) -> None:
        """A disc turned by ``angle`` (radians): a spoke shows the turn where pixels allow."""
        self.circle(cx, cy, radius, color)
        if self.resolves(radius):
            reach = 0.8 * radius
            self.bar(
                cx,
                cy,
                cx + reach * math.cos(angle),
                cy + reach * math.sin(angle),
                radius / 6,
                spoke,
            )

    def bar(
        self, ax: float, ay: float, bx: float, by: float, half_thickness: float, color: str
    ) -> None:
        """Fill the rectangle of half-thickness ``half_thickness`` whose centre line is a-b."""
        half_thickness = max(half_thickness, self._min_radius)
        length = math.hypot(bx - ax, by - ay)
        if length == 0.0:
            return
        ux, uy = (bx - ax) / length, (by - ay) / length
        reach_x, reach_y = abs(uy) * half_thickness, abs(ux) * half_thickness
        rows = self._rows(min(ay, by) - reach_y, max(ay, by) + reach_y)
        cols = self._columns(min(ax, bx) - reach_x, max(ax, bx) + reach_x)
        x, y = self._x[rows, cols], self._y[rows, cols]
        across = y * ux
        across -= x * uy
        across -= ay * ux - ax * uy
        inside = np.abs(across, out=across) <= half_thickness
        along = y * uy
        along += x * ux
        start = ay * uy + ax * ux
        inside &= along >= start
        inside &= along <= start + length
        self.image[rows, cols][inside] = self._color_index[color]


def _pair_table(palette: np.ndarray) -> np.ndarray:
    """RGB of every pair of neighbouring pixels, indexed by the pair read as one uint16."""
    colors = np.zeros((256, 3), dtype=np.uint8)
    colors[: len(palette)] = palette
    pair = np.arange(256 * 256)
    first, second = (pair & 0xFF, pair >> 8) if np.little_endian else (pair >> 8, pair & 0xFF)
    table = np.concatenate([colors[first], colors[second]], axis=1)
    return table.view(np.dtype((np.void, 6))).ravel()
