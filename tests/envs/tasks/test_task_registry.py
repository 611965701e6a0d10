"""Every task id is registered, aliased as in GEM, and runs offline; reasoning-gym is complete."""

from __future__ import annotations

import math

import gymnasium as gym
import pytest

import gem_gymnasium
from gem_gymnasium.registration import REASONING_GYM_TASKS, TASKS, resolve_id, rg_preset_name

TASK_IDS = [family.env_id(preset) for family in TASKS for preset in family.presets]
RG_IDS = {f"gem/RG-{rg_preset_name(task)}-v0": task for task in REASONING_GYM_TASKS}

# GEM 0.1.0's dataset ids (its registry, minus games and the image-based math:Geometry3K).
GEM_TASK_ALIASES = [
    *("math:ASDiv2K", "math:GSM8K", "math:Math12K", "math:Math8K-3to5", "math:Orz57K"),
    *("math:DeepScaleR40K", "code:CodeContest", "code:Taco8k", "code:PrimeIntellect15k"),
    *(f"logic:RuleTaker-d{d}" for d in (0, 1, 2, 3, 5)),
    *("qa:NaturalQuestions", "qa:HotpotQA"),
    *("eval:MATH500", "eval:AMC", "eval:OlympiadBench", "eval:Minerva", "eval:AIME24"),
    *("eval:CodeContest", "eval:QaOpen", "eval:2Wiki", "eval:PopQA", "eval:TriviaQA"),
    *("eval:HotpotQA", "eval:Bamboogle", "eval:NaturalQuestions", "eval:Musique"),
    *(f"rg:{task}" for task in REASONING_GYM_TASKS),
]

# reasoning-gym tasks whose stored "answer" is not an accepted answer (a placeholder: the scorer
# checks a submitted plan, colouring or move list against the puzzle itself).
NO_REFERENCE_ANSWER = {"boxnet", "graph_color", "propositional_logic", "rubiks_cube", "rush_hour"}


def test_static_task_list_equals_reasoning_gyms_registry() -> None:
    rg = pytest.importorskip("reasoning_gym")
    assert sorted(REASONING_GYM_TASKS) == sorted(rg.factory.DATASETS)


def test_ids_follow_one_scheme() -> None:
    assert len(TASK_IDS) == len(set(TASK_IDS))
    for env_id in TASK_IDS:
        assert env_id.split("/")[1].split("-")[0] in ("Math", "Code", "QA", "RG"), env_id
        assert env_id in gem_gymnasium.catalogue()
    assert all(env_id.endswith("-Eval-v0") for env_id in TASK_IDS if "-Eval-" in env_id)
    assert "gem/RG-BasicArithmetic-v0" in RG_IDS and "gem/Math-GSM8K-v0" in TASK_IDS


@pytest.mark.parametrize("alias", GEM_TASK_ALIASES)
def test_gem_aliases_resolve(alias: str) -> None:
    assert resolve_id(alias) in TASK_IDS


def test_image_tasks_are_not_registered() -> None:
    with pytest.raises(gym.error.UnregisteredEnv):
        resolve_id("math:Geometry3K")


def test_eval_ids_walk_their_data_in_order() -> None:
    info = gem_gymnasium.catalogue()
    evals = [i for i in TASK_IDS if info[i].group == "eval"]
    assert len(evals) == 14 and all(info[i].kwargs["sequential"] for i in evals)


def _answer_action(env: gym.Env) -> str:
    base = env.unwrapped
    if base.fields.get("tests"):
        return f"```python\n{base.item['solution']}\n```"
    answer = base.field("answer")
    answer = answer[0] if isinstance(answer, list) else answer
    if getattr(base, "answer_format", "boxed") == "answer_tags":
        return f"<answer>{answer}</answer>"
    return f"\\boxed{{{answer}}}"


@pytest.mark.parametrize("env_id", [i for i in TASK_IDS if i not in RG_IDS])
def test_dataset_ids_run_offline_and_accept_the_reference(env_id: str) -> None:
    env = gym.make(env_id)
    obs, info = env.reset(seed=0)
    assert obs and info["index"] >= 0
    _, reward, terminated, truncated, info = env.step(_answer_action(env))
    assert (reward, terminated, truncated, info["success"]) == (1.0, True, False, True)
    env.reset(seed=1)
    _, reward, terminated, _, _ = env.step(env.unwrapped.sample_random_action())
    assert terminated and math.isfinite(reward)
    env.close()


@pytest.mark.parametrize("env_id", sorted(RG_IDS))
def test_every_reasoning_gym_task_constructs_and_steps_offline(env_id: str) -> None:
    pytest.importorskip("reasoning_gym")
    task = RG_IDS[env_id]
    env = gym.make(env_id, grade_timeout=None)
    obs, _ = env.reset(seed=0)
    assert "\\boxed{}" in obs
    _, reward, terminated, truncated, info = env.step(_answer_action(env))
    assert terminated and not truncated and 0.0 <= reward <= 1.0
    if task not in NO_REFERENCE_ANSWER:
        assert reward == 1.0 and info["correct"], (task, env.unwrapped.item["answer"])
    env.close()


def test_reasoning_gym_scoring_in_the_worker_pool() -> None:
    pytest.importorskip("reasoning_gym")
    env = gem_gymnasium.make("rg:countdown", grade_timeout=2.0)
    env.reset(seed=3)
    _, reward, *_, info = env.step(_answer_action(env))
    assert reward == 1.0 and info["grade_method"] == "scorer"
    env.reset(seed=3)
    _, reward, *_, info = env.step("\\boxed{9**9**9**9**9}")
    assert reward <= 0.01 and info["grade_method"] in ("scorer", "timeout", "error")
    env.reset(seed=3)
    _, reward, *_, info = env.step("no answer")
    assert (reward, info["format_error"]) == (-0.1, True)
