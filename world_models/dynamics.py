"""Factored dynamics with a learned dynamics graph: z'_i = z_i + f_i(Pa(z_i), a, c).

Each observed state variable i has its own network f_i. Its inputs are the state and action
vector seen through a row of 0/1 edges: the learned ``dynamics_graph``, edge j -> i when its gate
g_ij = sigmoid(edge logit) is above 0.5. In training each edge is drawn open with probability
g_ij at every update (``sample_edges``, straight-through, as in DCDI), under an L1 penalty on the
gates: the weights behind a gate cannot make up for an edge drawn closed, so a gate stays open
only as far as the data needs the edge (the NOTEARS-style sparsity term; a graph over time steps
may have cycles and self-loops, so there is no acyclicity term). Fitted by the mean squared
error, an edge is worth the error it removes averaged over all variables, so one that removes
most of a well-predicted variable's small error is closed by the penalty;
``variable_log_likelihood`` values it by the share it removes instead. The first layer is a message
from every parent to node i, as in ``reasoning.GCNReasoner``, with per-node weights.

c is a per-episode context vector standing for the episode's hidden properties (masses,
frictions): the meta-learned inner loop (``adapt_context``) fits it to the episode's first
transitions by a few gradient steps from a learned prior, CAVIA-style, and training
back-propagates through those steps (``torch.func.grad``). Two heads read consecutive states:
reward r(z, z') and the log-odds that z' is a success state; a value head V(z) predicts the
return still to come, so a planner can look a few model steps ahead and let V judge the rest.

Counterfactuals follow abduction, action, prediction: ``abduct`` returns the factual episode's
per-step residuals z_{t+1} - model(z_t, a_t); ``rollout(..., residuals=...)`` adds them back
under other actions, so with the factual actions it reproduces the factual states exactly.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import grad

# Floors of the normalisers' scales, as fractions of a variable's range (see fit_normaliser).
STATE_SCALE_FLOOR = 1e-2
DELTA_SCALE_FLOOR = 1e-3
# Added to each variable's mean squared error (normalised units) before the log in
# ``variable_log_likelihood``: a variable the model predicts exactly (a target constant within
# an episode) would otherwise drive the log, and its gradient, to infinity.
LIKELIHOOD_ERROR_FLOOR = 1e-4


def masked_mean_squared(errors: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The mean of ``errors`` ``(..., S)`` over the variables and the ``mask``ed rows."""
    return (errors.mean(-1) * mask).sum() / mask.sum().clamp(min=1.0)


