"""CausalWorld-Tilt-v0: the hidden confounder and the behaviour its docstring documents."""

import math

import gymnasium as gym
import numpy as np
import pytest

from causal_gym.envs import tilt

NO_BRAKE = np.full((12, 1), -1.0)  # 12 steps (0.4 s) with the brake released


@pytest.fixture
def env() -> gym.Env:
    return gym.make("CausalWorld-Tilt-v0")


def test_docstring_documents_every_variable() -> None:
    for name in tilt.TiltEnv.variable_names:
        assert name in tilt.__doc__
    assert not tilt.TiltEnv.variable("floor_tilt").observed


def test_tilt_is_a_confounder_observational_slope_is_not_the_causal_effect(env) -> None:
    """Across episodes, the gauge ball's speed predicts the sled's speed change (both follow
    the hidden tilt: g sin(tilt) t against 2/3 g sin(tilt) t, a slope of 3/2 in theory);
    intervening on the ball changes nothing."""
    scene = env.unwrapped
    ball_speed, sled_change = [], []
    for seed in range(40):
        env.reset(seed=seed)
        factual = scene.counterfactual(NO_BRAKE)
        ball_speed.append(factual["ball_vx"][-1])
        sled_change.append(factual["sled_vx"][-1] - factual["sled_vx"][0])
        for forced in (-1.0, 1.0):  # do(ball_vx): the ball moves quite differently ...
            other = scene.counterfactual(NO_BRAKE, interventions={"ball_vx": forced})
            assert abs(other["ball_vx"][-1] - factual["ball_vx"][-1]) > 0.5
            # ... and the sled does exactly what it did: the interventional effect is 0.
            assert np.array_equal(other["sled_vx"], factual["sled_vx"])
    slope, _ = np.polyfit(ball_speed, sled_change, 1)
    assert 1.1 < slope < 1.9, slope  # 3/2 from the physics, blurred by the hidden friction
    correlation = np.corrcoef(ball_speed, sled_change)[0, 1]
    assert correlation > 0.7, correlation


def test_sled_and_ball_follow_the_tilted_gravity(env) -> None:
    scene = env.unwrapped
    for tilt_deg, friction in ((-2.5, 0.1), (0.0, 0.12), (2.5, 0.09)):
        env.reset(
            seed=0, options={"interventions": {"floor_tilt": tilt_deg, "floor_friction": friction}}
        )
        rollout = scene.counterfactual(NO_BRAKE)
        seconds = 12 * scene.control_dt
        radians = math.radians(tilt_deg)
        sled_expected = tilt.GRAVITY * (math.sin(radians) - friction * math.cos(radians)) * seconds
        sled_change = rollout["sled_vx"][-1] - rollout["sled_vx"][0]
        assert sled_change == pytest.approx(sled_expected, rel=0.02)
        # A 2D ball is a disc: rolling without slipping, it accelerates at 2/3 g sin(tilt).
        ball_expected = 2 / 3 * tilt.GRAVITY * math.sin(radians) * seconds
        assert rollout["ball_vx"][-1] == pytest.approx(ball_expected, rel=0.03, abs=1e-9)


def test_brake_stops_the_sled_and_the_episode(env) -> None:
    env.reset(seed=1)
    steps = 0
    terminated = False
    while not terminated:
        *_, terminated, truncated, info = env.step(np.array([1.0]))  # full brake
        steps += 1
        assert not truncated
    assert abs(info["variables"]["sled_vx"]) < tilt.REST_SPEED
    # The slowest stop: 3.6 m/s against the least braking friction, 0.08 + 0.5, on the
    # steepest downhill training tilt, 3 degrees.
    slowest = 3.6 / (tilt.GRAVITY * (0.58 * math.cos(math.radians(3)) - math.sin(math.radians(3))))
    assert steps <= math.ceil(slowest * 30)


def test_sled_at_rest_in_the_zone_is_a_success(env) -> None:
    _, info = env.reset(seed=0)
    info = env.unwrapped.do(sled_x=info["variables"]["target_x"], sled_vx=0.0)
    assert info["is_success"]
    _, reward, terminated, _, info = env.step(np.array([1.0]))
    assert terminated and info["is_success"]
    assert reward == pytest.approx(tilt.SUCCESS_BONUS)


def test_training_floors_hold_a_sled_at_rest(env) -> None:
    for tilt_deg in (-3.0, 3.0):
        env.reset(
            seed=0, options={"interventions": {"floor_tilt": tilt_deg, "floor_friction": 0.08}}
        )
        env.unwrapped.do(sled_vx=0.0)
        for _ in range(30):
            *_, info = env.step(np.array([-1.0]))
        assert info["variables"]["sled_vx"] == 0.0


def test_rewards_add_up_to_progress_plus_success_bonus(env) -> None:
    for seed in range(6):
        _, info = env.reset(seed=seed)
        start = abs(info["variables"]["sled_to_target"])
        total = 0.0
        rng = np.random.default_rng(seed)
        terminated = truncated = False
        while not (terminated or truncated):
            _, reward, terminated, truncated, info = env.step(rng.uniform(-1, 1, 1))
            total += reward
        end = abs(info["variables"]["sled_to_target"])
        assert total == pytest.approx(start - end + tilt.SUCCESS_BONUS * info["is_success"])


def test_events_report_the_wall_and_the_shelf_stops(env) -> None:
    env.reset(seed=0)
    env.unwrapped.do(sled_x=3.6, sled_vx=5.0, ball_x=3.4, ball_vx=3.0)
    seen = set()
    for _ in range(5):
        *_, info = env.step(np.array([-1.0]))
        seen.update(info["events"])
    assert seen == {"sled_hit_wall", "ball_hit_stop"}
