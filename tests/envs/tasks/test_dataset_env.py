"""Item selection (seeded, by index, sequential shards), snapshots and data sources."""

from __future__ import annotations

import json
import pickle
import sys
import warnings
from pathlib import Path

import gymnasium as gym
import pytest

import gem_gymnasium
from gem_gymnasium.envs.tasks import records
from gem_gymnasium.envs.tasks.math_env import MathEnv
from gem_gymnasium.envs.tasks.qa_env import QAEnv

ITEMS = [{"q": f"What is {i} + {i}?", "a": str(2 * i)} for i in range(11)]


def _env(**kwargs) -> MathEnv:
    return MathEnv(source=ITEMS, question_key="q", answer_key="a", **kwargs)


def test_seeded_reset_is_deterministic_and_index_option_picks_the_item() -> None:
    first = [_env().reset(seed=s)[1]["index"] for s in range(20)]
    assert first == [_env().reset(seed=s)[1]["index"] for s in range(20)]
    assert len(set(first)) > 3
    env = _env()
    obs, info = env.reset(options={"index": 7})
    assert info["index"] == 7 and "What is 7 + 7?" in obs
    for bad in (-1, 11, "3", 2.0, True):
        with pytest.raises((ValueError, TypeError)):
            env.reset(options={"index": bad})


def test_answer_terminates_with_reward_and_info() -> None:
    env = _env()
    env.reset(options={"index": 4})
    _, reward, terminated, truncated, info = env.step("So \\boxed{8}.")
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["success"] and info["correct"] and info["index"] == 4
    env.reset(options={"index": 4})
    _, reward, terminated, _, info = env.step("no box here")
    assert (reward, terminated, info["format_error"], info["reason"]) == (
        -0.1,
        True,
        True,
        "format_error",
    )
    env.reset(options={"index": 4})
    _, reward, terminated, _, info = env.step("\\boxed{9}")
    assert (reward, terminated, info["success"], info["reason"]) == (0.0, True, False, "incorrect")


@pytest.mark.parametrize("num_envs", [1, 3, 4])
def test_sequential_vector_env_visits_every_item_exactly_once(num_envs: int) -> None:
    """An evaluation over a vector env: each item once per epoch, across all sub-envs."""
    envs = gym.make_vec(
        "gem/Math-v0",
        num_envs=num_envs,
        vectorization_mode="sync",
        sequential=True,
        num_shards=num_envs,
        source=ITEMS,
        question_key="q",
        answer_key="a",
    )
    seen: list[int] = []
    _, infos = envs.reset(seed=5)
    current = list(infos["index"])
    epochs = list(infos["epoch"])
    ended = [False] * num_envs
    for _ in range(4 * len(ITEMS)):
        for i in range(num_envs):
            if not ended[i] and epochs[i] == 0:
                seen.append(int(current[i]))
        if all(e > 0 for e in epochs):
            break
        _, _, terminated, _, infos = envs.step(["\\boxed{0}"] * num_envs)
        for i in range(num_envs):
            if ended[i]:  # NextStep autoreset: this step reset the sub-env
                current[i], epochs[i], ended[i] = infos["index"][i], infos["epoch"][i], False
            elif terminated[i]:
                ended[i] = True
    envs.close()
    assert sorted(seen) == list(range(len(ITEMS)))


def test_sequential_explicit_shard_and_epochs() -> None:
    env = _env(sequential=True, num_shards=3, shard=1)
    indices, epochs = [], []
    for k in range(6):
        _, info = env.reset(seed=0) if k == 0 else env.reset()
        indices.append(info["index"])
        epochs.append(info["epoch"])
    assert indices == [1, 4, 7, 10, 1, 4] and epochs == [0, 0, 0, 0, 1, 1]
    with pytest.raises(ValueError):
        _env(sequential=True, num_shards=2, shard=2)


def test_snapshot_restores_the_question_without_copying_the_dataset() -> None:
    env = _env()
    question, _ = env.reset(seed=3)
    state = env.get_state()
    assert "records" not in state.variables
    answers = []
    for guess in ("\\boxed{0}", f"\\boxed{{{env.item['a']}}}"):
        env.set_state(state)
        _, reward, *_ = env.step(guess)
        answers.append(reward)
    assert answers == [0.0, 1.0]
    env.set_state(state)
    assert env.rules() == question


