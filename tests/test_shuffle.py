"""CausalWorld-Shuffle-v0: the fork and the behaviour its docstring documents."""

import re

import gymnasium as gym
import numpy as np
import pytest

from causal_gym.envs import shuffle


@pytest.fixture
def env() -> gym.Env:
    return gym.make("CausalWorld-Shuffle-v0")


def test_docstring_documents_every_variable() -> None:
    for name in shuffle.ShuffleEnv.variable_names:
        assert re.sub(r"puck\d", "puck{i}", name) in shuffle.__doc__ or name in shuffle.__doc__


def test_the_pusher_drives_every_puck_and_nothing_else(env) -> None:
    graph = env.unwrapped.causal_graph
    pucks = [f"puck{i}_{f}" for i in (1, 2, 3) for f in ("x", "vx")]
    assert set(pucks) <= set(graph.successors("pusher_x"))
    assert set(graph.predecessors("pusher_x")) == {"pusher_speed"}
    for i in (1, 2, 3):
        others = {name for name in pucks if not name.startswith(f"puck{i}")}
        assert not others & set(graph.successors(f"puck{i}_x"))


def test_a_released_puck_slides_v_squared_over_two_mu_g(env) -> None:
    """At a constant pusher speed V a puck leaves the end of the stroke at about V, then
    Coulomb friction stops it v^2 / (2 mu g) further on (checked on the named puck: the
    episode ends when it stops)."""
    for seed, action in ((0, 0.1), (1, 0.4), (2, 0.25)):
        env.reset(seed=seed)
        scene = env.unwrapped
        speed = -1.5 + (action + 1) * 4.5 / 2
        # The episode ends when the named puck stops; the others may still be sliding.
        rollout = scene.counterfactual(np.full((150, 1), action))
        released = int(np.argmax(rollout["pusher_x"] == shuffle.STROKE_END)) + 1
        named = int(rollout["target_puck"][0])
        mu = scene.properties[f"puck{named}_friction"]
        x, vx = rollout[f"puck{named}_x"], rollout[f"puck{named}_vx"]
        assert vx[released] == pytest.approx(speed, rel=0.1)
        slide = vx[released] ** 2 / (2 * mu * shuffle.GRAVITY)
        assert x[-1] - x[released] == pytest.approx(slide, abs=0.01)


def test_the_named_puck_at_rest_in_the_zone_is_a_success(env) -> None:
    _, info = env.reset(seed=2)
    named = int(info["variables"]["target_puck"])
    target = info["variables"]["target_x"]
    env.unwrapped.do(**{f"puck{named}_x": target + 0.5 * shuffle.TARGET_HALF_WIDTH})
    _, reward, terminated, _, info = env.step(np.zeros(1))
    assert terminated and info["is_success"] and reward == pytest.approx(shuffle.SUCCESS_BONUS)
    env.reset(seed=2)
    env.unwrapped.do(**{f"puck{named}_x": target + 3 * shuffle.TARGET_HALF_WIDTH})
    _, _, terminated, _, info = env.step(np.zeros(1))
    assert terminated and not info["is_success"]


def test_an_other_puck_in_the_zone_is_not_a_success(env) -> None:
    _, info = env.reset(seed=2)
    other = int(info["variables"]["target_puck"]) % 3 + 1
    info = env.unwrapped.do(**{f"puck{other}_x": info["variables"]["target_x"]})
    assert not info["is_success"]


def test_pusher_contacts_are_reported(env) -> None:
    env.reset(seed=0)
    events = set()
    for _ in range(20):
        events.update(env.step(np.ones(1))[4]["events"])
    assert events == {"pusher_hit_puck"}
