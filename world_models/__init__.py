"""Causal world models (torch): the CSML meta-learner and its baselines.

Landed so far: causal induction (``fit_dag``: NOTEARS' Eq. 1 by augmented Lagrangian, or
DAGMA's log-det path; the differentiable score and acyclicity functions), graph scores (SHD,
edge precision / recall / F1), interventional and counterfactual inference in a structural
model, and synthetic linear SEMs for testing. Perception, GCN reasoning and meta-training come
next (see the world-model issue).
"""

from world_models.causal_discovery import (
    DagFitConfig,
    dagma_acyclicity,
    fit_dag,
    least_squares_score,
    notears_acyclicity,
)
from world_models.graph_metrics import GraphScores, adjacency_of, score_graph
from world_models.inference import counterfactual, intervene

__all__ = [
    "DagFitConfig",
    "GraphScores",
    "adjacency_of",
    "counterfactual",
    "dagma_acyclicity",
    "fit_dag",
    "intervene",
    "least_squares_score",
    "notears_acyclicity",
    "score_graph",
]
