"""Causal induction (the paper's phi_causal): a DAG over K variables from samples.

Eq. 1 of the CSML paper is the linear NOTEARS problem (Zheng et al., 2018):

    min_W  1/(2N) ||Z - Z W||_F^2 + lambda ||W||_1   subject to   h(W) = tr(exp(W o W)) - K = 0,

with ``W[j, k] != 0`` meaning the edge z_j -> z_k. ``method="notears"`` solves it with an
augmented Lagrangian: minimise score + (rho / 2) h^2 + alpha h, raise rho tenfold until h falls
to a quarter of its last value, then alpha += rho h; stop when h <= ``h_tolerance``.

``method="dagma"`` (Bello et al., 2022) swaps h for the log-determinant characterisation
h_s(W) = -log det(s I - W o W) + K log s, which is zero exactly on DAGs inside the domain where
s I - W o W is an M-matrix (s above the spectral radius of W o W), and follows a central path
instead of dual updates: minimise mu (score + lambda ||W||_1) + h_s(W) for a falling sequence of
mu, each solve warm-started from the last; a solve whose Adam steps leave the domain starts
again with half the step size and s widened by 0.1. It is the default: faster, and no worse
in ``benchmarks/fit_dag.py``.

The score and both acyclicity functions are differentiable torch functions, for the CSML outer
loop. The DAGMA solver steps with their closed-form gradients (``tests/test_causal_discovery.py``
checks them against autograd); the NOTEARS solver differentiates them with autograd.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

import networkx as nx
import numpy as np
import torch

METHODS = ("dagma", "notears")


def least_squares_score(weights: torch.Tensor, samples: torch.Tensor) -> torch.Tensor:
    """1/(2N) ||Z - Z W||_F^2 for samples Z (N x K)."""
    residual = samples - samples @ weights
    return 0.5 * residual.pow(2).sum() / samples.shape[0]


def notears_acyclicity(weights: torch.Tensor) -> torch.Tensor:
    """h(W) = tr(exp(W o W)) - K: zero exactly when W is the weight matrix of a DAG."""
    return torch.linalg.matrix_exp(weights * weights).diagonal().sum() - weights.shape[0]


def dagma_acyclicity(weights: torch.Tensor, s: float = 1.0) -> torch.Tensor:
    """h_s(W) = -log det(s I - W o W) + K log s: zero exactly on DAGs, for W in the M-matrix
    domain (see ``in_dagma_domain``); outside it the value means nothing."""
    size = weights.shape[0]
    eye = torch.eye(size, dtype=weights.dtype, device=weights.device)
    return -torch.linalg.slogdet(s * eye - weights * weights).logabsdet + size * math.log(s)


def in_dagma_domain(weights: torch.Tensor, s: float = 1.0) -> bool:
    """Whether s I - W o W is a non-singular M-matrix, i.e. its inverse exists and is >= 0."""
    eye = torch.eye(weights.shape[0], dtype=weights.dtype, device=weights.device)
    inverse, info = torch.linalg.inv_ex(s * eye - weights * weights)
    return bool(info == 0) and bool((inverse >= -1e-12).all())


@dataclass
class DagFitConfig:
    """Settings of ``fit_dag``; the defaults are the DAGMA paper's for linear models."""

    method: str = "dagma"
    l1: float = 0.03  # lambda of Eq. 1
    threshold: float = 0.3  # |weight| below which an edge is dropped after fitting
    learning_rate: float = 3e-4
    betas: tuple[float, float] = (0.99, 0.999)
    # DAGMA's central path: one solve per s value, mu starting at mu_init, times mu_factor.
    path_s: tuple[float, ...] = field(default=(1.0, 0.9, 0.8, 0.7, 0.6))
    mu_init: float = 1.0
    mu_factor: float = 0.1
    warm_iterations: int = 30_000  # per solve but the last
    final_iterations: int = 60_000
    check_every: int = 1000  # iterations between convergence checks
    tolerance: float = 1e-6  # relative change of the objective that ends a solve
    # NOTEARS' augmented Lagrangian.
    h_tolerance: float = 1e-8
    rho_max: float = 1e16
    max_outer: int = 100
    inner_iterations: int = 500  # L-BFGS iterations per augmented-Lagrangian solve


