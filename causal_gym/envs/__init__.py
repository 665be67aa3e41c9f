"""CausalWorld scenes, one module each, on the shared contract in ``base``."""

from causal_gym.envs.base import OBS_MODES, TASK_SPLITS, CausalSceneEnv, Snapshot, Trajectory
from causal_gym.envs.ramp import RampEnv

__all__ = ["OBS_MODES", "TASK_SPLITS", "CausalSceneEnv", "RampEnv", "Snapshot", "Trajectory"]
