"""``--log_episodes N``: training episodes written in ``gem-gym eval``'s format, for the viewer."""

from __future__ import annotations

import json

import gymnasium as gym

from gem_gymnasium.trainers.config import Config
from gem_gymnasium.trainers.episode_log import EPISODES_PER_LOG, episode_records
from gem_gymnasium.trainers.ppo import Episode, Turn, train
from gem_gymnasium.viewer import build_page, read_episodes

ENV_ID = "gem/GuessTheNumber-Easy-v0"
EVAL_KEYS = {"episode", "seed", "turns", "env_id", "final_observation", "success",
             "format_errors", "return"}  # fmt: skip


class CharTokenizer:
    """Token id = code point: enough to decode what a rollout generated."""

    @staticmethod
    def encode(text: str) -> list[int]:
        return [ord(c) for c in text]

    @staticmethod
    def decode(ids: list[int], skip_special_tokens: bool = True) -> str:
        return "".join(map(chr, ids))


def _played(seed: int, responses: list[str]) -> Episode:
    env = gym.make(ENV_ID)
    env.reset(seed=seed)
    turns = []
    for text in responses:
        _, reward, terminated, _, info = env.step(text)
        turn = Turn(CharTokenizer.encode("prompt"), CharTokenizer.encode(text), [], reward=reward)
        turn.format_error = bool(info["format_error"])
        turns.append(turn)
        if terminated:
            return Episode(turns, group=seed - 100, success=bool(info.get("success")))
    return Episode(turns, group=seed - 100)


def test_records_replay_the_rollout_exactly() -> None:
    episode = _played(103, ["\\boxed{5}", "no box here"])
    [record] = episode_records([episode], gym.make(ENV_ID), CharTokenizer(), env_id=ENV_ID,
                               seed=100)  # fmt: skip
    assert set(record) >= EVAL_KEYS and "note" not in record
    assert record["seed"] == 103 and record["format_errors"] == 1
    env = gym.make(ENV_ID)
    first, _ = env.reset(seed=103)
    second, *_ = env.step("\\boxed{5}")
    assert [t["observation"] for t in record["turns"]] == [first, second]
    assert record["turns"][1]["info"]["format_error"] is True
    assert record["return"] == sum(t.reward for t in episode.turns)


def test_a_replay_that_differs_says_so_and_keeps_the_rollout() -> None:
    episode = _played(101, ["\\boxed{5}"])
    episode.turns[0].reward += 3.0
    [record] = episode_records([episode], gym.make(ENV_ID), CharTokenizer(), env_id=ENV_ID,
                               seed=100)  # fmt: skip
    assert "differed" in record["note"] and record["turns"][0]["observation"] == "prompt"
    assert record["turns"][0]["reward"] == episode.turns[0].reward


def test_log_episodes_option_defaults_to_never() -> None:
    assert Config().log_episodes == -1


def _config(tiny_model: str, tmp_path, **overrides) -> Config:
    return Config(
        env_id="game:GuessTheNumber-v0-easy", wrappers="concat", pretrain=tiny_model,
        output_dir=str(tmp_path), run_name="run", num_envs=4, rollout_batch_size=8,
        train_batch_size=4, train_batch_size_per_device=2, num_iterations=2,
        generate_max_length=12, num_ppo_epochs=1, **overrides,
    )  # fmt: skip


def test_training_writes_episodes_every_n_iterations(tiny_model, tmp_path) -> None:
    train(_config(tiny_model, tmp_path, log_episodes=2))
    folder = tmp_path / "run" / "episodes"
    # Every second iteration: the first is not written, the second is.
    assert [p.name for p in folder.iterdir()] == ["iter_000002.jsonl"]
    episodes = read_episodes([folder / "iter_000002.jsonl"])
    assert 0 < len(episodes) <= EPISODES_PER_LOG
    for record in episodes:
        assert set(record) >= EVAL_KEYS
        assert "note" not in record, "the replay must reproduce the rollout"
        assert all(isinstance(t["observation"], str) and t["info"] for t in record["turns"])
    # The viewer replays them too: the game's image for every state.
    page = build_page(episodes[:1], title="run")
    details = json.loads(page.split('type="application/json">')[1].split("</script>")[0])
    record = json.loads(details["details"][0])
    assert len(record["frames"]) == len(record["turns"]) + 1