def test_pickle_keeps_the_episode() -> None:
    env = gem_gymnasium.make("gem/QA-v0")
    env.reset(seed=2)
    clone = pickle.loads(pickle.dumps(env))
    action = f"<answer>{env.unwrapped.item['answer'][0]}</answer>"
    assert env.step(action)[:4] == clone.step(action)[:4]


# --- data sources ------------------------------------------------------------------------------


def test_local_jsonl_and_json_with_custom_fields(tmp_path: Path) -> None:
    jsonl = tmp_path / "mine.jsonl"
    jsonl.write_text("\n".join(json.dumps({"query": "1+1?", "gold": "2"}) for _ in range(3)))
    env = MathEnv(source=str(jsonl), question_key="query", answer_key="gold")
    env.reset(seed=0)
    assert env.step("\\boxed{2}")[1] == 1.0
    as_json = tmp_path / "splits.json"
    as_json.write_text(
        json.dumps({"test": [{"question": "Capital of France?", "answer": ["Paris"]}]})
    )
    qa = QAEnv(source=str(as_json), split="test")
    qa.reset(seed=0)
    assert qa.step("<answer>paris</answer>")[1] == 1.0


def test_parquet_file(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "part.parquet"
    datasets.Dataset.from_list([{"problem": "2*3?", "answer": "6"}] * 2).to_parquet(str(path))
    env = MathEnv(source=str(path))
    env.reset(seed=1)
    assert env.step("\\boxed{6}")[1] == 1.0


def test_missing_fields_name_what_exists() -> None:
    with pytest.raises(ValueError, match=r"lack the field.*\['a', 'q'\]"):
        MathEnv(source=ITEMS)
    with pytest.raises(FileNotFoundError):
        MathEnv(source="./no/such/file.jsonl")


def _force_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No hub access, whatever was imported before (these flags are read at import time)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True, raising=False)
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def test_hub_source_falls_back_to_the_sample_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _force_offline(monkeypatch)
    records._cache.pop(("hub", "axon-rl/no-such-dataset-for-tests", None, None), None)
    with pytest.warns(UserWarning, match="using the offline sample math_sample.jsonl"):
        env = MathEnv(source="hub", hub_name="axon-rl/no-such-dataset-for-tests", fallback=True)
    assert env.records.from_sample and env.num_items == 40


def test_hub_source_does_not_fall_back_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    _force_offline(monkeypatch)
    records._cache.pop(("hub", "axon-rl/no-such-dataset-for-tests", None, None), None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning either: an error, and only that
        with pytest.raises(RuntimeError, match=r"could not load.*fallback=True"):
            MathEnv(source="hub", hub_name="axon-rl/no-such-dataset-for-tests")
        with pytest.raises(RuntimeError, match="could not load"):
            gem_gymnasium.make("math:GSM8K", source="hub")


def test_hub_source_without_datasets_names_the_extra_even_with_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gem_gymnasium.extras import MissingExtra

    monkeypatch.setitem(sys.modules, "datasets", None)  # as if not installed
    records._cache.pop(("hub", "axon-rl/no-such-dataset-for-tests", None, None), None)
    with pytest.raises(MissingExtra, match=r"pip install -e '\.\[data\]'"):
        MathEnv(source="hub", hub_name="axon-rl/no-such-dataset-for-tests", fallback=True)


def test_hub_source_without_fallback_names_what_to_download(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _force_offline(monkeypatch)
    with pytest.raises(RuntimeError, match=r"axon-rl/no-such-dataset-for-tests.*Download"):
        MathEnv(source="hub", hub_name="axon-rl/no-such-dataset-for-tests", fallback=False)


def test_registered_hub_ids_default_to_the_sample_without_warnings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    records._announced.discard("MathEnv(axon-rl/GSM-8k)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gem_gymnasium.make("math:GSM8K")
    assert env.unwrapped.records.from_sample
    assert "pass source='hub' to load axon-rl/GSM-8k" in caplog.text


def test_importing_the_package_loads_no_heavy_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys, gem_gymnasium\n"
        "print(sorted(m for m in ('datasets', 'reasoning_gym', 'math_verify', 'sympy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
