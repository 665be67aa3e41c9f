"""CausalWorld-Gliders-v0: the long chain and the behaviour its docstring documents."""

import re

import gymnasium as gym
import networkx as nx
import numpy as np
import pytest

from causal_gym.envs import gliders

STARTS = np.array(gliders.STARTS)


@pytest.fixture
def env() -> gym.Env:
    return gym.make("CausalWorld-Gliders-v0")


def displacements(info: dict) -> np.ndarray:
    return (
        np.array([info["variables"][f"glider{i}_x"] for i in range(1, gliders.GLIDERS + 1)])
        - STARTS
    )


def test_docstring_documents_every_variable() -> None:
    for name in gliders.GlidersEnv.variable_names:
        assert re.sub(r"glider\d", "glider{i}", name) in gliders.__doc__


def test_the_chain_has_five_hops_and_no_shortcut(env) -> None:
    graph = env.unwrapped.causal_graph
    assert nx.shortest_path_length(graph, "push_force", "glider5_x") == 5
    for i in range(1, gliders.GLIDERS + 1):
        far = {
            f"glider{j}_{f}"
            for j in range(1, gliders.GLIDERS + 1)
            if abs(i - j) > 1
            for f in ("x", "vx")
        }
        assert not far & set(graph.successors(f"glider{i}_x"))


def test_no_glider_touches_two_neighbours_or_outruns_the_speed_bound(env) -> None:
    """The docstring's argument for the chain, checked along full-push and random episodes."""
    touching = gliders.PITCH - gliders.GLIDER_LENGTH  # extra travel that closes a gap
    for seed in range(8):
        rng = np.random.default_rng(seed)
        env.reset(seed=seed)
        for _ in range(150):
            action = np.ones(1) if seed % 2 else rng.uniform(-1, 1, 1)
            _, _, terminated, truncated, info = env.step(action)
            d = displacements(info)
            contact = d[:-1] - d[1:] >= touching - 0.01
            assert not (contact[:-1] & contact[1:]).any()
            speeds = [
                abs(info["variables"][f"glider{i}_vx"]) for i in range(1, gliders.GLIDERS + 1)
            ]
            assert max(speeds) < gliders.MAX_SPEED
            assert "physics_error" not in info
            if terminated or truncated:
                break


def test_a_harder_push_sets_more_gliders_moving(env) -> None:
    env.reset(seed=3)
    last = {"target_glider": 4.0}  # the episode then ends only when glider 5 moves
    moved = [
        env.unwrapped.counterfactual(np.full((150, 1), a), last)["gliders_moved"][-1]
        for a in np.linspace(-0.9, 1.0, 12)
    ]
    assert moved[0] == 1 and moved[-1] == 5
    assert np.diff(moved).min() >= -1 and np.diff(moved).sum() == 4


def test_success_and_overshoot_end_the_episode(env) -> None:
    _, info = env.reset(seed=0)
    k = int(info["variables"]["target_glider"])
    still = np.full(1, -1.0)  # no push
    env.unwrapped.do(**env.unwrapped._success_setting(env.unwrapped._state))
    _, reward, terminated, _, info = env.step(still)
    assert terminated and info["is_success"] and reward == pytest.approx(gliders.SUCCESS_BONUS)
    env.reset(seed=0)
    env.unwrapped.do(**{f"glider{k + 1}_x": STARTS[k] + 0.1})
    _, reward, terminated, _, info = env.step(still)
    assert terminated and not info["is_success"]


def test_rewards_count_the_gliders_set_moving(env) -> None:
    for seed in range(6):
        _, info = env.reset(seed=seed)
        k = int(info["variables"]["target_glider"])
        total, terminated, truncated = 0.0, False, False
        rng = np.random.default_rng(seed)
        while not (terminated or truncated):
            _, reward, terminated, truncated, info = env.step(rng.uniform(-1, 1, 1))
            total += reward
        moved = displacements(info) > gliders.MOVED
        expected = (
            gliders.MOVE_REWARD * moved[:k].sum()
            + gliders.SUCCESS_BONUS * info["is_success"]
            - gliders.OVERSHOOT_PENALTY * moved[k]
        )
        assert total == pytest.approx(expected)


def test_collisions_are_reported(env) -> None:
    env.reset(seed=0)
    events = set()
    for _ in range(30):
        events.update(env.step(np.ones(1))[4]["events"])
    assert events == {"gliders_collided"}
