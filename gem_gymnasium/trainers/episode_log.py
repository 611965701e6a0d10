"""Training episodes as trajectory JSONL (``--log_episodes N``), to inspect a run while it trains.

The records have the format of ``gem-gym eval`` (:func:`~gem_gymnasium.trainers.evaluation.
write_trajectories`), so ``gem-gym view`` shows both. A rollout keeps token ids, not text, so each
sampled episode is replayed: a fresh env of the run's id and wrappers is reset with the episode's
seed and stepped with the decoded responses, which gives back the observations and infos exactly
(the envs are deterministic). Should a replay's rewards differ from the rollout's (a response that
does not decode to the text the env received), the record keeps the rollout's rewards and shows the
decoded prompts as observations, and says so in ``note``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gem_gymnasium.trainers.evaluation import _jsonable
from gem_gymnasium.trainers.prompts import INVALID_ACTION

__all__ = ["EPISODES_PER_LOG", "episode_records", "log_episodes"]

#: Episodes written per logged iteration: enough to see what the policy does, cheap to replay.
EPISODES_PER_LOG = 16


def _replay(env: Any, seed: int, actions: Sequence[str], rewards: Sequence[float]) -> list | None:
    """``(observation, info)`` before/after each action, or ``None`` if the rewards differ."""
    observation, _ = env.reset(seed=seed)
    steps = []
    for action, expected in zip(actions, rewards, strict=True):
        after, reward, _, _, info = env.step(action)
        if not math.isclose(reward, expected, abs_tol=1e-6):
            return None
        steps.append((observation, info))
        observation = after
    return [*steps, (observation, None)]


def episode_records(
    episodes: Sequence[Any], env: Any, tokenizer: Any, *, env_id: str, seed: int
) -> list[dict[str, Any]]:
    """Trajectory records of rollout ``episodes`` (group ``g`` was reset with ``seed + g``)."""
    records = []
    for number, episode in enumerate(episodes):
        responses = [
            tokenizer.decode(t.response_ids, skip_special_tokens=True) for t in episode.turns
        ]
        actions = [
            INVALID_ACTION if t.invalid else text
            for t, text in zip(episode.turns, responses, strict=True)
        ]
        rewards = [float(t.reward) for t in episode.turns]
        episode_seed = seed + episode.group
        replay = _replay(env, episode_seed, actions, rewards)
        turns = []
        for k, turn in enumerate(episode.turns):
            if replay is not None:
                observation, info = replay[k]
            else:
                observation = tokenizer.decode(turn.prompt_ids, skip_special_tokens=True)
                info = {"format_error": bool(turn.format_error)}
            turns.append(
                {
                    "observation": observation,
                    "response": responses[k],
                    "invalid": bool(turn.invalid),
                    "reward": rewards[k],
                    "info": _jsonable(info),
                }
            )
        record: dict[str, Any] = {
            "episode": number,
            "seed": episode_seed,
            "turns": turns,
            "env_id": env_id,
            "final_observation": replay[-1][0] if replay is not None else "",
            "success": bool(episode.success),
            "format_errors": sum(bool(t.format_error) for t in episode.turns),
            "return": sum(rewards),
        }
        if replay is None:
            record["note"] = "replay differed from the rollout: observations are the prompts"
        records.append(record)
    return records


def log_episodes(
    path: Path, episodes: Sequence[Any], tokenizer: Any, *, cfg: Any, seed: int
) -> Path:
    """Write the first :data:`EPISODES_PER_LOG` of ``episodes`` to ``path`` as JSONL."""
    from gem_gymnasium.trainers.envs import make_env

    env = make_env(cfg.env_id, cfg.wrappers, tokenizer)
    try:
        records = episode_records(
            episodes[:EPISODES_PER_LOG], env, tokenizer, env_id=cfg.env_id, seed=seed
        )
    finally:
        env.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")
    return path
