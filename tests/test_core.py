"""The conventions TextEnv gives every game, on a tiny counting game defined here."""

from __future__ import annotations

from typing import Any

import pytest
from gymnasium.error import ResetNeeded

from gem_gymnasium.core import EnvState, Outcome, TextEnv
from gem_gymnasium.parsing import parse_int


class CountTo(TextEnv[int]):
    """Say the numbers 1, 2, 3, ... in order; reaching `goal` wins; 0 loses."""

    def __init__(self, goal: int = 3, max_turns: int = 5, **kwargs: Any) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        self.goal = goal
        self.count = 0

    def _new_episode(self, options):
        self.count = int(self.np_random.integers(0, 1))

    def rules(self):
        return f"Count to {self.goal}."

    def describe_state(self):
        return f"Count: {self.count}"

    def parse_move(self, content):
        return parse_int(content)

    def play(self, move):
        if move == 0:
            return Outcome("Zero!", lost=True, reason="zero")
        if move != self.count + 1:
            return Outcome(f"{move} is not next.", valid=False)
        self.count = move
        return Outcome("Good.", reward=0.25, won=move == self.goal)

    def turn_limit_reward(self):
        return self.count / 10

    def sample_random_action(self):
        return f"\\boxed{{{self.count + 1}}}"


def test_reset_observation_and_info() -> None:
    obs, info = CountTo().reset(seed=0)
    assert obs.startswith("Count to 3.") and "Count: 0" in obs
    assert info == {"turn": 0, "max_turns": 5, "valid_action": True, "format_error": False}


def test_win_path_and_final_info() -> None:
    env = CountTo()
    env.reset(seed=0)
    rewards = [env.step(f"so \\boxed{{{n}}}")[1] for n in (1, 2)]
    obs, reward, terminated, truncated, info = env.step("\\boxed{3}")
    assert rewards == [0.25, 0.25] and reward == 0.25
    assert terminated and not truncated
    assert info["success"] is True and info["reason"] == "won" and "You won!" in obs


@pytest.mark.parametrize(
    ("action", "reward", "terminated", "valid", "format_error"),
    [
        ("no box", -0.1, True, False, True),
        ("\\boxed{two}", -0.1, True, False, True),
        ("\\boxed{5}", 0.0, False, False, False),
        ("\\boxed{0}", 0.0, True, True, False),
    ],
)
def test_step_outcomes(action, reward, terminated, valid, format_error) -> None:
    env = CountTo()
    env.reset(seed=0)
    _, r, term, trunc, info = env.step(action)
    assert (r, term, trunc) == (reward, terminated, False)
    assert info["valid_action"] is valid and info["format_error"] is format_error


def test_format_error_can_continue_with_custom_penalty() -> None:
    env = CountTo(format_error_reward=-0.5, end_on_format_error=False)
    env.reset(seed=0)
    obs, reward, terminated, _, info = env.step("oops")
    assert reward == -0.5 and not terminated and "Format error" in obs and info["format_error"]


def test_turn_limit_terminates_and_pays_turn_limit_reward() -> None:
    env = CountTo(goal=10, max_turns=2)
    env.reset(seed=0)
    env.step("\\boxed{1}")
    _, reward, terminated, truncated, info = env.step("\\boxed{2}")
    assert terminated and not truncated
    assert reward == pytest.approx(0.25 + 0.2)
    assert info["reason"] == "turn_limit" and info["success"] is False


def test_win_on_last_turn_is_a_win() -> None:
    env = CountTo(goal=1, max_turns=1)
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step("\\boxed{1}")
    assert terminated and info["success"] and info["reason"] == "won" and reward == 0.25


def test_step_after_end_needs_reset_and_type_errors() -> None:
    env = CountTo()
    with pytest.raises(ResetNeeded, match=r"CountTo: no episode has started; call reset\(\)"):
        env.step("\\boxed{1}")
    env.reset(seed=0)
    with pytest.raises(TypeError, match=r"CountTo takes str actions.*int"):
        env.step(1)
    env.step("\\boxed{0}")
    with pytest.raises(ResetNeeded, match=r"CountTo: the episode has ended; call reset\(\)"):
        env.step("\\boxed{1}")


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="max_turns"):
        CountTo(max_turns=0)
    with pytest.raises(TypeError, match="max_turns"):
        CountTo(max_turns=2.5)
    with pytest.raises(ValueError, match="render_mode"):
        CountTo(render_mode="rgb")
    assert CountTo(render_mode="rgb_array").render_mode == "rgb_array"


