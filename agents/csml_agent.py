"""The CSML world-model agent: learn the scene's factored dynamics from interventions, plan in it.

Read top to bottom, one episode of ``learn``:

1. **Act.** The first ``random_episodes`` episodes are exploratory interventions: random
   actions, each held for a random 1-``explore_hold`` steps, so slow variables (an angle that
   turns 3 degrees a step) cover their range. Afterwards every step is planned: the episode's
   context (its hidden properties) is adapted to the transitions seen so far
   (``FactoredDynamics.adapt_context``, the meta-learned inner loop), then the cross-entropy
   method searches action plans in the model: ``knots`` actions, each held ``knot_steps``
   steps, the last held to the end of the ``horizon``; a plan scores its predicted return. The
   agent replans every ``replan_every`` steps, warm-started from the shifted previous plan.
2. **Fit the model** (``world_models.dynamics``): ``updates_per_step`` gradient steps per env
   step on batches of whole episodes; each episode's context is adapted on its first k
   transitions (k uniform in 0-``adapt_transitions``) and the loss is every transition's
   prediction error under it, one model step and ``unroll`` steps open loop (the mean squared
   error, or with ``variable_likelihood`` each variable's log mean squared error, which values
   an edge by the share of its variable's error it removes), plus the reward and success
   heads' losses and the gates' L1 penalty (``sparsity``; the edge logits take their own Adam
   step, ``gate_learning_rate``).
   Each update draws the dynamics graph's edges from the gates
   (``FactoredDynamics.sample_edges``), so a gate stays open only where the data needs the
   edge; acting and planning use the graph itself, the edges whose gate is above 0.5.
3. **Counterfactual credit** after a failed episode (``counterfactual_credit``): abduct the
   episode's residuals, then for every model step t and every alternative action on a grid
   (``credit_grid`` points per action), replay the rest of the failed episode in the model with
   only a_t changed; t* is the step whose best alternative the model gives the highest
   probability of success. The corrected plan (the failed actions with a_t* replaced) is kept
   as a proposal when that probability is above ``credit_threshold``: when a later episode
   starts near this one's initial state, the planner's first population includes it. With
   ``credit_weight`` w > 0 the credit also steers training: the model's losses weigh the
   blamed window of the failed episode and every window after it 1 + w, so the model learns
   most where its own counterfactual says the outcome was decided (off by default;
   docs/benchmarks.md has what it measured).

``predict(obs, state, episode_start, deterministic)`` has SB3's recurrent signature: ``state``
carries the episode so far (pass back what the last call returned; ``None`` starts an episode).
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from causal_gym.files import atomic_write
from world_models.dynamics import (
    FactoredDynamics,
    masked_mean_squared,
    variable_log_likelihood,
)

CHECKPOINT_FORMAT = "causal-gym CSMLAgent 1"
# An episode's arrays: T + 1 states, then T actions, rewards and success flags.
EPISODE_FIELDS = ("states", "actions", "rewards", "successes")


# Settings that count something the agent divides by or loops over; the rest may be 0.
_AT_LEAST_ONE = {
    "hidden",
    "explore_hold",
    "batch_episodes",
    "unroll",
    "model_step",
    "horizon",
    "knots",
    "population",
    "elites",
    "cem_iterations",
    "replan_every",
    "credit_grid",
}


@dataclass
class CSMLAgentConfig:
    """Every setting of the agent; the defaults are the ones ``examples/train_agent.py`` uses."""

    context_dim: int = 4
    hidden: int = 32
    random_episodes: int = 10
    explore_hold: int = 10
    learning_rate: float = 1e-3
    gate_learning_rate: float = 1e-2
    updates_per_step: float = 0.3
    batch_episodes: int = 16
    adapt_transitions: int = 10
    unroll: int = 16
    inner_steps: int = 2
    inner_lr: float = 0.5
    sparsity: float = 3e-2
    variable_likelihood: bool = True
    model_step: int = 5
    horizon: int = 6
    knots: int = 6
    population: int = 128
    elites: int = 16
    cem_iterations: int = 3
    replan_every: int = 10
    exploration_noise: float = 0.1
    counterfactual_credit: bool = True
    credit_grid: int = 5
    credit_threshold: float = 0.5
    credit_weight: float = 0.0
    proposal_radius: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        for setting in dataclasses.fields(self):
            value, default = getattr(self, setting.name), setting.default
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError(
                        f"CSMLAgentConfig.{setting.name} must be a bool, got {value!r}"
                    )
                continue
            valid = isinstance(
                value, numbers.Integral if isinstance(default, int) else numbers.Real
            )
            if not valid or isinstance(value, bool) or not math.isfinite(value):
                kind = "an int" if isinstance(default, int) else "a finite number"
                raise ValueError(f"CSMLAgentConfig.{setting.name} must be {kind}, got {value!r}")
            least = 1 if setting.name in _AT_LEAST_ONE else 0
            positive = setting.name in ("learning_rate", "gate_learning_rate")
            if value < least or (positive and value == 0):
                bound = "> 0" if positive else f">= {least}"
                raise ValueError(f"CSMLAgentConfig.{setting.name} must be {bound}, got {value!r}")
        if self.elites > self.population:
            raise ValueError(
                f"CSMLAgentConfig.elites ({self.elites}) must be <= population ({self.population})"
            )


@dataclass
class EpisodeState:
    """What ``predict`` carries through an episode (SB3's recurrent ``state``)."""

    observations: list[np.ndarray] = field(default_factory=list)
    actions: list[np.ndarray] = field(default_factory=list)
    plan: np.ndarray | None = None
    knots: np.ndarray | None = None


@dataclass(frozen=True)
class Credit:
    """The step t* of a failed episode, the action a'_t* that would have succeeded in the
    model, and the model's success probability with it (and with the factual action)."""

    step: int
    action: np.ndarray
    probability: float
    factual_probability: float


class CSMLAgent:
    """CSML causal world-model agent with Stable-Baselines3's ``learn`` / ``predict`` /
    ``save`` / ``load``; see the module docstring."""

    def __init__(self, env: gym.Env, config: CSMLAgentConfig | None = None, **overrides: Any):
        config = dataclasses.replace(config or CSMLAgentConfig(), **overrides)
        _check_env(env)
        self.env, self.config = env, config
        self.state_dim = env.observation_space.shape[0]
        self.action_dim = env.action_space.shape[0]
        torch.manual_seed(config.seed)
        self.rng = np.random.default_rng(config.seed)
        self.model = FactoredDynamics(
            self.state_dim, self.action_dim, config.context_dim, config.hidden
        )
        self.model.set_bounds(
            torch.as_tensor(env.observation_space.low), torch.as_tensor(env.observation_space.high)
        )
        gates = [self.model.edge_logits]
        weights = [p for p in self.model.parameters() if p is not self.model.edge_logits]
        self.optimizer = torch.optim.Adam(
            [{"params": weights}, {"params": gates, "lr": config.gate_learning_rate}],
            lr=config.learning_rate,
        )
        self.episodes: list[dict[str, np.ndarray]] = []
        self.proposals: list[tuple[np.ndarray, np.ndarray]] = []
        # Per stored episode, the env step its credit blamed (-1: none), for credit_weight.
        self.blamed_steps: list[int] = []
        self.num_timesteps = 0
        self.history: list[dict[str, float]] = []

    # ----- acting ------------------------------------------------------------------------

    def predict(
        self,
        observation: np.ndarray,
        state: EpisodeState | None = None,
        episode_start: bool | np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, EpisodeState]:
        """The planned action for ``observation`` and the episode state to pass back next."""
        observation = np.asarray(observation, dtype=np.float32)
        if observation.shape != (self.state_dim,) or not np.all(np.isfinite(observation)):
            raise ValueError(
                f"observation must be a finite vector of shape ({self.state_dim},), "
                f"got shape {observation.shape}"
            )
        if state is None or bool(np.any(episode_start)):
            state = EpisodeState()
        state.observations.append(observation)
        step = len(state.actions)
        if state.plan is None or step % self.config.replan_every == 0 or not len(state.plan):
            state.knots = self._plan(state, deterministic)
            state.plan = np.repeat(state.knots, self.config.model_step, axis=0)
        action, state.plan = state.plan[0], state.plan[1:]
        if not deterministic:
            noise = self.rng.normal(0.0, self.config.exploration_noise, self.action_dim)
            action = np.clip(action + noise, -1.0, 1.0)
        action = action.astype(np.float32)
        state.actions.append(action)
        return action, state

    def _context(self, state: EpisodeState) -> torch.Tensor:
        """The episode's context adapted to its model steps so far (ending at the latest
        observation)."""
        if len(state.actions) < self.config.model_step:
            return self.model.context_prior.detach()
        offset = len(state.actions) % self.config.model_step
        states, actions = self.model_steps(
            np.array(state.observations), np.array(state.actions), offset
        )
        return self.adapt_context(states, actions)

    def adapt_context(
        self, states: np.ndarray, actions: np.ndarray, seen: int | None = None
    ) -> torch.Tensor:
        """The context (``(context_dim,)``) of one episode given in model steps (states
        ``(T + 1, S)``, actions ``(T, A)``, as ``model_steps`` returns them), adapted by the
        inner loop to its first ``seen`` model steps (all of them by default)."""
        states, actions = torch.as_tensor(states), torch.as_tensor(actions)
        steps = len(actions)
        seen = steps if seen is None else seen
        if not 0 <= seen <= steps or states.shape != (steps + 1, self.state_dim):
            raise ValueError(
                f"need states (T + 1, {self.state_dim}), actions (T, {self.action_dim}) and "
                f"0 <= seen <= T, got {tuple(states.shape)}, {tuple(actions.shape)}, {seen}"
            )
        mask = (torch.arange(steps) < seen).float()[None]
        return self.model.adapt_context(
            states[None, :-1],
            actions[None],
            states[None, 1:],
            mask,
            self.config.inner_steps,
            self.config.inner_lr,
            differentiable=False,
        )[0]

    def model_steps(
        self, states: np.ndarray, actions: np.ndarray, offset: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """An episode (states ``(T + 1, S)``, actions ``(T, A)``) in model steps from env step
        ``offset``: every ``model_step``-th state and each window's mean action. An episode that
        ends inside a window stays in its final state (it terminated there)."""
        k = self.config.model_step
        windows = -(-(len(actions) - offset) // k)
        padding = offset + windows * k - len(actions)
        states = np.concatenate([states, np.repeat(states[-1:], padding, axis=0)])
        actions = np.concatenate([actions, np.repeat(actions[-1:], padding, axis=0)])
        return (
            states[offset::k][: windows + 1],
            actions[offset : offset + windows * k].reshape(windows, k, -1).mean(1),
        )

    def _plan(self, state: EpisodeState, deterministic: bool) -> np.ndarray:
        """CEM over knot plans in the model, from the episode's latest observation."""
        config = self.config
        generator = torch.Generator().manual_seed(
            config.seed * 1_000_003 + len(state.actions)
            if deterministic
            else int(self.rng.integers(2**62))
        )
        with torch.no_grad():
            context = self._context(state)
            start = torch.as_tensor(state.observations[-1])
            mean = torch.zeros(config.knots, self.action_dim)
            if state.knots is not None:
                shift = config.replan_every // config.model_step
                previous = torch.as_tensor(state.knots)
                mean = torch.cat([previous[shift:], previous[-1:].expand(shift, -1)])
            fixed = [mean]
            if len(state.actions) == 0:
                fixed += self._nearest_proposals(state.observations[0])
            std = torch.full_like(mean, 0.5)
            for _ in range(config.cem_iterations):
                noise = torch.randn(config.population, *mean.shape, generator=generator)
                samples = (mean + std * noise).clamp(-1.0, 1.0)
                samples[: len(fixed)] = torch.stack(fixed)
                scores = self._score(start, samples, context)
                elites = samples[scores.topk(config.elites).indices]
                mean, std = elites.mean(0), elites.std(0).clamp(min=0.05)
                fixed = [mean]
        return mean.numpy()

    def _score(
        self, start: torch.Tensor, knots: torch.Tensor, context: torch.Tensor
    ) -> torch.Tensor:
        """Predicted return of each knot plan over the planning horizon."""
        actions = knots
        extra = self.config.horizon - actions.shape[1]
        if extra > 0:
            actions = torch.cat([actions, actions[:, -1:].expand(-1, extra, -1)], dim=1)
        count = len(knots)
        states, rewards, _ = self.model.rollout(
            start.expand(count, -1), actions[:, : self.config.horizon], context.expand(count, -1)
        )
        return rewards.sum(1) + self.model.value(states[:, -1])

    def _nearest_proposals(self, observation: np.ndarray) -> list[torch.Tensor]:
        """Corrected plans (as knots) of failed episodes that began near ``observation``."""
        if not self.proposals:
            return []
        scale = self.model.state_scale.numpy()
        starts = np.array([start for start, _ in self.proposals])
        distance = np.linalg.norm((starts - observation) / scale, axis=1)
        nearest = int(np.argmin(distance))
        if distance[nearest] > self.config.proposal_radius:
            return []
        plan = self.proposals[nearest][1][: self.config.knots]
        plan = np.concatenate([plan, np.repeat(plan[-1:], self.config.knots - len(plan), axis=0)])
        return [torch.as_tensor(plan, dtype=torch.float32)]

    # ----- learning ----------------------------------------------------------------------

    def learn(
        self,
        total_timesteps: int,
        callback: Callable[[CSMLAgent, dict[str, float]], bool | None] | None = None,
        progress_bar: bool = False,
    ) -> CSMLAgent:
        """Act and learn for ``total_timesteps`` env steps (episodes are cut at the budget).

        ``callback(agent, episode)`` runs after every episode with its summary (``timesteps``,
        ``return``, ``success``, ``length``, ``model_loss``); returning ``False`` stops.
        """
        if (
            isinstance(total_timesteps, bool)
            or int(total_timesteps) != total_timesteps
            or total_timesteps < 1
        ):
            raise ValueError(f"total_timesteps must be a positive int, got {total_timesteps!r}")
        bar = _progress(total_timesteps, progress_bar)
        end = self.num_timesteps + int(total_timesteps)
        # Episode i of the agent's life always gets the same seed, so a run resumed from a
        # training checkpoint plays the episodes the uninterrupted run would have.
        seed = self.config.seed * 100_003
        while self.num_timesteps < end:
            summary = self._run_episode(end - self.num_timesteps, seed + len(self.episodes), bar)
            self.history.append(summary)
            if callback is not None and callback(self, summary) is False:
                break
        if bar is not None:
            bar.close()
        return self

    def _run_episode(self, budget: int, seed: int, bar: Any) -> dict[str, float]:
        config = self.config
        observation, _ = self.env.reset(seed=seed)
        exploring = len(self.episodes) < config.random_episodes
        state, held, hold = None, np.zeros(self.action_dim, np.float32), 0
        observations, actions, rewards, successes = [observation], [], [], []
        done = False
        while not done and len(actions) < budget:
            if exploring:
                if hold == 0:
                    held = self.rng.uniform(-1.0, 1.0, self.action_dim).astype(np.float32)
                    hold = int(self.rng.integers(1, config.explore_hold + 1))
                action, hold = held, hold - 1
            else:
                action, state = self.predict(observation, state, deterministic=False)
            observation, reward, terminated, truncated, info = self.env.step(action)
            observations.append(observation)
            actions.append(action)
            rewards.append(reward)
            successes.append(float(info["is_success"]))
            done = terminated or truncated
            if bar is not None:
                bar.update(1)
        episode = {
            "states": np.array(observations, dtype=np.float32),
            "actions": np.array(actions, dtype=np.float32),
            "rewards": np.array(rewards, dtype=np.float32),
            "successes": np.array(successes, dtype=np.float32),
        }
        self.episodes.append(episode)
        self.blamed_steps.append(-1)
        self.num_timesteps += len(actions)
        loss = self.train_model(math.ceil(config.updates_per_step * len(actions)))
        success = bool(successes and successes[-1])
        if (
            config.counterfactual_credit
            and not success
            and len(self.episodes) > config.random_episodes
        ):
            credit = self.credit(episode)
            self.blamed_steps[-1] = credit.step
            if credit.probability > config.credit_threshold:
                _, plan = self.model_steps(episode["states"], episode["actions"], 0)
                plan[credit.step // self.config.model_step] = credit.action
                self.proposals.append((episode["states"][0], plan))
        return {
            "timesteps": float(self.num_timesteps),
            "return": float(np.sum(rewards)),
            "success": float(success),
            "length": float(len(actions)),
            "model_loss": loss,
        }

    def _batch(self, indices: np.ndarray, offsets: np.ndarray) -> dict[str, torch.Tensor]:
        """Episodes ``indices`` in model steps from env steps ``offsets``, padded to the
        longest, with a mask of real model steps and their training weights (the mask, plus
        ``credit_weight`` from the window holding an episode's blamed step to its end)."""
        k = self.config.model_step
        chosen = []
        for index, offset in zip(indices, offsets):
            episode = self.episodes[index]
            offset = min(int(offset), len(episode["actions"]) - 1)
            states, actions = self.model_steps(episode["states"], episode["actions"], offset)
            rewards = np.concatenate([episode["rewards"][offset:], np.zeros(k)])
            to_go = np.cumsum(rewards[::-1])[::-1]
            successes = np.concatenate(
                [episode["successes"][offset:], np.repeat(episode["successes"][-1:], k)]
            )
            windows = len(actions)
            blamed = self.blamed_steps[index]
            window_ends = offset + k * np.arange(1, windows + 1)
            chosen.append(
                (
                    states,
                    actions,
                    rewards[: windows * k].reshape(windows, k).sum(1),
                    successes[k - 1 : windows * k : k],
                    to_go[: windows * k : k],
                    1.0 + self.config.credit_weight * ((blamed >= 0) & (window_ends > blamed)),
                )
            )
        length = max(len(entry[1]) for entry in chosen)
        batch = {
            "trajectories": np.zeros((len(chosen), length + 1, self.state_dim), np.float32),
            "actions": np.zeros((len(chosen), length, self.action_dim), np.float32),
            "rewards": np.zeros((len(chosen), length), np.float32),
            "successes": np.zeros((len(chosen), length), np.float32),
            "mask": np.zeros((len(chosen), length), np.float32),
            "weights": np.zeros((len(chosen), length), np.float32),
            "returns": np.zeros((len(chosen), length), np.float32),
        }
        for row, (states, actions, rewards, successes, returns, weights) in enumerate(chosen):
            steps = len(actions)
            batch["trajectories"][row, : steps + 1] = states
            batch["actions"][row, :steps] = actions
            batch["rewards"][row, :steps] = rewards
            batch["successes"][row, :steps] = successes
            batch["mask"][row, :steps] = 1.0
            batch["weights"][row, :steps] = weights
            batch["returns"][row, :steps] = returns
        tensors = {name: torch.as_tensor(values) for name, values in batch.items()}
        tensors["states"] = tensors["trajectories"][:, :-1]
        tensors["next_states"] = tensors["trajectories"][:, 1:]
        return tensors

    def train_model(self, updates: int) -> float:
        """``updates`` meta-training steps on the stored episodes; returns the last loss."""
        if not self.episodes or updates < 1:
            return float("nan")
        config, model = self.config, self.model
        count = len(self.episodes)
        everything = self._batch(np.arange(count), np.zeros(count, dtype=int))
        real = everything["mask"].bool()
        model.fit_normaliser(
            everything["states"][real],
            everything["next_states"][real],
            everything["rewards"][real],
            everything["returns"][real],
        )
        loss = torch.zeros(())
        for _ in range(updates):
            indices = self.rng.integers(count, size=config.batch_episodes)
            batch = self._batch(indices, self.rng.integers(config.model_step, size=len(indices)))
            mask, weights = batch["mask"], batch["weights"]
            steps = torch.arange(mask.shape[1])
            seen = torch.as_tensor(self.rng.integers(0, config.adapt_transitions + 1, len(indices)))
            support = mask * (steps[None, :] < seen[:, None])
            edges = model.sample_edges()
            context = model.adapt_context(
                batch["states"],
                batch["actions"],
                batch["next_states"],
                support,
                config.inner_steps,
                config.inner_lr,
                differentiable=True,
                edges=edges,
            )
            # The one-step term is built before the unrolled one so that runs with the mean
            # squared error reproduce earlier ones to the bit (autograd sums in build order).
            if config.variable_likelihood:
                errors = model.transition_errors(
                    batch["states"], batch["actions"], batch["next_states"], context, edges
                )
                dynamics = variable_log_likelihood(errors, weights)
            else:
                dynamics = model.transition_loss(
                    batch["states"], batch["actions"], batch["next_states"], context, weights, edges
                ).mean()
            starts = (torch.rand(len(indices)) * mask.sum(1)).long()
            unrolled, valid = model.unrolled_errors(
                batch["trajectories"],
                batch["actions"],
                context,
                weights,
                starts,
                config.unroll,
                edges,
            )
            score = variable_log_likelihood if config.variable_likelihood else masked_mean_squared
            dynamics = dynamics + score(unrolled, valid)
            reward, success = model.head_outputs(batch["states"], batch["next_states"])
            reward_loss = ((reward - batch["rewards"]) / model.reward_scale) ** 2
            success_loss = torch.nn.functional.binary_cross_entropy_with_logits(
                success, batch["successes"], reduction="none"
            )
            value_loss = (
                (model.value(batch["states"]) - batch["returns"]) / model.return_scale
            ) ** 2
            heads = ((reward_loss + success_loss + value_loss) * weights).sum() / weights.sum()
            loss = dynamics + heads + config.sparsity * model.gates().sum()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return float(loss.detach())

    # ----- counterfactual credit ---------------------------------------------------------

    def credit(self, episode: dict[str, np.ndarray]) -> Credit:
        """Which model step of ``episode`` (states ``(T + 1, S)``, actions ``(T, A)``),
        changed to which action, would have succeeded in the model with the rest of the
        episode as it was: abduction (context and residuals), action, prediction.

        ``Credit.step`` is the env step where the changed window of ``model_step`` steps
        starts; the alternative action is held through that window.
        """
        config, model = self.config, self.model
        states = np.asarray(episode["states"], dtype=np.float32)
        actions = np.asarray(episode["actions"], dtype=np.float32)
        if len(actions) < 1 or states.shape != (len(actions) + 1, self.state_dim):
            raise ValueError(
                f"an episode needs states (T + 1, {self.state_dim}) and actions "
                f"(T, {self.action_dim}) with T >= 1, got {states.shape} and {actions.shape}"
            )
        macro_states, macro_actions = self.model_steps(states, actions, 0)
        states, actions = torch.as_tensor(macro_states), torch.as_tensor(macro_actions)
        steps = len(actions)
        axis = torch.linspace(-1.0, 1.0, config.credit_grid)
        grid = torch.stack(torch.meshgrid(*[axis] * self.action_dim, indexing="ij"), -1)
        alternatives = grid.reshape(-1, self.action_dim)
        with torch.no_grad():
            context = self.adapt_context(states, actions)
            residuals = model.abduct(states, actions, context)
            factual = float(
                _success_probability(model, states[:1], actions[None], context, residuals)[0]
            )
            best = Credit(0, actions[0].numpy(), -1.0, factual)
            for t in range(steps):
                end = steps
                plans = actions[t:end].expand(len(alternatives), -1, -1).clone()
                plans[:, 0] = alternatives
                probability = _success_probability(
                    model, states[t : t + 1], plans, context, residuals[t:end]
                )
                choice = int(probability.argmax())
                if float(probability[choice]) > best.probability:
                    best = Credit(
                        t * config.model_step,
                        alternatives[choice].numpy(),
                        float(probability[choice]),
                        factual,
                    )
        return best

    # ----- graphs, saving, loading -------------------------------------------------------

    def dynamics_graph(self, threshold: float = 0.5) -> np.ndarray:
        """The learned dynamics graph as an adjacency over (state variables, then actions):
        ``[j, i] = 1`` when input j at step t is a parent of state variable i at t + 1.

        The model predicts each state as itself plus a change, so every state variable is its
        own parent whatever its gate; a gate decides only what the change reads.
        """
        gates = self.model.gates().detach().numpy()
        adjacency = np.zeros((self.state_dim + self.action_dim,) * 2, dtype=int)
        adjacency[:, : self.state_dim] = (gates > threshold).T
        adjacency[np.arange(self.state_dim), np.arange(self.state_dim)] = 1
        return adjacency

    def save(self, path: str | Path, training_state: bool = False) -> None:
        """Model weights, config and the credit proposals (``predict`` plans from them) in one
        file, written atomically (temp file, rename).

        With ``training_state`` the file also holds what ``learn`` needs to go on exactly as
        if it had never stopped: the optimizer, the stored episodes, the per-episode history
        and the random generators' states (a training checkpoint).
        """
        path = Path(path)
        payload: dict[str, Any] = {
            "format": CHECKPOINT_FORMAT,
            "config": json.dumps(dataclasses.asdict(self.config)),
            "state_dim": self.state_dim,
            "action_dim": self.action_dim,
            "num_timesteps": self.num_timesteps,
            "model": self.model.state_dict(),
            # The credit proposals seed the planner's first population, so predict needs them.
            **self._proposal_state(),
        }
        if training_state:
            payload["training"] = self._training_state()
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        atomic_write(path, buffer.getvalue())

    @classmethod
    def load(cls, path: str | Path, env: gym.Env) -> CSMLAgent:
        """An agent saved by ``save``, for ``env`` (with its training state, if saved with
        it); raises ``ValueError`` naming the file when it is not such a checkpoint or does
        not fit ``env``."""
        path = Path(path)
        try:
            payload = torch.load(path, weights_only=True)
        except Exception as error:  # truncated files raise several kinds of error
            raise ValueError(f"{path} is not a readable CSMLAgent checkpoint: {error}") from error
        if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(
                f"{path} is not a CSMLAgent checkpoint (no {CHECKPOINT_FORMAT!r} format tag)"
            )
        try:
            config = CSMLAgentConfig(**json.loads(payload["config"]))
            agent = cls(env, config)
            if (agent.state_dim, agent.action_dim) != (
                payload["state_dim"],
                payload["action_dim"],
            ):
                raise ValueError(
                    f"{path} was saved for {payload['state_dim']} state and "
                    f"{payload['action_dim']} action dimensions; this env has "
                    f"{agent.state_dim} and {agent.action_dim}"
                )
            agent.model.load_state_dict(payload["model"])
            agent.num_timesteps = int(payload["num_timesteps"])
            if "training" in payload:
                agent._restore_training_state(payload["training"])
            # Files written before the proposals moved out of the training state lack them.
            if "proposal_starts" in payload:
                agent._restore_proposals(payload)
        except (KeyError, TypeError, RuntimeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: a damaged CSMLAgent checkpoint ({error!r})") from error
        return agent

    def _training_state(self) -> dict[str, Any]:
        episodes = {
            name: torch.from_numpy(np.concatenate([e[name] for e in self.episodes]))
            if self.episodes
            else torch.zeros(0)
            for name in EPISODE_FIELDS
        }
        return {
            "optimizer": self.optimizer.state_dict(),
            "episode_lengths": torch.tensor([len(e["actions"]) for e in self.episodes]),
            "blamed_steps": torch.tensor(self.blamed_steps, dtype=torch.long),
            "episodes": episodes,
            "history": json.dumps(self.history),
            "numpy_rng": json.dumps(self.rng.bit_generator.state),
            "torch_rng": torch.get_rng_state(),
        }

    def _proposal_state(self) -> dict[str, Any]:
        return {
            "proposal_starts": torch.from_numpy(
                np.array([start for start, _ in self.proposals], np.float32).reshape(
                    -1, self.state_dim
                )
            ),
            "proposal_plans": [torch.from_numpy(plan) for _, plan in self.proposals],
        }

    def _restore_proposals(self, saved: dict[str, Any]) -> None:
        self.proposals = [
            (start_state, plan.numpy())
            for start_state, plan in zip(saved["proposal_starts"].numpy(), saved["proposal_plans"])
        ]

    def _restore_training_state(self, training: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(training["optimizer"])
        lengths = training["episode_lengths"].tolist()
        arrays = {name: training["episodes"][name].numpy() for name in EPISODE_FIELDS}
        self.episodes, start = [], {"states": 0, "other": 0}
        for length in lengths:
            states = arrays["states"][start["states"] : start["states"] + length + 1]
            other = slice(start["other"], start["other"] + length)
            self.episodes.append(
                {"states": states, **{n: arrays[n][other] for n in EPISODE_FIELDS[1:]}}
            )
            start["states"] += length + 1
            start["other"] += length
        # Training checkpoints written before credit_weight lack the blamed steps.
        blamed = training.get("blamed_steps")
        self.blamed_steps = blamed.tolist() if blamed is not None else [-1] * len(lengths)
        if "proposal_starts" in training:
            self._restore_proposals(training)
        self.history = json.loads(training["history"])
        self.rng.bit_generator.state = json.loads(training["numpy_rng"])
        torch.set_rng_state(training["torch_rng"])


def _success_probability(
    model: FactoredDynamics,
    start: torch.Tensor,
    plans: torch.Tensor,
    context: torch.Tensor,
    residuals: torch.Tensor,
) -> torch.Tensor:
    """Each plan's highest predicted success probability along its counterfactual replay."""
    count = len(plans)
    _, _, success = model.rollout(
        start.expand(count, -1), plans, context.expand(count, -1), residuals.expand(count, -1, -1)
    )
    return torch.sigmoid(success).max(1).values


def _check_env(env: gym.Env) -> None:
    action, observation = env.action_space, env.observation_space
    if not (isinstance(action, gym.spaces.Box) and action.shape and len(action.shape) == 1):
        raise ValueError(f"CSMLAgent needs a 1-D Box action space, got {action}")
    if not (np.all(action.low == -1.0) and np.all(action.high == 1.0)):
        raise ValueError("CSMLAgent needs actions in [-1, 1] (every causal_gym scene has them)")
    if not (isinstance(observation, gym.spaces.Box) and len(observation.shape) == 1):
        raise ValueError(
            f"CSMLAgent needs a state-vector observation (obs_mode='state'), got {observation}"
        )


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="step")
