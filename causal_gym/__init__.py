"""causal-gym: Gymnasium physics scenes with known causal graphs, interventions and counterfactuals.

Importing the package registers every scene as ``CausalWorld-<Scene>-v0``; the form
``gymnasium.make("causal_gym:CausalWorld-Ramp-v0")`` imports it on demand. This package never
imports torch.
"""

import gymnasium

from causal_gym.envs import CausalSceneEnv, Snapshot, Trajectory
from causal_gym.scm import Variable

__version__ = "0.1.0"

SCENES = {"CausalWorld-Ramp-v0": "causal_gym.envs.ramp:RampEnv"}

for _env_id, _entry_point in SCENES.items():
    if _env_id not in gymnasium.registry:
        gymnasium.register(id=_env_id, entry_point=_entry_point)

__all__ = ["SCENES", "CausalSceneEnv", "Snapshot", "Trajectory", "Variable", "__version__"]
