"""The CausalWorld question benchmark: prediction, intervention and counterfactual questions.

Generated from the scenes, with answers computed by the simulator; see ``designs`` for what
each scene's questions ask and how its observational data is biased, and ``dataset`` for the
generator and the file format. ``python -m causal_gym.questions --help`` generates datasets.
"""

from causal_gym.questions.dataset import (
    DEFAULT_SPLITS,
    DEFAULT_TASKS,
    GENERATOR_VERSION,
    KINDS,
    QuestionSet,
    generate,
    load,
    save,
)
from causal_gym.questions.designs import CLASSES, DESIGNS, SceneQuestions

__all__ = [
    "CLASSES",
    "DEFAULT_SPLITS",
    "DEFAULT_TASKS",
    "DESIGNS",
    "GENERATOR_VERSION",
    "KINDS",
    "QuestionSet",
    "SceneQuestions",
    "generate",
    "load",
    "save",
]
