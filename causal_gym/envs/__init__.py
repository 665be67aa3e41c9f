"""CausalWorld scenes, one module each, on the shared contract in ``base``."""

from causal_gym.envs.base import OBS_MODES, CausalSceneEnv, Snapshot, Trajectory
from causal_gym.envs.gliders import GlidersEnv
from causal_gym.envs.ramp import RampEnv
from causal_gym.envs.seesaw import SeesawEnv
from causal_gym.envs.shuffle import ShuffleEnv
from causal_gym.envs.tilt import TiltEnv

__all__ = [
    "OBS_MODES",
    "CausalSceneEnv",
    "GlidersEnv",
    "RampEnv",
    "SeesawEnv",
    "ShuffleEnv",
    "Snapshot",
    "TiltEnv",
    "Trajectory",
]
