"""causal-gym: Gymnasium physics scenes with known causal graphs, interventions and counterfactuals.

Importing the package registers every scene as ``CausalWorld-<Scene>-v0``; the form
``gymnasium.make("causal_gym:CausalWorld-Ramp-v0")`` imports it on demand. This package never
imports torch.
"""

import gymnasium

from causal_gym.envs import (
    CausalSceneEnv,
    GlidersEnv,
    RampEnv,
    SeesawEnv,
    ShuffleEnv,
    Snapshot,
    TiltEnv,
    Trajectory,
)
from causal_gym.scm import Variable

__version__ = "0.1.0"

SCENES: dict[str, type[CausalSceneEnv]] = {
    "CausalWorld-Ramp-v0": RampEnv,
    "CausalWorld-Gliders-v0": GlidersEnv,
    "CausalWorld-Shuffle-v0": ShuffleEnv,
    "CausalWorld-Seesaw-v0": SeesawEnv,
    "CausalWorld-Tilt-v0": TiltEnv,
}

for _env_id, _scene in SCENES.items():
    if _env_id not in gymnasium.registry:
        gymnasium.register(
            id=_env_id,
            entry_point=f"{_scene.__module__}:{_scene.__name__}",
            max_episode_steps=_scene.default_max_episode_steps,
        )

__all__ = [
    "SCENES",
    "CausalSceneEnv",
    "GlidersEnv",
    "RampEnv",
    "SeesawEnv",
    "ShuffleEnv",
    "Snapshot",
    "TiltEnv",
    "Trajectory",
    "Variable",
    "__version__",
]