def fit_dag(samples: np.ndarray, config: DagFitConfig | None = None, **overrides) -> np.ndarray:
    """A weighted DAG (K x K numpy array, ``W[j, k] != 0``: j -> k) fitted to ``samples`` (N x K).

    The samples are centred, not scaled: standardise them first if variances should not matter.
    After fitting, self-loops and weights below ``threshold`` in size are dropped, then, should
    a cycle remain, the weakest edge on it, until the graph is acyclic.
    """
    unknown = set(overrides) - {f.name for f in fields(DagFitConfig)}
    if unknown:
        valid = ", ".join(f.name for f in fields(DagFitConfig))
        raise ValueError(f"unknown settings {sorted(unknown)}; valid: {valid}")
    config = replace(config or DagFitConfig(), **overrides)
    if config.method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {config.method!r}")
    data = np.asarray(samples, dtype=np.float64)
    if data.ndim != 2 or data.shape[0] < 2 or data.shape[1] < 2:
        raise ValueError(f"samples must be an N x K array with N, K >= 2, got shape {data.shape}")
    if not np.all(np.isfinite(data)):
        raise ValueError("samples contain NaN or infinite values")
    centred = data - data.mean(axis=0)
    covariance = centred.T @ centred / len(centred)
    solve = _fit_dagma if config.method == "dagma" else _fit_notears
    weights = solve(covariance, config)
    np.fill_diagonal(weights, 0.0)
    weights[np.abs(weights) < config.threshold] = 0.0
    return _break_cycles(weights)


# DAGMA's solver runs in numpy: on K x K matrices with K in the tens a numpy call costs a
# fraction of a torch one, and a fit takes ~10^5 Adam steps; it uses the closed-form gradients
# of the torch functions above. NOTEARS' few hundred L-BFGS steps per solve use torch autograd.


def _score(weights: np.ndarray, covariance: np.ndarray) -> float:
    """The least-squares score, from the covariance Z^T Z / N."""
    residual = np.eye(len(weights)) - weights
    return 0.5 * float(np.trace(residual.T @ covariance @ residual))


