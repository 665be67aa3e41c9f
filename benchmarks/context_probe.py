"""Does a CSML agent's adapted context know the episode's hidden properties?

    python benchmarks/context_probe.py \\
        --checkpoint runs/csml-CausalWorld-Ramp-v0-seed0/agent.pt --episodes 80

The saved agent plays ``--episodes`` deterministic episodes of the ``--task`` split (``test``
unless told; seeds 4,000,000, ...). Its context is adapted as ``predict`` adapts it, on the
episode's first ``--seen`` model steps and on the whole episode (in hindsight). For every
hidden property that varies in that split, a linear read-out of the context is scored by
leave-one-out R^2 over the episodes: near 1, the context carries the property; near 0 or below,
it does not. Also printed: how much the adaptation lowers the episode's one-model-step loss
from the prior's. That shows whether the context matters to the model's predictions at all.
"""

from __future__ import annotations

import numpy as np
import torch

from agents.evaluation import checkpoint_parser, open_checkpoint, play_episode
from causal_gym.tasks import TASKS


def leave_one_out_r2(features: np.ndarray, target: np.ndarray) -> float:
    """R^2 of a least-squares linear fit (with intercept) scored on each row held out in turn:
    residual_i / (1 - leverage_i), the closed form of refitting without row i."""
    design = np.column_stack([features, np.ones(len(features))])
    pseudo_inverse = np.linalg.pinv(design)
    leverage = np.einsum("ij,ji->i", design, pseudo_inverse)
    residuals = target - design @ (pseudo_inverse @ target)
    held_out = residuals / np.clip(1.0 - leverage, 1e-9, None)
    return float(1.0 - np.sum(held_out**2) / np.sum((target - target.mean()) ** 2))


def main() -> None:
    parser = checkpoint_parser(__doc__.split("\n")[0], episodes=80)
    parser.add_argument("--seen", type=int, default=4, help="model steps the early context sees")
    args = parser.parse_args()
    if args.episodes < 3 or args.seen < 1:
        parser.error("--episodes must be >= 3 and --seen >= 1")
    env, agent = open_checkpoint(args)
    model = agent.model
    ranges = TASKS[args.task].ranges
    names = [n for n, (low, high) in env.unwrapped.property_ranges[ranges].items() if high > low]
    contexts: dict[str, list[np.ndarray]] = {"early": [], "hindsight": []}
    properties, losses = [], []
    for episode in range(args.episodes):
        observations, actions, _ = play_episode(agent, env, 4_000_000 + episode)
        properties.append([env.unwrapped.properties[name] for name in names])
        states, macro_actions = agent.model_steps(observations, actions)
        steps = len(macro_actions)
        for kind, seen in (("early", min(args.seen, steps)), ("hindsight", steps)):
            contexts[kind].append(agent.adapt_context(states, macro_actions, seen).numpy())
        states, macro_actions = torch.as_tensor(states), torch.as_tensor(macro_actions)
        everything = torch.ones(1, steps)
        with torch.no_grad():
            episode_losses = [
                float(
                    model.transition_loss(
                        states[None, :-1], macro_actions[None], states[None, 1:], used, everything
                    )[0]
                )
                for used in (
                    model.context_prior[None],
                    torch.as_tensor(contexts["hindsight"][-1])[None],
                )
            ]
        losses.append(episode_losses)
    target = np.array(properties)
    print(
        f"{args.env}, task {args.task}, {args.episodes} episodes, {args.checkpoint}: "
        "leave-one-out R^2 of each property from the context"
    )
    for kind, rows in contexts.items():
        seen = f"first {args.seen} model steps" if kind == "early" else "whole episode"
        scores = ", ".join(
            f"{name} {leave_one_out_r2(np.array(rows), target[:, j]):+.2f}"
            for j, name in enumerate(names)
        )
        print(f"  context adapted on the {seen}: {scores}")
    prior_loss, adapted_loss = np.mean(losses, axis=0)
    print(
        f"  one-model-step loss over whole episodes: prior context {prior_loss:.4f}, adapted "
        f"{adapted_loss:.4f} ({1 - adapted_loss / prior_loss:.1%} lower)"
    )


if __name__ == "__main__":
    main()
