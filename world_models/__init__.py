"""Causal world models (torch): the CSML meta-learner and its baselines.

Landed so far, one module each: perception (``StateEncoder`` MLP, ``ViTEncoder`` with K heads),
causal induction (``fit_dag``: NOTEARS' Eq. 1 by augmented Lagrangian, or DAGMA's log-det
path; the differentiable score and acyclicity functions), reasoning (``GCNReasoner``: Eq. 2
along the graph, each node predicted from its parents), interventional and counterfactual
inference in such a structural model, graph scores (SHD, edge precision / recall / F1), and
synthetic linear SEMs for testing; ``csml``: the first CSML model on the question benchmark
(state inputs) with Algorithm 1's meta-training. It learns prediction questions; intervention
and counterfactual questions, pixels and the baselines are the world-model issue's next steps.
"""

from world_models.causal_discovery import (
    DagFitConfig,
    dagma_acyclicity,
    fit_dag,
    least_squares_score,
    notears_acyclicity,
)
from world_models.csml import CSML, CSMLConfig, meta_train
from world_models.graph_metrics import GraphScores, adjacency_of, score_graph
from world_models.inference import counterfactual, intervene
from world_models.perception import StateEncoder, ViTEncoder
from world_models.reasoning import GCNReasoner

__all__ = [
    "CSML",
    "CSMLConfig",
    "DagFitConfig",
    "GCNReasoner",
    "GraphScores",
    "StateEncoder",
    "ViTEncoder",
    "adjacency_of",
    "counterfactual",
    "dagma_acyclicity",
    "fit_dag",
    "intervene",
    "least_squares_score",
    "meta_train",
    "notears_acyclicity",
    "score_graph",
]
