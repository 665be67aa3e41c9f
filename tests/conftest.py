"""Fixtures shared by the world-model tests."""

from __future__ import annotations

import pytest

from causal_gym.questions import QuestionSet, generate


@pytest.fixture(scope="session")
def seesaw_questions() -> tuple[QuestionSet, QuestionSet]:
    """Seesaw questions (state only): 40 training tasks (seed 0), 20 held-out ones (seed 100)."""
    train = generate("CausalWorld-Seesaw-v0", "train", 0, 40, 5, 3, images=False)
    held_out = generate("CausalWorld-Seesaw-v0", "train", 100, 20, 5, 3, images=False)
    return train, held_out


@pytest.fixture(scope="session")
def seesaw_images() -> tuple[QuestionSet, QuestionSet]:
    """Seesaw questions with images: 12 training tasks (seed 0), 4 held-out ones (seed 100)."""
    train = generate("CausalWorld-Seesaw-v0", "train", 0, 12, 5, 3, images=True)
    held_out = generate("CausalWorld-Seesaw-v0", "train", 100, 4, 5, 3, images=True)
    return train, held_out
