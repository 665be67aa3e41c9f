"""CausalWorld-Ramp-v0: the behaviour its docstring documents."""

import gymnasium as gym
import numpy as np
import pytest

from causal_gym.envs import ramp

HOLD = np.zeros(2, dtype=np.float32)  # ramp toward 30 degrees, no push


@pytest.fixture
def env() -> gym.Env:
    return gym.make("CausalWorld-Ramp-v0")


def test_docstring_documents_every_variable() -> None:
    for name in ramp.RampEnv.variable_names:
        assert name in ramp.__doc__


def test_rewards_add_up_to_progress_plus_success_bonus(env) -> None:
    for seed in range(6):
        _, info = env.reset(seed=seed)
        start = abs(info["variables"]["block_to_target"])
        total = 0.0
        rng = np.random.default_rng(seed)
        terminated = truncated = False
        while not (terminated or truncated):
            _, reward, terminated, truncated, info = env.step(rng.uniform(-1, 1, 2))
            total += reward
        end = abs(info["variables"]["block_to_target"])
        assert total == pytest.approx(start - end + ramp.SUCCESS_BONUS * info["is_success"])


def test_block_at_rest_in_the_zone_is_a_success(env) -> None:
    _, info = env.reset(seed=0)
    target = info["variables"]["target_x"]
    info = env.unwrapped.do(block_x=target + 0.5 * ramp.TARGET_HALF_WIDTH)
    assert info["is_success"] and info["variables"]["success"] == 1.0
    _, reward, terminated, truncated, info = env.step(HOLD)
    assert terminated and not truncated and info["is_success"]
    assert reward == pytest.approx(ramp.SUCCESS_BONUS)


def test_block_at_rest_beyond_the_zone_ends_the_episode_as_a_failure(env) -> None:
    _, info = env.reset(seed=0)
    env.unwrapped.do(block_x=info["variables"]["target_x"] + 3 * ramp.TARGET_HALF_WIDTH)
    _, _, terminated, _, info = env.step(HOLD)
    assert terminated and not info["is_success"]


def test_block_at_rest_short_of_the_zone_goes_on(env) -> None:
    env.reset(seed=0)
    _, _, terminated, truncated, info = env.step(HOLD)
    assert info["variables"]["block_vx"] == 0.0
    assert not terminated and not truncated


def test_leaving_the_valid_state_space_truncates_with_a_physics_error(env) -> None:
    env.reset(seed=0)
    env.unwrapped.do(block_x=1.6, block_vx=-15.0)
    obs, _, _, truncated, info = env.step(HOLD)
    assert truncated
    assert "block_x" in info["physics_error"] and "outside [1.6, 3.95]" in info["physics_error"]
    assert env.observation_space.contains(obs) and np.isfinite(obs).all()


def test_time_limit_is_the_registered_one_and_not_part_of_the_world() -> None:
    assert gym.make("CausalWorld-Ramp-v0").spec.max_episode_steps == 150
    env = gym.make("CausalWorld-Ramp-v0", max_episode_steps=20)
    env.reset(seed=0)
    env.unwrapped.do(ball_x=3.7, ball_y=0.5)  # the ball drops behind the block: nothing ends
    for step in range(1, 21):
        *_, terminated, truncated, _ = env.step(HOLD)
        assert not terminated
        assert truncated == (step == 20)
    rollout = env.unwrapped.counterfactual(np.zeros((50, 2)), from_step=5)
    assert len(rollout.rewards) == 50 and not rollout.truncated and not rollout.terminated


def test_ball_mass_matters_only_through_pushes_and_impacts(env) -> None:
    env.reset(seed=0)
    base = env.unwrapped
    speeds = {}
    for push in (0.0, 1.0):
        for mass in (0.8, 1.6):
            rollout = base.counterfactual(np.tile([0.0, push], (10, 1)), {"ball_mass": mass})
            assert rollout["ball_x"].max() < rollout["block_x"][0] - 0.3  # no impact yet
            speeds[push, mass] = np.hypot(rollout["ball_vx"][-1], rollout["ball_vy"][-1])
    assert speeds[0.0, 0.8] == speeds[0.0, 1.6]  # rolling under gravity: mass drops out
    assert speeds[1.0, 0.8] > speeds[1.0, 1.6] > speeds[0.0, 0.8]