def test_render_modes(capsys: pytest.CaptureFixture[str]) -> None:
    assert CountTo().render() is None
    env = CountTo(render_mode="ansi")
    env.reset(seed=0)
    assert env.render() == "Count: 0"
    human = CountTo(render_mode="human")
    human.reset(seed=0)
    assert human.render() is None and "Count: 0" in capsys.readouterr().out
    env.close()
    env.close()  # idempotent



def test_rgb_array_falls_back_to_a_text_card_of_the_state() -> None:
    pytest.importorskip("PIL")
    import numpy as np

    env = CountTo(render_mode="rgb_array")
    before = env.render()  # before any reset: a card naming the env
    env.reset(seed=0)
    start = env.render()
    assert start.dtype == np.uint8 and start.shape[2] == 3 and start.shape == before.shape
    env.step("\\boxed{1}")
    assert not np.array_equal(env.render(), start)  # "Count: 1" is drawn, not "Count: 0"
    env.reset(seed=0)
    assert np.array_equal(env.render(), start)

def test_snapshot_branches_and_restores_rng() -> None:
    env = CountTo(goal=5)
    env.reset(seed=0)
    env.step("\\boxed{1}")
    state = env.get_state()
    assert isinstance(state, EnvState) and state.variables["count"] == 1
    first = [env.step("\\boxed{2}"), env.np_random.integers(1000)]
    env.set_state(state)
    assert env.turn == 1 and env.count == 1
    assert [env.step("\\boxed{2}"), env.np_random.integers(1000)] == first
    with pytest.raises(TypeError, match="EnvState"):
        env.set_state({"count": 3})


def test_snapshot_into_fresh_env() -> None:
    env = CountTo()
    env.reset(seed=0)
    env.step("\\boxed{1}")
    other = CountTo()
    other.set_state(env.get_state())
    assert other.step("\\boxed{2}") == env.step("\\boxed{2}")


class Echo(TextEnv[int]):
    """Any integer is an ordinary move: `play` returns its feedback as a plain str."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_turns=2, **kwargs)

    def _new_episode(self, options):
        self.secret = self.randint(1, 6)

    def rules(self):
        return "Say numbers."

    parse_move = staticmethod(parse_int)

    def play(self, move):
        return f"You said {move}."

    def sample_random_action(self):
        return "\\boxed{1}"


def test_play_may_return_feedback_str_for_an_ordinary_move() -> None:
    env = Echo()
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step("\\boxed{4}")
    assert obs.startswith("You said 4.") and reward == 0.0 and not terminated and not truncated
    assert info == {"turn": 1, "max_turns": 2, "valid_action": True, "format_error": False}
    _, reward, terminated, _, info = env.step("\\boxed{5}")  # the turn limit still applies
    assert terminated and reward == 0.0 and info["reason"] == "turn_limit" and not info["success"]


def test_randint_follows_single_random_calls_of_np_random() -> None:
    import numpy as np

    env = Echo()
    env.reset(seed=7)
    draws = [env.randint(0, 999) for _ in range(150)]  # crosses two block refills
    rng = np.random.default_rng(7)
    rng.random()  # reset(seed=7) drew the episode's secret first
    assert draws == [int(rng.random() * 1000) for _ in range(150)]
    assert all(1 <= env.randint(1, 6) <= 6 for _ in range(200))


def test_randint_block_is_dropped_on_reseed_and_kept_by_snapshots() -> None:
    import numpy as np

    env = Echo()
    env.reset(seed=1)
    first = [env.randint(0, 10**6) for _ in range(3)]
    env.reset(seed=1)  # a reseed must not serve draws left from the old generator
    assert [env.randint(0, 10**6) for _ in range(3)] == first
    env.np_random = np.random.default_rng(1)  # nor may a replaced generator
    env.randint(0, 1)  # the secret's draw that reset() made above
    assert [env.randint(0, 10**6) for _ in range(3)] == first
    state = env.get_state()
    ahead = [env.randint(0, 10**6) for _ in range(5)]
    env.set_state(state)
    assert [env.randint(0, 10**6) for _ in range(5)] == ahead
