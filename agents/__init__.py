"""Agents: the CSML world-model agent, the Stable-Baselines3 baselines, and how they are scored.

``CSMLAgent`` (``csml_agent``) plans in a learned factored dynamics model and assigns credit
counterfactually; ``make_agent`` (``baselines``) builds SB3 PPO / SAC with rl-zoo3's tuned
hyperparameters or a random agent; ``evaluation`` logs training episodes and evaluates any of
them the same way. ``oracle`` is a reference that reads the simulator, not an agent.
"""

from agents.baselines import AGENTS, RandomAgent, make_agent
from agents.csml_agent import Credit, CSMLAgent, CSMLAgentConfig
from agents.evaluation import EpisodeLog, evaluate

__all__ = [
    "AGENTS",
    "CSMLAgent",
    "CSMLAgentConfig",
    "Credit",
    "EpisodeLog",
    "RandomAgent",
    "evaluate",
    "make_agent",
]
