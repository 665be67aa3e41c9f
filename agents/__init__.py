"""Agents: the CSML world-model agent and the Stable-Baselines3 baselines.

Empty until the agent issue lands; see ``world_models`` for why the package exists already.
"""
