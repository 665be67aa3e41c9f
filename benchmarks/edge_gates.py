"""Does training recover a known sparse dynamics graph? Drawn edges against gates as weights.

    python benchmarks/edge_gates.py [--seeds 5] [--updates 1500] [--sparsity 1e-3 1e-2]

Each seed draws a random lagged system: ``--states`` state variables and ``--actions``
actions, each state's change reading 1-2 random inputs (states or actions) through a random
tanh layer, plus noise of 0.05; 64 episodes of 20 steps of standard-normal states and
uniform actions. A ``FactoredDynamics`` is fitted to the one-step changes with Adam (lr 1e-2)
and the L1 penalty on the gates, in two ways:

- ``drawn``: every update draws the edges open with the gates' probabilities
  (``sample_edges``), as ``CSMLAgent`` trains;
- ``weights``: the gates themselves multiply the inputs (the agent before 2026-12-04).

It prints, per way and penalty, the learned graph's SHD against the true one (``edge_mask``,
the graph the planner uses) and the mean gate of needed and of unneeded inputs, as mean and
std over seeds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from world_models.dynamics import FactoredDynamics

EPISODES, STEPS, NOISE = 64, 20, 0.05


def random_system(
    states: int, actions: int, rng: np.random.Generator
) -> tuple[np.ndarray, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(true ``[i, j]`` parents of each change, states, actions, next states)."""
    inputs = states + actions
    truth = np.zeros((states, inputs), dtype=np.float32)
    for child in range(states):
        parents = rng.choice(inputs, size=rng.integers(1, 3), replace=False)
        truth[child, parents] = 1.0
    state = rng.normal(size=(EPISODES, STEPS, states))
    action = rng.uniform(-1.0, 1.0, size=(EPISODES, STEPS, actions))
    weights = rng.uniform(0.5, 1.5, size=(states, inputs)) * rng.choice(
        [-1.0, 1.0], (states, inputs)
    )
    both = np.concatenate([state, action], axis=-1)
    change = np.tanh(both @ (truth * weights).T) + NOISE * rng.normal(size=state.shape)
    tensors = (torch.as_tensor(a, dtype=torch.float32) for a in (state, action, state + change))
    return truth, *tensors


def fit(
    states: torch.Tensor,
    actions: torch.Tensor,
    next_states: torch.Tensor,
    sparsity: float,
    drawn: bool,
    updates: int,
) -> FactoredDynamics:
    state_dim = states.shape[-1]
    model = FactoredDynamics(state_dim, actions.shape[-1], context_dim=1, hidden=16)
    model.fit_normaliser(
        states.reshape(-1, state_dim),
        next_states.reshape(-1, state_dim),
        torch.ones(2),
        torch.ones(2),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    context, mask = torch.zeros(len(states), 1), torch.ones(states.shape[:2])
    for _ in range(updates):
        edges = model.sample_edges() if drawn else model.gates()
        loss = model.transition_loss(states, actions, next_states, context, mask, edges).mean()
        loss = loss + sparsity * model.gates().sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--updates", type=int, default=1500)
    parser.add_argument("--states", type=int, default=6)
    parser.add_argument("--actions", type=int, default=2)
    parser.add_argument("--sparsity", type=float, nargs="+", default=[1e-3, 1e-2])
    args = parser.parse_args()
    if args.seeds < 1 or args.updates < 1 or args.states < 1 or args.actions < 0:
        parser.error("--seeds, --updates and --states must be >= 1, --actions >= 0")
    torch.set_num_threads(1)
    print(
        f"seeds 0..{args.seeds - 1}, {args.updates} updates, {args.states} states, "
        f"{args.actions} actions"
    )
    print("| edges | L1 | SHD | mean gate, needed | mean gate, unneeded | time |")
    print("|---|---:|---:|---:|---:|---:|")
    for sparsity in args.sparsity:
        for drawn in (True, False):
            clock, shd, needed, unneeded = time.perf_counter(), [], [], []
            for seed in range(args.seeds):
                truth, states, actions, next_states = random_system(
                    args.states, args.actions, np.random.default_rng(seed)
                )
                torch.manual_seed(seed)
                model = fit(states, actions, next_states, sparsity, drawn, args.updates)
                gates = model.gates().detach().numpy()
                shd.append(int((model.edge_mask().numpy() != truth).sum()))
                needed.append(gates[truth == 1].mean())
                unneeded.append(gates[truth == 0].mean())
            cells = [f"{np.mean(v):.2f} +- {np.std(v):.2f}" for v in (shd, needed, unneeded)]
            print(
                f"| {'drawn' if drawn else 'weights'} | {sparsity:g} | "
                + " | ".join(cells)
                + f" | {time.perf_counter() - clock:.0f} s |"
            )


if __name__ == "__main__":
    main()