def test_push_acts_only_while_the_ball_touches_the_ramp(env) -> None:
    env.reset(seed=1)
    base = env.unwrapped
    base.do(ball_x=3.0, ball_y=0.08)  # on the floor, far from the ramp
    calm = base.counterfactual(np.tile([0.0, 0.0], (5, 1)), from_step=0)
    pushed = base.counterfactual(np.tile([0.0, 1.0], (5, 1)), from_step=0)
    assert np.array_equal(calm["ball_vx"], pushed["ball_vx"])
    assert not ramp.ball_touches_ramp(base.values()["ramp_angle"], 3.0, 0.08)
    _, info = env.reset(seed=1)  # back on the ramp: the push now changes the ball's speed
    calm = base.counterfactual(np.tile([0.0, 0.0], (5, 1)))
    pushed = base.counterfactual(np.tile([0.0, 1.0], (5, 1)))
    assert pushed["ball_vx"][-1] > calm["ball_vx"][-1]
    start = info["variables"]
    assert ramp.ball_touches_ramp(start["ramp_angle"], start["ball_x"], start["ball_y"])


def test_ramp_turns_at_most_three_degrees_per_step(env) -> None:
    _, info = env.reset(seed=0, options={"interventions": {"ramp_angle": 20.0}})
    angles = [info["variables"]["ramp_angle"]]
    for _ in range(12):
        *_, info = env.step(np.array([1.0, 0.0]))  # toward 50 degrees
        angles.append(info["variables"]["ramp_angle"])
    steps = np.diff(angles)
    assert np.allclose(steps[:10], ramp.RAMP_MAX_TURN)
    assert angles[-1] == 50.0


def test_initial_ball_sits_on_the_ramp_at_any_intervened_angle(env) -> None:
    for angle in (10.0, 30.0, 50.0):
        _, info = env.reset(seed=2, options={"interventions": {"ramp_angle": angle}})
        values = info["variables"]
        x, y = ramp._point_above_ramp(angle, 0.0, 0.0)
        along = (values["ball_x"] - x) * -np.cos(np.radians(angle)) + (
            values["ball_y"] - y
        ) * np.sin(np.radians(angle))
        assert 0.8 <= along <= 1.0


def test_events_report_the_impact_and_the_wall(env) -> None:
    env.reset(seed=0)
    seen = set()
    for _ in range(60):
        *_, info = env.step(np.array([1.0, 1.0]))
        seen.update(info["events"])
    assert "ball_hit_block" in seen
    env.reset(seed=0)
    env.unwrapped.do(block_x=3.85, block_vx=5.0)  # 5 cm from the wall
    *_, info = env.step(HOLD)
    assert info["events"] == ("block_hit_wall",)


def test_only_the_balls_properties_and_gravity_vary_between_episodes(env) -> None:
    constants = {"block_mass": 0.7, "block_friction": 0.175, "ball_restitution": 0.4}
    train = ramp.RampEnv.property_ranges["train"]
    for task in ("train", "test", "ood", "surface"):
        drawn = set()
        for seed in range(5):
            env.reset(seed=seed, options={"task": task})
            properties = env.unwrapped.properties
            assert {name: properties[name] for name in constants} == constants
            drawn.add(properties["ball_mass"])
            if task == "ood":
                for name in ("ball_mass", "ball_friction", "gravity"):
                    low, high = train[name]
                    assert not low < properties[name] < high
        assert len(drawn) == 5


def test_a_push_weighs_the_ball(env) -> None:
    """One pushed step against the same step unpushed gives the ball's mass up to the push
    gain's noise (cut at +-2 sigma: gain in [0.8, 1.2]). The speed along the ramp alone would
    not: contact friction turns part of it into spin, by an amount that depends on the
    ball's friction. Its angular momentum about the contact point, m r (v - omega r / 2) for
    a disc, is what friction at that point leaves alone."""
    estimates, masses = [], []
    for task in ("train", "ood"):
        for seed in range(10):
            _, info = env.reset(seed=seed, options={"task": task})
            angle = info["variables"]["ramp_angle"]
            hold = (angle - 10.0) / 20.0 - 1.0  # turn toward the current angle: stay put
            calm = env.unwrapped.counterfactual(np.array([[hold, 0.0]]))
            pushed = env.unwrapped.counterfactual(np.array([[hold, 1.0]]))  # 0.25 N s
            change = _momentum_at_end(pushed) - _momentum_at_end(calm)
            estimates.append(0.25 / change)
            masses.append(env.unwrapped.properties["ball_mass"])
    ratio = np.array(estimates) / np.array(masses)
    assert ratio.min() >= 1 / 1.2 - 1e-6 and ratio.max() <= 1 / 0.8 + 1e-6
    assert np.corrcoef(estimates, masses)[0, 1] > 0.8


def _momentum_at_end(rollout) -> float:
    names = ("ramp_angle", "ball_vx", "ball_vy", "ball_angular_velocity")
    return ramp.contact_momentum(*(rollout[name][-1] for name in names))