def variable_log_likelihood(errors: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """sum_i 1/2 log(MSE_i + floor) over the variables i of ``errors`` ``(..., S)``, each MSE
    over the ``mask``ed rows ``(...)``.

    This is the Gaussian negative log-likelihood per transition with every variable's noise
    variance at its maximum-likelihood value, up to a constant (GOLEM's score for unequal
    noise variances, Ng et al. 2020). Its gradient weighs variable i's errors by 1 / MSE_i, so
    an edge is worth what it removes as a *share* of its variable's remaining error: an input
    that halves a well-predicted variable's small error counts as much as one that halves a
    poorly predicted one's large error. Under the mean squared error the first gains almost
    nothing and an L1 penalty closes it.
    """
    weights = mask[..., None]
    per_variable = (errors * weights).flatten(0, -2).sum(0) / weights.sum().clamp(min=1.0)
    return 0.5 * torch.log(per_variable + LIKELIHOOD_ERROR_FLOOR).sum()


class FactoredDynamics(nn.Module):
    """Per-variable transition networks over gated parents, plus reward and success heads.

    Inputs and outputs are in the env's units; the model normalises with buffers set by
    ``fit_normaliser`` from the data it is trained on.
    """

    def __init__(self, state_dim: int, action_dim: int, context_dim: int = 4, hidden: int = 32):
        super().__init__()
        self.state_dim, self.action_dim, self.context_dim = state_dim, action_dim, context_dim
        inputs = state_dim + action_dim
        # sigmoid(3) = 0.95: every edge starts open, the sparsity penalty closes the unused ones.
        self.edge_logits = nn.Parameter(torch.full((state_dim, inputs), 3.0))
        self.message = nn.Parameter(torch.randn(state_dim, inputs, hidden) * math.sqrt(2 / inputs))
        self.context_weight = nn.Parameter(
            torch.randn(state_dim, context_dim, hidden) / math.sqrt(context_dim)
        )
        self.message_bias = nn.Parameter(torch.zeros(state_dim, hidden))
        self.hidden_weight = nn.Parameter(
            torch.randn(state_dim, hidden, hidden) * math.sqrt(2 / hidden)
        )
        self.hidden_bias = nn.Parameter(torch.zeros(state_dim, hidden))
        self.readout = nn.Parameter(torch.randn(state_dim, hidden) / math.sqrt(hidden))
        self.readout_bias = nn.Parameter(torch.zeros(state_dim))
        self.context_prior = nn.Parameter(torch.zeros(context_dim))
        self.heads = nn.Sequential(
            nn.Linear(2 * state_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 2),
        )
        self.value_head = nn.Sequential(
            nn.Linear(state_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )
        self.register_buffer("state_mean", torch.zeros(state_dim))
        self.register_buffer("state_scale", torch.ones(state_dim))
        self.register_buffer("delta_mean", torch.zeros(state_dim))
        self.register_buffer("delta_scale", torch.ones(state_dim))
        self.register_buffer("reward_scale", torch.ones(()))
        self.register_buffer("return_scale", torch.ones(()))
        self.register_buffer("state_low", torch.full((state_dim,), -math.inf))
        self.register_buffer("state_high", torch.full((state_dim,), math.inf))

    def set_bounds(self, low: torch.Tensor, high: torch.Tensor) -> None:
        """Clamp predicted states to [low, high] (the observation space): a rollout that
        drifts outside what the env can show is wrong for certain."""
        self.state_low.copy_(low)
        self.state_high.copy_(high)

    def fit_normaliser(
        self,
        states: torch.Tensor,
        next_states: torch.Tensor,
        rewards: torch.Tensor,
        returns: torch.Tensor,
    ) -> None:
        """Set the input and output scales from transitions (rows of ``states``, ...) and
        the returns that followed them.

        A variable that has not varied yet (a target constant within the one episode seen, a
        beam resting on its stop) would get a scale near zero, and dividing by it blows a
        rollout's small drifts up into huge inputs: the first updates then had losses of 1e4
        and left the model in a poor optimum for good (Seesaw, seeds 1 and 2). So scales are
        floored at a fraction of the variable's range (``set_bounds``), when it is finite.
        """
        deltas = next_states - states
        span = self.state_high - self.state_low
        span = torch.where(torch.isfinite(span), span, torch.zeros_like(span))
        self.state_mean.copy_(states.mean(0))
        self.state_scale.copy_(
            torch.maximum(states.std(0), STATE_SCALE_FLOOR * span).clamp(min=1e-6)
        )
        self.delta_mean.copy_(deltas.mean(0))
        self.delta_scale.copy_(
            torch.maximum(deltas.std(0), DELTA_SCALE_FLOOR * span).clamp(min=1e-6)
        )
        self.reward_scale.copy_(rewards.std().clamp(min=1e-6))
        self.return_scale.copy_(returns.std().clamp(min=1e-6))

    def gates(self) -> torch.Tensor:
        """Edge probabilities, ``[i, j]``: input j (states, then actions) -> state i."""
        return torch.sigmoid(self.edge_logits)

    def edge_mask(self) -> torch.Tensor:
        """The learned dynamics graph as the 0/1 ``[i, j]`` mask the model predicts with."""
        return (self.edge_logits > 0).to(self.edge_logits.dtype)

    def sample_edges(self, temperature: float = 1.0) -> torch.Tensor:
        """A 0/1 ``[i, j]`` mask, each edge drawn open with probability ``gates()`` (from
        torch's global generator), whose gradient is its Gumbel-sigmoid relaxation's."""
        uniform = torch.rand(self.edge_logits.shape).clamp(1e-6, 1 - 1e-6)
        logistic = uniform.log() - torch.log1p(-uniform)
        relaxed = torch.sigmoid((self.edge_logits + logistic) / temperature)
        drawn = (relaxed > 0.5).to(relaxed.dtype)
        return drawn + relaxed - relaxed.detach()

    def normalised_delta(
        self,
        states: torch.Tensor,
        actions: torch.Tensor,
        context: torch.Tensor,
        edges: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """f(z, a, c) for ``(..., state_dim)`` states, in units of ``delta_scale``, through
        ``edges`` (default: the learned graph, ``edge_mask``)."""
        edges = self.edge_mask() if edges is None else edges
        inputs = torch.cat([(states - self.state_mean) / self.state_scale, actions], dim=-1)
        nodes, hidden_size = self.message.shape[0], self.message.shape[2]
        # Masking the weights rather than the inputs makes the first layer one matrix product.
        gated = (edges[..., None] * self.message).permute(1, 0, 2)
        hidden = inputs @ gated.reshape(len(gated), -1)
        hidden = hidden + context @ self.context_weight.permute(1, 0, 2).reshape(
            self.context_dim, -1
        )
        hidden = torch.relu(hidden.unflatten(-1, (nodes, hidden_size)) + self.message_bias)
        per_node = hidden.reshape(-1, nodes, hidden_size).transpose(0, 1)
        per_node = torch.bmm(per_node, self.hidden_weight).transpose(0, 1)
        hidden = torch.relu(per_node.reshape(hidden.shape) + self.hidden_bias)
        return (hidden * self.readout).sum(-1) + self.readout_bias

    def step(
        self, states: torch.Tensor, actions: torch.Tensor, context: torch.Tensor
    ) -> torch.Tensor:
        """The predicted next states, in the env's units."""
        delta = self.normalised_delta(states, actions, context)
        following = states + self.delta_mean + self.delta_scale * delta
        return torch.maximum(torch.minimum(following, self.state_high), self.state_low)

    def head_outputs(
        self, states: torch.Tensor, next_states: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(reward in the env's units, success log-odds) of the transition z -> z'."""
        features = torch.cat(
            [
                (states - self.state_mean) / self.state_scale,
                (next_states - self.state_mean) / self.state_scale,
            ],
            dim=-1,
        )
        reward, success = self.heads(features).unbind(-1)
        return reward * self.reward_scale, success

    def value(self, states: torch.Tensor) -> torch.Tensor:
        """The return expected from ``states`` to the end of the episode, in the env's units
        (the behaviour that collected the data acting afterwards)."""
        normalised = (states - self.state_mean) / self.state_scale
        return self.value_head(normalised)[..., 0] * self.return_scale

    def transition_errors(
        self,
        states: torch.Tensor,
        actions: torch.Tensor,
        next_states: torch.Tensor,
        context: torch.Tensor,
        edges: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Squared errors of the normalised deltas, per step and variable: states
        ``(E, T, state_dim)``, context ``(E, context_dim)``: ``(E, T, state_dim)``."""
        target = (next_states - states - self.delta_mean) / self.delta_scale
        predicted = self.normalised_delta(states, actions, context[:, None, :], edges)
        return (predicted - target) ** 2

    def transition_loss(
        self,
        states: torch.Tensor,
        actions: torch.Tensor,
        next_states: torch.Tensor,
        context: torch.Tensor,
        mask: torch.Tensor,
        edges: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Per-episode mean squared error of the normalised deltas over the ``mask``ed steps;
        states ``(E, T, state_dim)``, context ``(E, context_dim)``, mask ``(E, T)``: ``(E,)``."""
        error = self.transition_errors(states, actions, next_states, context, edges).mean(-1)
        return (error * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def unrolled_errors(
        self,
        states: torch.Tensor,
        actions: torch.Tensor,
        context: torch.Tensor,
        mask: torch.Tensor,
        starts: torch.Tensor,
        length: int,
        edges: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Squared errors (in ``state_scale`` units) of ``length``-step open-loop rollouts from
        step ``starts`` ``(E,)`` of each episode (states ``(E, T + 1, S)``, actions
        ``(E, T, A)``, mask ``(E, T)``), per rollout step and variable ``(E, length, S)``, and
        which rollout steps are real ``(E, length)``: errors that compound along a plan are
        trained away, not only one-step ones."""
        rows = torch.arange(len(states))[:, None]
        steps = (starts[:, None] + torch.arange(length)[None, :]).clamp(max=actions.shape[1] - 1)
        predicted, _, _ = self.rollout(
            states[rows[:, 0], starts], actions[rows, steps], context, edges=edges
        )
        error = ((predicted[:, 1:] - states[rows, steps + 1]) / self.state_scale) ** 2
        valid = mask[rows, steps] * (starts[:, None] + torch.arange(length) < actions.shape[1])
        return error, valid

    def adapt_context(
        self,
        states: torch.Tensor,
        actions: torch.Tensor,
        next_states: torch.Tensor,
        mask: torch.Tensor,
        steps: int,
        lr: float,
        differentiable: bool,
        edges: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The inner loop: each episode's context after ``steps`` gradient steps on its
        ``mask``ed transitions from the learned prior; an episode with none keeps the prior."""
        context = self.context_prior.expand(len(states), -1)

        def support_loss(context: torch.Tensor) -> torch.Tensor:
            # Episodes' losses are independent, so one gradient of the sum is every
            # episode's own gradient.
            return self.transition_loss(states, actions, next_states, context, mask, edges).sum()

        for _ in range(steps):
            gradient = grad(support_loss)(context)
            if not differentiable:
                gradient = gradient.detach()
            context = context - lr * gradient
        return context if differentiable else context.detach()

    def rollout(
        self,
        start: torch.Tensor,
        actions: torch.Tensor,
        context: torch.Tensor,
        residuals: torch.Tensor | None = None,
        edges: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """States ``(B, H + 1, state_dim)``, rewards and success log-odds ``(B, H)`` from
        ``start`` ``(B, state_dim)`` under ``actions`` ``(B, H, action_dim)``; ``residuals``
        ``(B, H, state_dim)`` are added after each step (counterfactual replay).

        The same function as iterating ``step``, with everything that does not change along
        the rollout (edges, normalisation, context, the actions' share of the first layer)
        folded into the weights once: the planner calls this in its inner loop.
        """
        edges = self.edge_mask() if edges is None else edges
        nodes, hidden_size = self.message.shape[0], self.message.shape[2]
        gated = (
            (edges[..., None] * self.message)
            .permute(1, 0, 2)
            .reshape(self.state_dim + self.action_dim, -1)
        )
        state_weight = gated[: self.state_dim] / self.state_scale[:, None]
        bias = (
            self.message_bias.reshape(-1)
            - (self.state_mean / self.state_scale) @ gated[: self.state_dim]
            + context @ self.context_weight.permute(1, 0, 2).reshape(self.context_dim, -1)
        )
        driven = actions @ gated[self.state_dim :] + bias[:, None, :]
        readout = self.readout * self.delta_scale[:, None]
        states = [start]
        for t in range(actions.shape[1]):
            hidden = torch.relu(states[-1] @ state_weight + driven[:, t])
            hidden = hidden.reshape(-1, nodes, hidden_size).transpose(0, 1)
            hidden = torch.relu(
                torch.bmm(hidden, self.hidden_weight).transpose(0, 1) + self.hidden_bias
            )
            following = states[-1] + (hidden * readout).sum(-1) + self.step_offset()
            following = torch.maximum(torch.minimum(following, self.state_high), self.state_low)
            if residuals is not None:
                following = following + residuals[:, t]
            states.append(following)
        trajectory = torch.stack(states, 1)
        rewards, successes = self.head_outputs(trajectory[:, :-1], trajectory[:, 1:])
        return trajectory, rewards, successes

    def step_offset(self) -> torch.Tensor:
        """The part of a step's change that does not depend on the inputs."""
        return self.delta_mean + self.delta_scale * self.readout_bias

    def abduct(
        self, states: torch.Tensor, actions: torch.Tensor, context: torch.Tensor
    ) -> torch.Tensor:
        """Per-step residuals ``(T, state_dim)`` of one episode's states ``(T + 1, state_dim)``
        under its actions ``(T, action_dim)`` and adapted context ``(context_dim,)``."""
        predicted = self.step(states[:-1], actions, context.expand(len(actions), -1))
        return states[1:] - predicted
