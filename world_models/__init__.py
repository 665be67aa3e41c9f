"""Causal world models (torch): the CSML meta-learner and its baselines.

One module each: perception (``StateEncoder`` MLP, ``ViTEncoder`` with K heads, ``fit_reader``
for the question models' pixel inputs), causal induction (``fit_dag``: NOTEARS' Eq. 1 by
augmented Lagrangian, or DAGMA's log-det path; the differentiable score and acyclicity
functions), reasoning (``GCNReasoner``: Eq. 2 along the graph, each node predicted from its
parents), interventional and counterfactual inference in such a structural model, graph scores
(SHD, edge precision / recall / F1), synthetic linear SEMs for testing; on the question
benchmark (state or pixel inputs): ``csml`` (Algorithm 1's meta-training, do and abduction; NSL
is its fixed-full-graph setting), ``baselines`` (MLP, MAML, ProtoNets) and ``question_models``
(their shared data handling and scoring); for agents, ``dynamics`` (``FactoredDynamics``:
per-variable transitions over a learned dynamics graph, a per-episode context adapted by a
meta-learned inner loop, reward / success / value heads).
``examples/question_benchmark.py`` runs Table 1.
"""

from world_models.baselines import (
    BaselineConfig,
    MAMLBaseline,
    MLPBaseline,
    ProtoNetBaseline,
    train_baseline,
)
from world_models.causal_discovery import (
    DagFitConfig,
    dagma_acyclicity,
    fit_dag,
    least_squares_score,
    notears_acyclicity,
)
from world_models.csml import CSML, SCENE_SETTINGS, CSMLConfig, meta_train, scene_config
from world_models.dynamics import FactoredDynamics
from world_models.graph_metrics import GraphScores, adjacency_of, lagged_shd, score_graph
from world_models.inference import counterfactual, intervene
from world_models.perception import ReaderConfig, StateEncoder, ViTEncoder, fit_reader
from world_models.reasoning import GCNReasoner

__all__ = [
    "CSML",
    "SCENE_SETTINGS",
    "BaselineConfig",
    "CSMLConfig",
    "DagFitConfig",
    "FactoredDynamics",
    "GCNReasoner",
    "GraphScores",
    "MAMLBaseline",
    "MLPBaseline",
    "ProtoNetBaseline",
    "ReaderConfig",
    "StateEncoder",
    "ViTEncoder",
    "adjacency_of",
    "counterfactual",
    "dagma_acyclicity",
    "fit_dag",
    "fit_reader",
    "intervene",
    "lagged_shd",
    "least_squares_score",
    "meta_train",
    "notears_acyclicity",
    "scene_config",
    "score_graph",
    "train_baseline",
]
