"""What holds CSML under 80% on Ramp: not knowing the ball, or how precisely it predicts?

    python benchmarks/ramp_precision.py agent --seeds 0 1 [--timesteps 20000] [--workers 2]
    python benchmarks/ramp_precision.py regressor [--episodes 200 1000] [--test 400]

``agent``: CSML (``CSMLAgentConfig``'s defaults) trains ``--timesteps`` env steps on ``train``
twice per seed: as in the benchmark, and *told* the episode's hidden properties (ball_mass,
ball_friction, gravity appended to every observation, so its model, value head and planner all
read them; a diagnostic, never an agent). Printed per run: success on 50 ``test`` episodes
(seeds 1,000,000 + 10,000 x seed, as ``examples/benchmark.py``), and how often the constant
action the planner's own score (its horizon in the model, then V) ranks best on a 9 x 9 grid at
step 0 succeeds in the env (exact counterfactuals; ``--pick-episodes`` ``test`` episodes), with
the share of grid actions that succeed, which a random pick gets.

``regressor``: how precisely can the block's final offset (block_x - target_x, m) be learnt at
all from the state in which the ball leaves the ramp (its last contact; nothing the agent does
matters after it)? An MLP (2 x 64, 4,000 Adam steps) is fitted on ``--episodes`` episodes of
random constant actions on ``train`` and scored on ``--test`` such episodes of ``test``, with
and without the three hidden properties among its inputs, and for two targets: the offset, and
the return still to come (what the agent's value head regresses: progress plus the success
bonus). Printed: mean absolute error, and for episodes ending within 0.3 m of the target, the
same and the share predicted within 0.05 m.
"""

from __future__ import annotations

import argparse
import statistics
import time

import gymnasium as gym
import numpy as np
import torch

import causal_gym  # noqa: F401  (registers the scenes)
from agents.csml_agent import CSMLAgent
from agents.evaluation import evaluate
from causal_gym.envs.ramp import ball_touches_ramp
from causal_gym.parallel import run_jobs

SCENE = "CausalWorld-Ramp-v0"
HIDDEN = {"ball_mass": (0.1, 5.0), "ball_friction": (0.0, 2.0), "gravity": (0.0, 30.0)}
GRID = 9
NEAR = 0.3  # m: episodes ending this close to the target are the ones a choice hinges on


class TrueProperties(gym.ObservationWrapper):
    """Appends the episode's hidden properties (``HIDDEN``, their valid ranges as bounds)."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        low = [bounds[0] for bounds in HIDDEN.values()]
        high = [bounds[1] for bounds in HIDDEN.values()]
        self.observation_space = gym.spaces.Box(
            np.concatenate([env.observation_space.low, low]).astype(np.float32),
            np.concatenate([env.observation_space.high, high]).astype(np.float32),
        )

    def observation(self, observation: np.ndarray) -> np.ndarray:
        properties = self.env.unwrapped.properties
        told = [properties[name] for name in HIDDEN]
        return np.concatenate([observation, told]).astype(np.float32)


def constant_grid() -> np.ndarray:
    axis = np.linspace(-1.0, 1.0, GRID)
    return np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2).astype(np.float32)


def planner_pick(agent: CSMLAgent, env: gym.Env, seeds: range) -> tuple[float, float]:
    """How often the grid action the planner scores best at step 0 succeeds; the share of
    grid actions that succeed."""
    grid, picked, shares = constant_grid(), [], []
    horizon = env.spec.max_episode_steps
    for seed in seeds:
        observation, _ = env.reset(seed=seed)
        scene = env.unwrapped
        succeeds = np.array(
            [scene.counterfactual(np.tile(action, (horizon, 1))).is_success for action in grid]
        )
        knots = torch.as_tensor(grid)[:, None, :].expand(-1, agent.config.knots, -1)
        with torch.no_grad():
            scores = agent._score(
                torch.as_tensor(observation), knots, agent.model.context_prior.detach()
            )
        picked.append(bool(succeeds[int(scores.argmax())]))
        shares.append(float(succeeds.mean()))
    return float(np.mean(picked)), float(np.mean(shares))


def agent_run(job: tuple[int, bool, int, int]) -> dict[str, float]:
    seed, told, timesteps, pick_episodes = job
    torch.set_num_threads(1)
    wrap = TrueProperties if told else (lambda env: env)
    agent = CSMLAgent(wrap(gym.make(SCENE, task="train")), seed=seed)
    clock = time.perf_counter()
    agent.learn(timesteps)
    seconds = time.perf_counter() - clock
    test = wrap(gym.make(SCENE, task="test"))
    first = 1_000_000 + 10_000 * seed
    success = evaluate(agent, test, 50, seed=first)["success_rate"]
    pick, share = planner_pick(agent, test, range(first, first + pick_episodes))
    return {"success": success, "pick": pick, "share": share, "seconds": seconds}


def release_data(
    task: str, seeds: range, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per episode of a random constant action: the state the ball leaves the ramp in, the
    hidden properties, the final offset and the return from that state on."""
    env = gym.make(SCENE, task=task)
    scene = env.unwrapped
    columns = None
    states, properties, offsets, returns = [], [], [], []
    for seed in seeds:
        env.reset(seed=seed)
        action = rng.uniform(-1.0, 1.0, 2)
        rollout = scene.counterfactual(np.tile(action, (env.spec.max_episode_steps, 1)))
        if columns is None:
            columns = [rollout.variables.index(name) for name in scene.state_variables]
        path = rollout.values[:, columns]
        touching = [i for i, row in enumerate(path) if ball_touches_ramp(*row[:3])]
        release = min(touching[-1] + 1 if touching else 0, len(path) - 1)
        states.append(path[release])
        properties.append([scene.properties[name] for name in HIDDEN])
        offsets.append(rollout["block_x"][-1] - rollout["target_x"][-1])
        returns.append(rollout.rewards[release:].sum())
    parts = (states, properties, offsets, returns)
    return tuple(np.array(part, dtype=np.float32) for part in parts)


