"""Success of trained agents on one scene: agents x seeds at one env-step budget.

    python benchmarks/agent_success.py --env CausalWorld-Ramp-v0 --timesteps 20000 \\
        --agents csml csml-no-credit ppo sac random --seeds 5 --workers 2 --out results.json

Every agent trains ``--timesteps`` env steps on the ``train`` split with seed s, then plays
``--eval-episodes`` deterministic episodes of the ``test`` split (seeds 1,000,000 + s, ...).
``csml-no-credit`` is the CSML agent without counterfactual credit (the ablation). Prints one
row per agent: mean +- std over seeds of the test success rate, the mean decision time per
step, the training seconds; writes every seed's numbers to ``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import gymnasium as gym
import torch

import causal_gym
from agents.baselines import make_agent
from agents.csml_agent import CSMLAgent
from agents.evaluation import EpisodeLog, evaluate, true_dynamics_adjacency
from world_models.graph_metrics import lagged_shd

AGENT_NAMES = ("csml", "csml-no-credit", "ppo", "sac", "random")


def run(job: tuple[str, str, int, int, int]) -> dict:
    """Train one agent with one seed, evaluate it."""
    name, env_id, seed, timesteps, episodes = job
    torch.set_num_threads(1)
    env = EpisodeLog(gym.make(env_id, task="train"))
    if name.startswith("csml"):
        agent = CSMLAgent(env, seed=seed, counterfactual_credit=name == "csml")
    else:
        agent = make_agent(name, env, seed=seed)
    start = time.perf_counter()
    agent.learn(timesteps)
    seconds = time.perf_counter() - start
    result = {
        "agent": name,
        "seed": seed,
        "env_steps": env.timesteps,
        "train_seconds": seconds,
        "training_episodes": env.episodes,
        **evaluate(agent, gym.make(env_id, task="test"), episodes, seed=1_000_000 + seed),
    }
    if isinstance(agent, CSMLAgent):
        _, truth = true_dynamics_adjacency(env)
        result["dynamics_graph_shd"] = lagged_shd(truth, agent.dynamics_graph())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="CausalWorld-Ramp-v0", choices=sorted(causal_gym.SCENES))
    parser.add_argument("--agents", nargs="+", default=list(AGENT_NAMES), choices=AGENT_NAMES)
    parser.add_argument("--timesteps", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("agent_success.json"))
    args = parser.parse_args()
    if min(args.timesteps, args.seeds, args.eval_episodes, args.workers) < 1:
        parser.error("--timesteps, --seeds, --eval-episodes and --workers must be >= 1")

    jobs = [
        (name, args.env, seed, args.timesteps, args.eval_episodes)
        for name in args.agents
        for seed in range(args.seeds)
    ]
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.workers, mp_context=context) as pool:
        results = list(pool.map(run, jobs))
    print(
        f"{args.env}, {args.timesteps} env steps, seeds 0-{args.seeds - 1}, "
        f"{args.eval_episodes} test episodes each, {time.perf_counter() - start:.0f} s"
    )
    print("| agent | test success | decision ms / step | train s | dynamics-graph SHD |")
    print("|---|---:|---:|---:|---:|")
    for name in args.agents:
        rows = [r for r in results if r["agent"] == name]
        rates = [r["success_rate"] for r in rows]
        spread = statistics.stdev(rates) if len(rates) > 1 else 0.0
        ms = statistics.mean(r["decision_ms_per_step"] for r in rows)
        seconds = statistics.mean(r["train_seconds"] for r in rows)
        shd = [r["dynamics_graph_shd"] for r in rows if "dynamics_graph_shd" in r]
        graph = f"{statistics.mean(shd):.1f}" if shd else "-"
        print(
            f"| {name} | {statistics.mean(rates):.1%} +- {spread:.1%} | {ms:.2f} | "
            f"{seconds:.0f} | {graph} |"
        )
    args.out.write_text(json.dumps({"env": args.env, "timesteps": args.timesteps, "runs": results}))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
