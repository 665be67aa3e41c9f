"""The environment contract (DESIGN.md), checked on every registered scene."""

from __future__ import annotations

import copy as copy_module
import itertools
import pickle
import subprocess
import sys
import warnings

import gymnasium as gym
import imageio_ffmpeg
import networkx as nx
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import SubprocVecEnv

import causal_gym
from causal_gym import tasks, verify
from causal_gym.envs.base import OBS_MODES

SCENES = sorted(causal_gym.SCENES)


def make(scene: str, **kwargs) -> gym.Env:
    return gym.make(scene, **kwargs)


def identical(a: dict, b: dict) -> bool:
    """Same keys and bit-identical values (NaN equal to NaN)."""
    return list(a) == list(b) and np.array_equal(
        np.array(list(a.values()), dtype=float),
        np.array(list(b.values()), dtype=float),
        equal_nan=True,
    )


def random_episode(env: gym.Env, seed: int, steps: int) -> tuple[list[np.ndarray], list[dict]]:
    """Play random actions from reset(seed); return the actions and every step's variables."""
    rng = np.random.default_rng(seed)
    _, info = env.reset(seed=seed)
    actions, rows = [], [dict(info["variables"])]
    for _ in range(steps):
        actions.append(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))
        _, _, terminated, truncated, info = env.step(actions[-1])
        rows.append(dict(info["variables"]))
        if terminated or truncated:
            break
    return actions, rows


# ----- Gymnasium / SB3 compatibility -------------------------------------------------------


