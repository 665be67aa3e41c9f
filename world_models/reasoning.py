"""Reasoning (the paper's phi_reason): a graph convolution along the learned causal graph.

Eq. 2 of the CSML paper, H^(l+1) = sigma(A_hat H^(l) Theta^(l)), with A_hat the normalised
adjacency of the learned graph W. Here the graph is directed and the model must be a
structural one, each variable predicted from its parents only, so that ``do`` can cut a node's
incoming edges (``world_models.inference``):

- one message-passing layer over the *parents*: node k receives, from each parent j,
  A_hat[k, j] (z_j Theta_kj), with A_hat[k, j] = |W[j, k]| / sqrt(indegree(k) outdegree(j))
  (Kipf & Welling's symmetric normalisation, without self-loops: a node must not see itself);
- then a per-node readout (two layers, each node its own weights) to z_k's prediction.

A second message-passing layer would reach the grandparents, which a structural equation must
not read; effects along longer paths come from evaluating the nodes in causal order, as
``inference.intervene`` does. A soft W (NOTEARS / DAGMA weights) keeps the layer
differentiable in the graph; a root receives nothing and predicts a constant.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def normalised_parent_adjacency(weights: torch.Tensor) -> torch.Tensor:
    """A_hat (K x K, row = receiving node, column = parent) from W (``[j, k]``: j -> k)."""
    messages = weights.abs().T * (1.0 - torch.eye(len(weights), device=weights.device))
    indegree = messages.sum(dim=1).clamp(min=1e-12)
    outdegree = messages.sum(dim=0).clamp(min=1e-12)
    return messages / torch.sqrt(indegree[:, None] * outdegree[None, :])


class GCNReasoner(nn.Module):
    """Predicts every node's symbol (B x K x d) from its parents' symbols in a graph W.

    ``outputs`` (default ``symbol_dim``) sizes each node's readout: a node whose value is
    categorical, such as a question's answer, reads out one logit per class instead."""

    def __init__(
        self, nodes: int, symbol_dim: int = 1, hidden: int = 32, outputs: int | None = None
    ):
        super().__init__()
        outputs = symbol_dim if outputs is None else outputs
        self.nodes, self.symbol_dim, self.hidden, self.outputs = nodes, symbol_dim, hidden, outputs
        self.message = nn.Parameter(
            torch.randn(nodes, nodes, symbol_dim, hidden) * math.sqrt(2.0 / symbol_dim)
        )
        self.message_bias = nn.Parameter(torch.zeros(nodes, hidden))
        self.readout_hidden = nn.Parameter(
            torch.randn(nodes, hidden, hidden) * math.sqrt(2.0 / hidden)
        )
        self.readout_hidden_bias = nn.Parameter(torch.zeros(nodes, hidden))
        self.readout = nn.Parameter(torch.randn(nodes, hidden, outputs) / math.sqrt(hidden))
        self.readout_bias = nn.Parameter(torch.zeros(nodes, outputs))

    def forward(
        self, symbols: torch.Tensor, weights: torch.Tensor, node: int | None = None
    ) -> torch.Tensor:
        """Every node's prediction (B x K x outputs), or with ``node`` that node's alone
        (B x outputs): the same values up to float rounding, at 1/K of the cost."""
        if symbols.ndim != 3 or symbols.shape[1:] != (self.nodes, self.symbol_dim):
            raise ValueError(
                f"symbols must be B x {self.nodes} x {self.symbol_dim}, got {tuple(symbols.shape)}"
            )
        if weights.shape != (self.nodes, self.nodes):
            raise ValueError(f"weights must be {self.nodes} x {self.nodes}, got {weights.shape}")
        if node is not None and not -self.nodes <= node < self.nodes:
            raise ValueError(f"node must be in [-{self.nodes}, {self.nodes}), got {node}")
        a_hat = normalised_parent_adjacency(weights)
        if node is not None:
            received = torch.einsum("bjd,jdh,j->bh", symbols, self.message[node], a_hat[node])
            hidden = torch.relu(received + self.message_bias[node])
            hidden = torch.relu(hidden @ self.readout_hidden[node] + self.readout_hidden_bias[node])
            return hidden @ self.readout[node] + self.readout_bias[node]
        received = torch.einsum("bjd,kjdh,kj->bkh", symbols, self.message, a_hat)
        hidden = torch.relu(received + self.message_bias)
        hidden = torch.relu(
            torch.einsum("bkh,khg->bkg", hidden, self.readout_hidden) + self.readout_hidden_bias
        )
        return torch.einsum("bkh,khd->bkd", hidden, self.readout) + self.readout_bias

    def predictor(self, weights: torch.Tensor):
        """``predict(Z)`` for scalar symbols (B x K -> B x K), the form ``inference`` takes."""
        if self.symbol_dim != 1 or self.outputs != 1:
            raise ValueError("predictor() needs scalar symbols (symbol_dim = outputs = 1)")
        return lambda values: self(values[..., None], weights)[..., 0]
