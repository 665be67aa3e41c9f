"""Task distributions: which hidden properties an episode draws, and how its scene looks.

Every scene declares two ranges per hidden property, ``train`` and ``ood`` (outside the
training ranges), and two palettes, ``colors`` and ``surface_colors``. The named tasks:

- ``train``: properties drawn from the training ranges.
- ``test``: the training ranges with other draws: for the same seed a test task is never the
  training task.
- ``ood``: properties drawn from the out-of-distribution ranges.
- ``surface``: exactly the ``test`` draws (same seed, same properties, same trajectory) drawn
  in the scene's shifted colours. Colours never enter the dynamics, so this changes what an
  agent sees and nothing that happens: a causal agent should not care.

Select one with ``gymnasium.make(id, task=...)`` or ``reset(options={"task": ...})``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    """How a named task draws properties and which palette it renders with."""

    name: str
    ranges: str  # which declared ranges: "train" or "ood"
    draw_stream: int  # key of the property draws; equal keys give equal properties
    shifted_surface: bool


TASKS: dict[str, Task] = {
    "train": Task("train", ranges="train", draw_stream=0, shifted_surface=False),
    "test": Task("test", ranges="train", draw_stream=1, shifted_surface=False),
    "ood": Task("ood", ranges="ood", draw_stream=2, shifted_surface=False),
    "surface": Task("surface", ranges="train", draw_stream=1, shifted_surface=True),
}


def task(name: object) -> Task:
    """The task called ``name``; a ``ValueError`` lists the valid names."""
    try:
        return TASKS[name]  # type: ignore[index]
    except (KeyError, TypeError):
        raise ValueError(f"task must be one of {tuple(TASKS)}, got {name!r}") from None
