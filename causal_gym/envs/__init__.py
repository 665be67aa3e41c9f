"""CausalWorld scenes, one module each, on the shared contract in ``base``."""

from causal_gym.envs.base import OBS_MODES, CausalSceneEnv, Snapshot, Trajectory
from causal_gym.envs.ramp import RampEnv
from causal_gym.envs.tilt import TiltEnv

__all__ = ["OBS_MODES", "CausalSceneEnv", "RampEnv", "Snapshot", "TiltEnv", "Trajectory"]
