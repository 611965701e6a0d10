"""GEM's ``env.answer`` is the reference answer; the agent's answer has its own name."""

from __future__ import annotations

import gymnasium as gym
import pytest

import gem_gymnasium  # noqa: F401  (registers the ids)


@pytest.mark.parametrize("env_id", ["gem/Math-v0", "gem/QA-v0", "gem/RG-BasicArithmetic-v0"])
def test_answer_is_the_gold_answer_and_agent_answer_the_agents(env_id: str) -> None:
    env = gym.make(env_id)
    task = env.unwrapped
    assert task.answer is None and task.agent_answer is None  # before the first reset
    env.reset(seed=0)
    gold = task.item[task.fields["answer"]]
    assert task.answer == gold and task.answer is not None
    env.step("<answer>not it</answer> \\boxed{not it}")
    assert task.agent_answer == "not it"
    assert task.answer == gold
    env.reset(seed=1)
    assert task.agent_answer is None and task.answer == task.item[task.fields["answer"]]
    env.close()


def test_a_task_without_an_answer_field_has_none() -> None:
    env = gym.make("gem/Code-v0")
    env.reset(seed=0)
    if "answer" in env.unwrapped.fields:
        pytest.skip("this code data set carries an answer field")
    assert env.unwrapped.answer is None
    env.close()