@pytest.mark.parametrize("scene", SCENES)
@pytest.mark.parametrize("obs_mode", OBS_MODES)
def test_env_checkers_pass_without_warnings(scene: str, obs_mode: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gymnasium_check_env(make(scene, obs_mode=obs_mode, render_mode="rgb_array").unwrapped)
        sb3_check_env(make(scene, obs_mode=obs_mode), warn=True)


@pytest.mark.parametrize("scene", SCENES)
def test_observation_modes_match_their_spaces(scene: str) -> None:
    for obs_mode in OBS_MODES:
        env = make(scene, obs_mode=obs_mode)
        obs, _ = env.reset(seed=3)
        assert env.observation_space.contains(obs)
        for _ in range(5):
            obs, *_ = env.step(env.action_space.sample())
            assert env.observation_space.contains(obs)
    env = make(scene, obs_mode="dict")
    obs, _ = env.reset(seed=3)
    assert obs["pixels"].shape == (84, 84, 3) and obs["pixels"].dtype == np.uint8
    assert obs["state"].shape == (len(env.unwrapped.state_variables),)


@pytest.mark.parametrize("scene", SCENES)
def test_make_by_module_path_in_a_fresh_interpreter(scene: str) -> None:
    code = (
        "import sys, gymnasium as gym\n"
        f"env = gym.make('causal_gym:{scene}')\n"
        "obs, _ = env.reset(seed=0)\n"
        "env.step(env.action_space.sample())\n"
        "assert 'torch' not in sys.modules, 'causal_gym imported torch'\n"
        "print(obs.shape)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"({len(make(scene).unwrapped.state_variables)},)"


# ----- Graphs ------------------------------------------------------------------------------


@pytest.mark.parametrize("scene", SCENES)
def test_graphs_have_every_variable_with_its_role(scene: str) -> None:
    env = make(scene).unwrapped
    roles = nx.get_node_attributes(env.causal_graph, "role")
    assert set(roles) == set(env.variable_names)
    assert {roles[a] for a in env.action_variables} == {"action"}
    assert set(env.dynamics_graph) == set(env.variable_names) - set(env.outcome_variables)
    for x, y in env.dynamics_graph.edges:
        assert roles[y] == "state"
        if x != y:
            assert env.causal_graph.has_edge(x, y)
    with pytest.raises(nx.NetworkXError):
        env.causal_graph.add_edge("a", "b")  # frozen: users cannot corrupt the truth


@pytest.mark.parametrize("scene", SCENES)
def test_dynamics_graph_is_what_the_simulator_does(scene: str) -> None:
    env = make(scene).unwrapped
    starts = verify.episode_snapshots(env, seeds=range(3), steps=60, every=5)
    check = verify.check_dynamics_graph(env, starts, grid=3)
    assert check.faithful, check.report()


@pytest.mark.parametrize("scene", SCENES)
def test_outcome_edges_are_what_the_simulator_does(scene: str) -> None:
    env = make(scene).unwrapped
    check = verify.check_outcome_edges(env, seeds=(0, 1), base_points=12, grid=15)
    assert check.faithful, check.report()


@pytest.mark.parametrize("scene", SCENES)
@pytest.mark.parametrize("from_step", [0, 20])
def test_interventions_leave_non_descendants_bit_identical(scene: str, from_step: int) -> None:
    env = make(scene).unwrapped
    changes = verify.non_descendant_changes(env, seeds=range(4), steps=90, from_step=from_step)
    assert changes == []


@pytest.mark.parametrize("scene", SCENES)
def test_graph_check_catches_a_wrong_graph(scene: str) -> None:
    """The faithfulness check must fail on a scene whose declared graph is off by two edges."""
    base = type(make(scene).unwrapped)
    parents = {y: list(ps) for y, ps in base.state_parents.items()}
    dropped_child = next(y for y, ps in parents.items() if any(p != y for p in ps))
    dropped = next(p for p in parents[dropped_child] if p != dropped_child)
    parents[dropped_child].remove(dropped)
    roots = [p for p in base.property_variables if not base._dynamics_graph.out_degree(p)]
    spurious_parent = roots[0] if roots else base.action_variables[0]
    spurious_child = next(y for y, ps in base.state_parents.items() if spurious_parent not in ps)
    parents[spurious_child].append(spurious_parent)
    wrong = type(
        "WrongGraph",
        (base,),
        {
            "variables": base.variables,
            "state_parents": {y: tuple(ps) for y, ps in parents.items()},
        },
    )
    env = wrong()
    starts = verify.episode_snapshots(env, seeds=range(2), steps=60, every=5)
    check = verify.check_dynamics_graph(env, starts, grid=3)
    assert (spurious_parent, spurious_child) in check.unshown
    assert (dropped, dropped_child) in check.missing


@pytest.mark.parametrize("scene", SCENES)
def test_outcome_check_catches_a_missing_outcome_edge(scene: str) -> None:
    base = type(make(scene).unwrapped)
    dropped = base.outcome_parents["success"][0]
    parents = {**base.outcome_parents, "success": base.outcome_parents["success"][1:]}
    wrong = type(
        "WrongOutcomes", (base,), {"variables": base.variables, "outcome_parents": parents}
    )
    check = verify.check_outcome_edges(wrong(), seeds=(0,), base_points=6, grid=9)
    assert check.missing == {(dropped, "success")}


# ----- Counterfactuals and snapshots ---------------------------------------------------------


@pytest.mark.parametrize("scene", SCENES)
def test_replaying_factual_actions_is_bit_exact(scene: str) -> None:
    env = make(scene)
    base = env.unwrapped
    for seed in range(3):
        actions, rows = random_episode(env, seed, steps=100)
        factual = np.array([[row[n] for n in base.variable_names] for row in rows])
        replay = base.counterfactual(actions)
        assert np.array_equal(replay.values, factual, equal_nan=True)
        snapshot = base.snapshot()
        env.reset(seed=seed + 100)
        base.restore(snapshot)
        restored = np.array([base.values()[n] for n in base.variable_names])
        assert np.array_equal(restored, factual[-1], equal_nan=True)


@pytest.mark.parametrize("scene", SCENES)
def test_restore_then_continue_matches_the_uninterrupted_episode(scene: str) -> None:
    env = make(scene)
    base = env.unwrapped
    actions, rows = random_episode(env, seed=7, steps=60)
    half = len(actions) // 2
    assert half >= 2
    env.reset(seed=7)
    for action in actions[:half]:
        env.step(action)
    middle = base.snapshot()
    base.do(**{base.property_variables[0]: base.properties[base.property_variables[0]]})
    base.restore(middle)
    for action in actions[half:]:
        _, _, _, _, info = env.step(action)
    assert identical(dict(info["variables"]), rows[-1])


@pytest.mark.parametrize("scene", SCENES)
def test_a_changed_action_leaves_earlier_steps_identical(scene: str) -> None:
    env = make(scene)
    base = env.unwrapped
    differs = 0
    for seed in range(3):
        actions, _ = random_episode(env, seed, steps=40)
        factual = base.counterfactual(actions)
        for t in sorted({0, len(actions) // 3, 2 * len(actions) // 3}):
            changed = np.array(actions)
            changed[t] = -changed[t]
            other = base.counterfactual(changed)
            assert np.array_equal(other.values[: t + 1], factual.values[: t + 1], equal_nan=True)
            differs += not np.array_equal(other.values, factual.values, equal_nan=True)
    assert differs > 0


@pytest.mark.parametrize("scene", SCENES)
def test_counterfactual_from_now_starts_from_the_current_state(scene: str) -> None:
    env = make(scene)
    base = env.unwrapped
    actions, _ = random_episode(env, seed=4, steps=20)
    state = base.state_variables[0]
    var = base.variable(state)
    base.do(**{state: (var.low + var.high) / 2})
    now = base.values()
    rollout = base.counterfactual(np.zeros((3, len(base.action_variables))), from_step=len(actions))
    assert identical(dict(zip(rollout.variables, rollout.values[0].tolist())), now)


@pytest.mark.parametrize("scene", SCENES)
def test_counterfactual_does_not_disturb_the_factual_episode(scene: str) -> None:
    env = make(scene)
    base = env.unwrapped
    actions, _ = random_episode(env, seed=2, steps=30)
    before = base.values()
    prop = base.property_variables[0]
    base.counterfactual(
        np.ones((10, len(base.action_variables))),
        interventions={prop: base.variable(prop).high},
        from_step=5,
    )
    assert identical(base.values(), before)
    assert base.elapsed_steps == len(actions)


@pytest.mark.parametrize("scene", SCENES)
def test_pickled_and_deep_copied_envs_continue_bit_for_bit(scene: str) -> None:
    fresh = pickle.loads(pickle.dumps(make(scene)))  # never reset: still usable
    fresh.reset(seed=1)
    fresh.step(fresh.action_space.sample())
    env = make(scene)
    random_episode(env, seed=9, steps=15)
    copies = [pickle.loads(pickle.dumps(env)), copy_module.deepcopy(env)]
    rng = np.random.default_rng(0)
    for _ in range(10):
        action = rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
        mine = env.step(action)
        for other in copies:
            theirs = other.step(action)
            assert np.array_equal(mine[0], theirs[0]) and mine[1:4] == theirs[1:4]
            assert identical(dict(mine[4]["variables"]), dict(theirs[4]["variables"]))
    first = env.reset()[0]
    for other in copies:
        assert np.array_equal(other.reset()[0], first)  # the seeding stream travelled too


@pytest.mark.parametrize("scene", SCENES)
def test_vector_envs_in_subprocesses_step_and_answer_counterfactuals(scene: str) -> None:
    single = make(scene)
    single.reset(seed=0)
    single.step(np.zeros(single.action_space.shape, dtype=np.float32))
    expected = single.unwrapped.counterfactual(np.ones((5, single.action_space.shape[0])))
    plan = np.ones((5, single.action_space.shape[0]))
    zeros = np.zeros((2, *single.action_space.shape), dtype=np.float32)

    envs = gym.make_vec(scene, num_envs=2, vectorization_mode="async")
    envs.reset(seed=[0, 1])
    envs.step(zeros)
    assert [s.step for s in envs.call("snapshot")] == [1, 1]
    rollouts = envs.call("counterfactual", plan)
    envs.close()
    assert np.array_equal(rollouts[0].values, expected.values, equal_nan=True)

    vec = make_vec_env(f"causal_gym:{scene}", n_envs=2, vec_env_cls=SubprocVecEnv, seed=0)
    vec.reset()
    vec.step(zeros)
    assert [s.step for s in vec.env_method("snapshot")] == [1, 1]
    assert len(vec.env_method("counterfactual", plan, indices=[0])[0].rewards) == 5
    vec.close()


@pytest.mark.parametrize("scene", SCENES)
def test_dynamics_noise_depends_on_the_seed_only(scene: str) -> None:
    env = make(scene)
    base = env.unwrapped
    noise = []
    for sign in (1.0, -1.0):
        env.reset(seed=11)
        for _ in range(30):
            env.step(sign * np.ones(env.action_space.shape, dtype=np.float32))
        noise.append(np.array(base._noise[:30]))
    assert np.array_equal(noise[0], noise[1])


# ----- Seeding and task splits -----------------------------------------------------------------


@pytest.mark.parametrize("scene", SCENES)
def test_same_seed_same_episode_different_seed_different_task(scene: str) -> None:
    env = make(scene)
    _, first = random_episode(env, seed=5, steps=40)
    _, again = random_episode(env, seed=5, steps=40)
    assert len(first) == len(again)
    assert all(identical(a, b) for a, b in zip(first, again))
    properties = env.unwrapped.property_variables
    seen = set()
    for seed in range(5):
        env.reset(seed=seed)
        seen.add(tuple(env.unwrapped.properties[p] for p in properties))
    assert len(seen) == 5
    env.reset(seed=5)
    after_seed = dict(env.unwrapped.properties)
    env.reset()
    assert env.unwrapped.properties != after_seed


@pytest.mark.parametrize("scene", SCENES)
def test_task_splits(scene: str) -> None:
    cls = type(make(scene).unwrapped)
    by_task = {}
    for name, spec in tasks.TASKS.items():
        env = make(scene, task=name)
        env.reset(seed=0)
        by_task[name] = dict(env.unwrapped.properties)
        for prop, value in by_task[name].items():
            low, high = cls.property_ranges[spec.ranges][prop]
            assert low <= value <= high
    assert by_task["train"] != by_task["test"] == by_task["surface"]
    env = make(scene)
    env.reset(seed=0, options={"task": "ood"})
    assert env.unwrapped.properties == by_task["ood"]


@pytest.mark.parametrize("scene", SCENES)
def test_surface_shift_changes_pixels_and_nothing_else(scene: str) -> None:
    runs = {}
    for name in ("test", "surface"):
        env = make(scene, task=name, obs_mode="dict")
        rng = np.random.default_rng(0)
        obs, _ = env.reset(seed=4)
        states, frames = [obs["state"]], [obs["pixels"]]
        for _ in range(40):
            obs, *_ = env.step(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))
            states.append(obs["state"])
            frames.append(obs["pixels"])
        runs[name] = (np.array(states), np.array(frames))
    assert np.array_equal(runs["test"][0], runs["surface"][0])
    changed = (runs["test"][1] != runs["surface"][1]).any(axis=-1).mean(axis=(1, 2))
    assert (changed > 0.5).all()  # most pixels of every frame look different
    env = make(scene, render_mode="rgb_array")
    env.reset(seed=4, options={"task": "surface"})
    shifted = env.render()
    env.reset(seed=4, options={"task": "test"})  # and back: the palette follows the task
    plain = make(scene, render_mode="rgb_array", task="test")
    plain.reset(seed=4)
    assert np.array_equal(env.render(), plain.render())
    assert not np.array_equal(shifted, plain.render())


# ----- Interventions and bad input --------------------------------------------------------


@pytest.mark.parametrize("scene", SCENES)
def test_do_sets_values_and_reset_interventions_fix_the_start(scene: str) -> None:
    env = make(scene)
    base = env.unwrapped
    prop = base.property_variables[0]
    state = base.state_variables[0]
    var_p, var_s = base.variable(prop), base.variable(state)
    mid_p, mid_s = (var_p.low + var_p.high) / 2, (var_s.low + var_s.high) / 2
    _, info = env.reset(seed=1, options={"interventions": {prop: mid_p, state: mid_s}})
    assert info["variables"][prop] == mid_p and info["variables"][state] == mid_s
    env.step(env.action_space.sample())
    info = base.do(**{prop: var_p.high})
    assert info["variables"][prop] == var_p.high == base.values()[prop]
    env.step(env.action_space.sample())
    assert base.values()[prop] == var_p.high  # a property keeps its value


def _still_usable(env: gym.Env) -> None:
    obs, *_ = env.step(np.zeros(env.action_space.shape, dtype=np.float32))
    assert env.observation_space.contains(obs)


@pytest.mark.parametrize("scene", SCENES)
def test_bad_actions_raise_and_leave_the_env_usable(scene: str) -> None:
    env = make(scene)
    env.reset(seed=0)
    k = env.action_space.shape[0]
    for bad in (np.full(k, np.nan), np.full(k, np.inf), np.zeros(k + 1), np.zeros((2, k)), "left"):
        with pytest.raises(ValueError, match=rf"shape \({k},\) in \[-1, 1\]"):
            env.step(bad)
        _still_usable(env)
    _, _, _, _, info = env.step(np.full(k, 7.0))
    assert info["action_clipped"] is True
    first_action = env.unwrapped.action_variables[0]
    assert info["variables"][first_action] == env.unwrapped.variable(first_action).high
    _, _, _, _, info = env.step(np.zeros(k))
    assert info["action_clipped"] is False


@pytest.mark.parametrize("scene", SCENES)
def test_bad_interventions_raise_and_change_nothing(scene: str) -> None:
    env = make(scene)
    base = env.unwrapped
    env.reset(seed=0)
    env.step(env.action_space.sample())
    before, snapshot = base.values(), base.snapshot()
    prop = base.property_variables[0]
    var = base.variable(prop)
    cases = [
        ({"no_such_variable": 1.0}, "intervenable variables are"),
        ({prop: float("nan")}, "must be finite"),
        ({prop: var.high + 1.0}, r"out of range: valid is \["),
        ({prop: "heavy"}, "must be a number"),
        ({base.action_variables[0]: 0.0}, r"set it through step\(action\)"),
        ({base.outcome_variables[0]: 0.0}, "computed from the state"),
        ({prop: (var.low + var.high) / 2, "no_such_variable": 1.0}, "intervenable variables"),
    ]
    for values, message in cases:
        with pytest.raises(ValueError, match=message):
            base.do(**values)
        assert identical(base.values(), before)
        assert base.snapshot().interventions == snapshot.interventions
        with pytest.raises(ValueError, match=message):
            env.reset(seed=0, options={"interventions": values})
        base.restore(snapshot)
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(options={"intervention": {}})
    with pytest.raises(
        ValueError, match=r"task must be one of \('train', 'test', 'ood', 'surface'\)"
    ):
        env.reset(options={"task": "validation"})
    with pytest.raises(ValueError, match="from_step must be an int"):
        base.counterfactual(np.zeros((3, env.action_space.shape[0])), from_step=10**6)
    with pytest.raises(ValueError, match="actions must have shape"):
        base.counterfactual(np.zeros(3))
    with pytest.raises(ValueError, match="NaN or inf"):
        base.counterfactual(np.full((2, env.action_space.shape[0]), np.nan))
    _still_usable(env)


@pytest.mark.filterwarnings("ignore:.*render_mode='ansi'")
@pytest.mark.parametrize("scene", SCENES)
def test_bad_constructor_arguments_name_the_valid_values(scene: str) -> None:
    with pytest.raises(ValueError, match="obs_mode must be one of"):
        make(scene, obs_mode="rgb")
    with pytest.raises(ValueError, match="render_mode must be None or one of"):
        make(scene, render_mode="ansi")
    with pytest.raises(ValueError, match="task must be one of"):
        make(scene, task="validation")
    with pytest.raises(gym.error.ResetNeeded):
        make(scene).unwrapped.do()
    with pytest.raises(KeyError, match="variables are"):
        make(scene).unwrapped.variable("no_such_variable")


@pytest.mark.parametrize("scene", SCENES)
def test_info_carries_success_variables_and_events(scene: str) -> None:
    env = make(scene)
    _, info = env.reset(seed=0)
    assert set(info) >= {"is_success", "variables", "events", "action_clipped"}
    assert list(info["variables"]) == list(env.unwrapped.variable_names)
    assert info["is_success"] is (info["variables"]["success"] == 1.0)
    declared = type(env.unwrapped).event_names
    module_doc = sys.modules[type(env.unwrapped).__module__].__doc__
    assert declared and all(name in module_doc for name in declared)
    for seed in range(3):
        env.reset(seed=seed)
        for _ in range(80):
            *_, info = env.step(env.action_space.sample())
            assert set(info["events"]) <= set(declared)  # each scene's tests provoke its events


# ----- Rendering and video -----------------------------------------------------------------


@pytest.mark.parametrize("scene", SCENES)
def test_record_video_writes_a_playable_mp4(scene: str, tmp_path) -> None:
    folder = tmp_path / "videos"
    env = gym.wrappers.RecordVideo(
        make(scene, render_mode="rgb_array"),
        str(folder),
        episode_trigger=lambda _: True,
        disable_logger=True,
    )
    env.reset(seed=0)
    steps = 0
    for _ in range(45):
        steps += 1
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            break
    env.close()
    videos = sorted(folder.glob("*.mp4"))
    assert len(videos) == 1
    reader = imageio_ffmpeg.read_frames(str(videos[0]))
    width, height = next(reader)["size"]
    frames = [np.frombuffer(frame, np.uint8).reshape(height, width, 3) for frame in reader]
    # RecordVideo captures the reset frame and one per step; moviepy 2.2.1's writer drops the
    # last frame of many clips (measured at 30 fps: 7 -> 6, 25 -> 24, 46 -> 46 frames).
    assert len(frames) in (steps, steps + 1)
    assert frames[0].std() > 0  # a picture, not a blank
    assert env.metadata["render_fps"] == 30


@pytest.mark.parametrize("scene", SCENES)
def test_velocities_are_the_rates_of_their_positions(scene: str) -> None:
    env = make(scene).unwrapped
    assert env.velocities, "every scene has a moving body"
    errors = []
    for name, rate in env.velocities.items():
        per_second = 180 / np.pi if env.variable(rate).unit == "rad/s" else 1.0
        for seed in range(3):
            _, rows = random_episode(env, seed, 40)
            for before, after in itertools.pairwise(rows):
                moved = (after[name] - before[name]) * 30  # one control step is 1/30 s
                mean_rate = (before[rate] + after[rate]) / 2 * per_second
                speed = max(abs(before[rate]), abs(after[rate])) * per_second
                if speed > 0.05 * per_second:
                    errors.append(abs(moved - mean_rate) / speed)
    # Impacts change a velocity within a step, so single steps can be far off; the typical
    # step is not (a rate in the wrong unit, deg against rad/s, is off by a factor of 57).
    assert errors and np.median(errors) < 0.05, (len(errors), np.median(errors))


def test_motion_frame_moves_the_sled_by_its_speed_and_changes_nothing() -> None:
    env = make("CausalWorld-Tilt-v0", obs_mode="dict", image_size=(64, 64)).unwrapped
    twin = make("CausalWorld-Tilt-v0").unwrapped
    with pytest.raises(gym.error.ResetNeeded):
        env.motion_frame(0.5)
    obs, info = env.reset(seed=3)
    twin.reset(seed=3)
    assert np.array_equal(env.motion_frame(0.0), obs["pixels"])
    moved = env.motion_frame(0.75)
    sled = np.array(env.colors["sled"])

    def sled_columns(image: np.ndarray) -> np.ndarray:
        return np.nonzero((image == sled).all(axis=-1).any(axis=0))[0]

    shift_px = sled_columns(moved).mean() - sled_columns(obs["pixels"]).mean()
    shift_m = info["variables"]["sled_vx"] * 0.75
    assert shift_px == pytest.approx(shift_m * 64 / (env.view[2] - env.view[0]), abs=1.0)
    # The ball is at rest: outside the sled's rows the two frames are the same.
    rows = np.nonzero((obs["pixels"] == sled).all(axis=-1).any(axis=1))[0]
    others = np.setdiff1d(np.arange(64), rows)
    assert np.array_equal(moved[others], obs["pixels"][others])
    assert identical(dict(env.values()), dict(twin.values()))
    action = np.array([0.3], dtype=np.float32)
    assert np.array_equal(env.step(action)[0]["state"], twin.step(action)[0])
    env.motion_frame(100.0)  # carried out of the view: cut off, no error
    for bad in (float("nan"), float("inf"), "1", True):
        with pytest.raises(ValueError, match="seconds must be a finite number"):
            env.motion_frame(bad)


def test_velocities_must_pair_a_position_with_its_rate() -> None:
    from causal_gym.envs.tilt import TiltEnv

    for velocities, problem in (
        ({"sled_x": "ball_angular_velocity"}, "a rate pairs m with m/s"),
        ({"sled_x": "brake"}, "not a state variable"),
    ):
        with pytest.raises(TypeError, match=problem):
            type("Broken", (TiltEnv,), {"variables": TiltEnv.variables, "velocities": velocities})
