"""``render_mode="rgb_array"``: the drawing helpers, every game's picture, and video recording.

Every registered id's frames are checked by ``test_conformance.py`` (``check_rgb_array``).
"""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import gem_gymnasium
from gem_gymnasium import rendering
from gem_gymnasium.core import TextEnv

pytest.importorskip("PIL")

GAME_IDS = sorted(i for i, info in gem_gymnasium.catalogue().items() if info.group == "game")


def test_text_card_has_a_fixed_size_and_is_deterministic() -> None:
    short = rendering.to_array(rendering.text_card("hello", title="T"))
    long = rendering.to_array(rendering.text_card("word " * 5000 + "\n" * 500, title="T"))
    assert short.shape == long.shape == (rendering.CARD_SIZE[1], rendering.CARD_SIZE[0], 3)
    assert short.dtype == np.uint8
    assert np.array_equal(short, rendering.to_array(rendering.text_card("hello", title="T")))
    assert not np.array_equal(short, rendering.to_array(rendering.text_card("hellO", title="T")))


def test_text_card_survives_hostile_text() -> None:
    for text in ("", "\x00\x1b[31m\r\t", "😀 ∑ \u202e\ud800", "x" * 100_000, "\n" * 10_000):
        frame = rendering.to_array(rendering.text_card(text))
        assert frame.shape[2] == 3


def test_grid_image_keeps_its_shape_and_rejects_overflow() -> None:
    small = rendering.grid_image([[("A", "green")]], shape=(3, 4), caption="c")
    full = rendering.grid_image([[("A", "green")] * 4] * 3, shape=(3, 4), caption="c")
    assert small.size == full.size
    assert all(side % 2 == 0 for side in full.size)  # video encoders need even sides
    with pytest.raises(ValueError, match="do not fit"):
        rendering.grid_image([[("A", "green")] * 5], shape=(3, 4))


def _frame_size_of_episode(env: gym.Env, seed: int, steps: int = 30) -> set[tuple[int, ...]]:
    env.reset(seed=seed)
    shapes = {env.render().shape}
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(env.unwrapped.sample_random_action())
        shapes.add(env.render().shape)
        if terminated or truncated:
            break
    return shapes


@pytest.mark.parametrize("env_id", GAME_IDS)
def test_every_game_draws_its_state_in_one_frame_size(env_id: str) -> None:
    env = gym.make(env_id, render_mode="rgb_array")
    try:
        env.reset(seed=0)
        assert type(env.unwrapped).draw is not TextEnv.draw, f"{env_id} has no picture"
        assert env.unwrapped.draw() is not None
        for seed in range(3):
            shapes = _frame_size_of_episode(env, seed)
            assert len(shapes) == 1, f"{env_id}: frame size changes within an episode: {shapes}"
    finally:
        env.close()


def test_the_frame_follows_the_state() -> None:
    env = gym.make("gem/TowerOfHanoi-v0", render_mode="rgb_array")
    env.reset(seed=0)
    before = env.render()
    snapshot = env.unwrapped.get_state()
    env.step(env.unwrapped.sample_random_action())
    after = env.render()
    assert not np.array_equal(before, after)
    env.unwrapped.set_state(snapshot)
    assert np.array_equal(env.render(), before)


def test_multiagent_boards_are_drawn() -> None:
    pytest.importorskip("pettingzoo")
    from gem_gymnasium.envs.multiagent import tictactoe

    game = tictactoe.env(render_mode="rgb_array")
    game.reset(seed=0)
    empty = game.render()
    game.step("\\boxed{5}")
    assert game.render().shape == empty.shape and not np.array_equal(game.render(), empty)
    single = gym.make("gem/TicTacToe-vsRandom-v0", render_mode="rgb_array")
    single.reset(seed=0)
    assert single.unwrapped.draw() is not None


def test_without_pillow_rendering_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['PIL'] = None\n"
        "import gymnasium as gym, gem_gymnasium\n"
        "env = gym.make('gem/Sudoku-v0', render_mode='rgb_array'); env.reset(seed=0)\n"
        "try:\n    env.render()\nexcept ImportError as error:\n    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "[render]" in out.stdout and "'PIL'" in out.stdout


def test_record_video_writes_an_episode(tmp_path) -> None:
    pytest.importorskip("moviepy")
    from gymnasium.wrappers import RecordVideo

    env = RecordVideo(
        gym.make("gem/Sokoban-v0", render_mode="rgb_array"),
        video_folder=str(tmp_path / "videos"),
        episode_trigger=lambda episode: True,
        disable_logger=True,
    )
    env.reset(seed=0)
    steps = 0
    for steps in range(1, 50):  # noqa: B007 (the count is asserted below)
        _, _, terminated, truncated, _ = env.step(env.unwrapped.sample_random_action())
        if terminated or truncated:
            break
    env.close()
    [video] = (tmp_path / "videos").glob("*.mp4")
    from moviepy import VideoFileClip

    with VideoFileClip(str(video)) as clip:
        frame = clip.get_frame(0)
        assert clip.duration > 0
        assert frame.shape == env.unwrapped.render().shape  # the recorded size is the frame's
    assert steps >= 1


def test_sb3_make_vec_env_accepts_a_plain_id() -> None:
    """SB3's make_vec_env makes string ids with render_mode="rgb_array" by default."""
    pytest.importorskip("stable_baselines3")
    from stable_baselines3.common.env_util import make_vec_env

    from gem_gymnasium.adapters.sb3 import DiscreteActions, HashedNgramObservation

    def adapt(env: gym.Env) -> gym.Env:
        actions = [f"\\boxed{{{n}}}" for n in range(1, 11)]
        return HashedNgramObservation(DiscreteActions(env, actions), n_features=64)

    venv = make_vec_env("gem/GuessTheNumber-Easy-v0", n_envs=2, seed=0, wrapper_class=adapt)
    try:
        assert venv.reset().shape == (2, 64)
        frames = venv.get_images()
        assert len(frames) == 2 and frames[0].dtype == np.uint8 and frames[0].ndim == 3
        venv.step(np.array([3, 4]))
    finally:
        venv.close()