def fit_and_score(
    inputs: np.ndarray, target: np.ndarray, test_inputs: np.ndarray, seed: int = 0
) -> np.ndarray:
    """Predictions on ``test_inputs`` of an MLP fitted to ``target``."""
    torch.manual_seed(seed)
    mean, scale = inputs.mean(0), inputs.std(0) + 1e-6
    net = torch.nn.Sequential(
        torch.nn.Linear(inputs.shape[1], 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 1),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-5)
    x, y = torch.as_tensor((inputs - mean) / scale), torch.as_tensor(target)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(4000):
        rows = torch.randint(len(x), (min(256, len(x)),), generator=generator)
        loss = ((net(x[rows])[:, 0] - y[rows]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return net(torch.as_tensor((test_inputs - mean) / scale))[:, 0].numpy()


def regressor_table(episodes: list[int], test: int) -> None:
    rng = np.random.default_rng(0)
    held_out = release_data("test", range(1_000_000, 1_000_000 + test), rng)
    near = np.abs(held_out[2]) < NEAR
    print(
        f"{test} test episodes, {int(near.sum())} ending within {NEAR} m of the target\n"
        "| training episodes | inputs | target | MAE | MAE, near | near within 0.05 m |\n"
        "|---:|---|---|---:|---:|---:|"
    )
    for count in episodes:
        train = release_data("train", range(50_000, 50_000 + count), rng)
        for told in (False, True):
            inputs = np.concatenate(train[:2], 1) if told else train[0]
            test_inputs = np.concatenate(held_out[:2], 1) if told else held_out[0]
            for name, index in (("offset", 2), ("return", 3)):
                error = np.abs(fit_and_score(inputs, train[index], test_inputs) - held_out[index])
                label = "state + properties" if told else "state"
                print(
                    f"| {count} | {label} | {name} | {error.mean():.3f} | "
                    f"{error[near].mean():.3f} | {(error[near] < 0.05).mean():.0%} |"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=("agent", "regressor"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--timesteps", type=int, default=20_000)
    parser.add_argument("--pick-episodes", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--episodes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--test", type=int, default=400)
    args = parser.parse_args()
    if min(args.timesteps, args.pick_episodes, args.workers, args.test, *args.episodes) < 1:
        parser.error("--timesteps, --pick-episodes, --workers, --test, --episodes must be >= 1")
    if args.part == "regressor":
        regressor_table(args.episodes, args.test)
        return
    jobs = [
        (seed, told, args.timesteps, args.pick_episodes)
        for seed in args.seeds
        for told in (False, True)
    ]
    results = dict(run_jobs(agent_run, jobs, workers=args.workers))
    print(
        "| seed | agent | test success | planner's step-0 grid pick succeeds | grid share | "
        "train s |\n|---:|---|---:|---:|---:|---:|"
    )
    for told, name in ((False, "csml"), (True, "told")):
        runs = [(job[0], results[job]) for job in jobs if job[1] == told]
        for seed, row in runs:
            print(
                f"| {seed} | {name} | {row['success']:.0%} | {row['pick']:.0%} | "
                f"{row['share']:.1%} | {row['seconds']:.0f} |"
            )
        mean = statistics.mean(row["success"] for _, row in runs)
        print(f"| mean | {name} | {mean:.0%} | | | |")


if __name__ == "__main__":
    main()