def _score_gradient(weights: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    return covariance @ weights - covariance


class _Adam:
    """Adam on one matrix. The diagonal is left free, as in the DAGMA paper's reference: the
    h_s term keeps self-loops small along the path, and the path finds better graphs with them
    than with the diagonal pinned at zero (SHD 41.6 against 42.8 over benchmarks/fit_dag.py's
    20-node seeds); ``fit_dag`` drops them at the end."""

    def __init__(self, weights: np.ndarray, config: DagFitConfig, learning_rate: float):
        self.weights = weights
        self.rate, (self.beta1, self.beta2) = learning_rate, config.betas
        self.first = np.zeros_like(weights)
        self.second = np.zeros_like(weights)
        self.steps = 0

    def step(self, gradient: np.ndarray) -> None:
        self.steps += 1
        self.first = self.beta1 * self.first + (1 - self.beta1) * gradient
        self.second = self.beta2 * self.second + (1 - self.beta2) * gradient * gradient
        first = self.first / (1 - self.beta1**self.steps)
        second = self.second / (1 - self.beta2**self.steps)
        self.weights -= self.rate * first / (np.sqrt(second) + 1e-8)


def _fit_dagma(covariance: np.ndarray, config: DagFitConfig) -> np.ndarray:
    size = len(covariance)
    weights = np.zeros((size, size))
    mu = config.mu_init
    for index, s in enumerate(config.path_s):
        last = index == len(config.path_s) - 1
        iterations = config.final_iterations if last else config.warm_iterations
        rate = config.learning_rate
        while True:
            solved, left_domain = _dagma_solve(
                weights.copy(), covariance, config, s, mu, iterations, rate
            )
            if not left_domain:
                break
            # The step left the M-matrix domain: retry from the start, gentler and with room.
            rate, s = rate / 2, s + 0.1
        weights = solved
        mu *= config.mu_factor
    return weights


def _dagma_solve(
    weights: np.ndarray,
    covariance: np.ndarray,
    config: DagFitConfig,
    s: float,
    mu: float,
    iterations: int,
    rate: float,
) -> tuple[np.ndarray, bool]:
    """Minimise mu (score + l1 |W|) + h_s(W) by Adam; True as second value if it left the
    domain (the caller retries from the start with a smaller step)."""
    adam = _Adam(weights, config, rate)
    eye = np.eye(len(weights))
    previous = None
    for iteration in range(1, iterations + 1):
        try:
            inverse = np.linalg.inv(s * eye - weights * weights)
        except np.linalg.LinAlgError:
            return weights, True
        if (inverse < -1e-12).any():
            return weights, True
        score_gradient = _score_gradient(weights, covariance)
        adam.step(mu * (score_gradient + config.l1 * np.sign(weights)) + 2 * weights * inverse.T)
        if iteration % config.check_every == 0:
            score = _score(weights, covariance)
            _, logdet = np.linalg.slogdet(s * eye - weights * weights)
            h = -logdet + len(weights) * math.log(s)
            current = mu * (score + config.l1 * np.abs(weights).sum()) + h
            if previous is not None and abs(previous - current) <= config.tolerance * abs(previous):
                break
            previous = current
    return weights, False


def _fit_notears(covariance: np.ndarray, config: DagFitConfig) -> np.ndarray:
    size = len(covariance)
    solver = _NotearsSolver(torch.from_numpy(covariance), config)
    weights = torch.zeros(size, size, dtype=torch.float64)
    rho, alpha, h = 1.0, 0.0, math.inf
    for _ in range(config.max_outer):
        while rho < config.rho_max:
            candidate = solver.solve(weights, rho, alpha)
            h_candidate = float(notears_acyclicity(candidate))
            if h_candidate <= 0.25 * h:
                break
            rho *= 10
        weights, h = candidate, h_candidate
        alpha += rho * h
        if h <= config.h_tolerance or rho >= config.rho_max:
            break
    return weights.numpy()


class _NotearsSolver:
    """Minimises score + l1 |W| + (rho / 2) h^2 + alpha h by L-BFGS, |w| smoothed to
    sqrt(w^2 + 1e-8) - 1e-4 so that the objective is differentiable. One optimizer serves
    every solve of a fit (creating one costs milliseconds); its memory is cleared between."""

    def __init__(self, covariance: torch.Tensor, config: DagFitConfig):
        size = len(covariance)
        self.covariance, self.l1 = covariance, config.l1
        self.eye = torch.eye(size, dtype=torch.float64)
        self.off_diagonal = 1.0 - self.eye
        self.parameter = torch.zeros(size, size, dtype=torch.float64, requires_grad=True)
        self.optimizer = torch.optim.LBFGS(
            [self.parameter],
            lr=1.0,
            max_iter=config.inner_iterations,
            tolerance_grad=1e-10,
            tolerance_change=1e-12,
            history_size=20,
            line_search_fn="strong_wolfe",
        )
        self.rho = self.alpha = 0.0

    def objective(self) -> torch.Tensor:
        self.optimizer.zero_grad()
        masked = self.parameter * self.off_diagonal
        residual = self.eye - masked
        score = 0.5 * torch.trace(residual.T @ self.covariance @ residual)
        h = notears_acyclicity(masked)
        l1 = (masked.pow(2) + 1e-8).sqrt().sum() - 1e-4 * masked.numel()
        value = score + self.l1 * l1 + 0.5 * self.rho * h * h + self.alpha * h
        value.backward()
        return value

    def solve(self, start: torch.Tensor, rho: float, alpha: float) -> torch.Tensor:
        self.rho, self.alpha = rho, alpha
        with torch.no_grad():
            self.parameter.copy_(start)
        self.optimizer.state.clear()
        self.optimizer.step(self.objective)
        return (self.parameter.detach() * self.off_diagonal).clone()


def _break_cycles(weights: np.ndarray) -> np.ndarray:
    """Drop the weakest edge of each remaining cycle until the graph is a DAG."""
    while True:
        graph = nx.DiGraph([(j, k) for j, k in zip(*np.nonzero(weights))])
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return weights
        j, k = min(cycle, key=lambda edge: abs(weights[edge[0], edge[1]]))
        weights[j, k] = 0.0
