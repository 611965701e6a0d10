"""The README's multi-agent claims match what the code does."""

from __future__ import annotations

import inspect
from pathlib import Path

import gymnasium as gym
import pytest

import gem_gymnasium  # noqa: F401  (registers the ids)

README = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text().split())


def test_single_seat_views_do_not_end_on_a_format_error_and_the_readme_says_so() -> None:
    assert "single-seat views of the multi-agent games" in README
    assert "default to `end_on_format_error=False`" in README
    env = gym.make("gem/TicTacToe-vsRandom-v0")
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step("no box here")
    assert info["format_error"] and not terminated and not truncated and reward < 0
    env.close()


def test_the_readme_says_exactly_which_api_test_check_differs() -> None:
    pytest.importorskip("pettingzoo")
    from gem_gymnasium.envs.multiagent import checks

    assert "passes PettingZoo's API tests" not in README  # the unqualified claim
    assert "`gem_gymnasium.envs.multiagent.checks.text_api_test`" in README
    assert "asserts `observation_space.dtype == observation.dtype`" in README
    # ... which is the one function text_api_test replaces.
    assert "_test_observation_space_compatibility" in inspect.getsource(checks.text_api_test)
    for test in ("seed_test", "parallel_api_test", "parallel_seed_test", "render_test"):
        assert f"`{test}`" in README


def test_the_readme_documents_the_action_mask() -> None:
    assert 'info["action_mask"]' in README and "TerminateIllegalWrapper" in README
