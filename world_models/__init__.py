"""Causal world models (torch): the CSML meta-learner and its baselines.

Empty until the world-model issue lands; it exists so the package layout and the direction of
imports (examples -> agents -> world_models -> causal_gym) are fixed from the start.
"""
