"""CausalWorld-Seesaw-v0: the collider and the behaviour its docstring documents."""

import math

import gymnasium as gym
import networkx as nx
import numpy as np
import pytest

from causal_gym.envs import seesaw


@pytest.fixture
def env() -> gym.Env:
    return gym.make("CausalWorld-Seesaw-v0")


def test_docstring_documents_every_variable() -> None:
    for name in seesaw.SeesawEnv.variable_names:
        assert name in seesaw.__doc__
    assert not seesaw.SeesawEnv.variable("payload_mass").observed


def test_sand_and_payload_are_independent_causes_of_the_beam(env) -> None:
    graph = env.unwrapped.causal_graph
    assert {"left_load", "payload_mass"} <= set(graph.predecessors("beam_angle"))
    assert not nx.has_path(graph, "left_load", "payload_mass")
    assert not nx.has_path(graph, "payload_mass", "left_load")


@pytest.mark.parametrize("load", [0.3, 0.9, 1.5])
def test_the_beam_settles_where_the_torques_balance(env, load: float) -> None:
    env.reset(seed=1)
    scene = env.unwrapped
    for _ in range(300):  # on through any success, until the beam has settled
        *_, info = scene.step(np.full(1, 2 * load / 3 - 1))  # load_target = load
    tangent = (load - scene.properties["payload_mass"]) / (seesaw.BOB_MASS * seesaw.BOB_DEPTH)
    expected = math.degrees(math.atan(tangent))
    expected = min(max(expected, -seesaw.STOP_ANGLE), seesaw.STOP_ANGLE)  # or on a stop
    assert info["variables"]["left_load"] == pytest.approx(load)
    assert info["variables"]["beam_angle"] == pytest.approx(expected, abs=0.2)


def test_a_heavy_side_rests_on_its_stop(env) -> None:
    env.reset(seed=1)
    events = set()
    for _ in range(90):
        *_, info = env.step(np.ones(1))  # 3 kg of sand
        events.update(info["events"])
    assert events == {"beam_hit_stop"}
    assert info["variables"]["beam_angle"] == pytest.approx(seesaw.STOP_ANGLE, abs=0.5)


def test_the_payload_at_rest_in_the_band_is_a_success(env) -> None:
    _, info = env.reset(seed=0)
    scene = env.unwrapped
    load = scene.properties["payload_mass"]
    target_angle = math.degrees(math.asin(info["variables"]["target_height"] - seesaw.PIVOT_Y))
    needed = load + seesaw.BOB_MASS * seesaw.BOB_DEPTH * math.tan(math.radians(target_angle))
    scene.do(left_load=needed, beam_angle=target_angle, beam_angular_velocity=0.0)
    _, reward, terminated, _, info = env.step(np.full(1, 2 * needed / 3 - 1))
    assert terminated and info["is_success"] and reward > 0.9
