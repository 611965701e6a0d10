"""Hostile answers cannot stall a step: graders stop at a sub-second budget, workers stay warm."""

from __future__ import annotations

import gymnasium as gym
import pytest

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.envs.tasks import reasoning_gym_env
from gem_gymnasium.envs.tasks.grading_pool import (
    GRADE_BUDGET_S,
    OverBudget,
    shared_pool,
    time_budget,
)
from gem_gymnasium.envs.tasks.math_grading import grade_math

pytestmark = pytest.mark.timeout(120)

#: math-verify hands these to SymPy, which works on them for seconds.
SLOW_FOR_SYMPY = [r"\sum_{i=1}^{10^{100}} i", r"\prod_{i=1}^{10^{100}} i"]


def test_the_budget_leaves_a_step_under_half_a_second() -> None:
    assert 0 < GRADE_BUDGET_S < 0.5


def test_time_budget_interrupts_python_code_and_disarms() -> None:
    with pytest.raises(OverBudget), time_budget(0.05):
        while True:
            pass
    with time_budget(0.05):  # finishes in time: nothing raised, later
        pass
    total = sum(range(10**6))  # would be interrupted if the timer were still armed
    assert total > 0


@pytest.mark.parametrize("answer", SLOW_FOR_SYMPY)
def test_math_verify_stops_at_the_budget_and_keeps_its_worker(answer: str) -> None:
    pytest.importorskip("math_verify")
    assert grade_math(r"\sqrt{4}", "2", timeout=30.0).method == "math_verify"  # warm workers
    pool = shared_pool()
    workers = {worker.process.pid for worker in pool._idle}
    verdict = grade_math(answer, "5", timeout=30.0)
    assert (verdict.correct, verdict.method) == (False, "timeout")
    assert {worker.process.pid for worker in pool._idle} == workers, "a worker was replaced"
    assert grade_math(r"\frac{1}{2}", "0.5", timeout=30.0).correct


def test_math_env_grades_a_hostile_answer_as_a_timeout() -> None:
    pytest.importorskip("math_verify")
    env = gym.make("gem/Math-Procedural-v0")
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(rf"\boxed{{{SLOW_FOR_SYMPY[0]}}}")
    assert terminated and reward == 0.0 and info["grade_method"] == "timeout"
    env.close()


class _SlowScorer:
    def score_answer(self, answer: str, entry: dict) -> float:
        while True:  # a scorer stuck in Python code on a hostile answer
            pass


def test_reasoning_gym_scorer_stops_at_the_budget(monkeypatch) -> None:
    monkeypatch.setattr(reasoning_gym_env, "build_dataset", lambda spec: _SlowScorer())
    spec = ("basic_arithmetic", 10, 0, "{}")
    assert reasoning_gym_env.score_answer(spec, "1" * 1000, {}, 0.1) is None
