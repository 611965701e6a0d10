"""Evaluate a policy on environments: exact episode counts, a results table, JSONL trajectories.

A *policy* maps a batch of observations to actions. :class:`EnginePolicy` wraps a rollout engine
(Hugging Face or vLLM) with a tokenizer and prompt template; :class:`ApiPolicy` calls an
OpenAI-compatible ``/v1/completions`` endpoint. Episode ``k`` of an env is reset with seed
``seed + k``, so results are reproducible and comparable across policies.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gem_gymnasium.core import seed_random_moves
from gem_gymnasium.extras import optional_imports
from gem_gymnasium.trainers.engines.base import SamplingParams
from gem_gymnasium.trainers.prompts import INVALID_ACTION

__all__ = [
    "ApiPolicy",
    "EnginePolicy",
    "EvalResult",
    "Policy",
    "evaluate_env",
    "format_results",
    "format_results_text",
    "result_rows",
]


@dataclass
class Action:
    """What a policy did with one observation."""

    text: str  # the generated response
    action: str  # what the env receives (INVALID_ACTION for cut-off responses)
    invalid: bool = False


class Policy(Protocol):
    def __call__(self, observations: Sequence[str]) -> list[Action]: ...


class EnginePolicy:
    """Act with a rollout engine: template -> tokens -> generate -> action."""

    def __init__(
        self,
        engine: Any,
        tokenizer: Any,
        prompt_fn: Callable[[str], str],
        sampling: SamplingParams,
        *,
        max_model_len: int,
    ) -> None:
        self.engine, self.tokenizer, self.prompt_fn = engine, tokenizer, prompt_fn
        self.sampling, self.max_model_len = sampling, max_model_len

    def __call__(self, observations: Sequence[str]) -> list[Action]:
        prompts = [self.tokenizer(self.prompt_fn(o)).input_ids for o in observations]
        fits = [len(p) < self.max_model_len for p in prompts]
        generated = iter(
            self.engine.generate(
                [p for p, f in zip(prompts, fits, strict=False) if f], self.sampling
            )
        )
        actions = []
        for fit in fits:
            gen = next(generated) if fit else None
            if gen is None or gen.truncated:
                actions.append(Action(gen.text if gen else "", INVALID_ACTION, invalid=True))
            else:
                actions.append(Action(gen.text, gen.text))
        return actions


class ApiPolicy:
    """Act through an OpenAI-compatible text-completions endpoint (vLLM serve, SGLang, ...).

    Args:
        api_base: Base URL, e.g. ``http://localhost:8000/v1``.
        model: Model name the server knows.
        prompt_fn: Observation -> prompt text.
        sampling: Temperature, top-p and the token limit.
        api_key: Sent as a bearer token when given.
        concurrency: Requests in flight at once.
        timeout: Seconds per request.
    """

    def __init__(
        self,
        api_base: str,
        model: str,
        prompt_fn: Callable[[str], str],
        sampling: SamplingParams,
        *,
        api_key: str | None = None,
        concurrency: int = 8,
        timeout: float = 600.0,
    ) -> None:
        self.url = api_base.rstrip("/") + "/completions"
        self.model, self.prompt_fn, self.sampling = model, prompt_fn, sampling
        self.api_key, self.concurrency, self.timeout = api_key, concurrency, timeout

    def _complete(self, prompt: str) -> Action:
        body = {
            "model": self.model,
            "prompt": prompt,
            "max_tokens": self.sampling.max_new_tokens,
            "temperature": self.sampling.temperature,
            "top_p": self.sampling.top_p,
        }
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, json.dumps(body).encode(), headers)
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            choice = json.load(response)["choices"][0]
        text = choice.get("text", "")
        if choice.get("finish_reason") == "length":
            return Action(text, INVALID_ACTION, invalid=True)
        return Action(text, text)

    def __call__(self, observations: Sequence[str]) -> list[Action]:
        prompts = [self.prompt_fn(o) for o in observations]
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self._complete, prompts))


@dataclass
class EvalResult:
    """The episodes of one env: per-episode records, each with its turns."""

    env_id: str
    episodes: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        n = max(1, len(self.episodes))
        turns = sum(len(e["turns"]) for e in self.episodes)
        return {
            "episodes": float(len(self.episodes)),
            "success_rate": sum(e["success"] for e in self.episodes) / n,
            "episodic_return": sum(e["return"] for e in self.episodes) / n,
            "episodic_length": turns / n,
            "format_error_rate": sum(e["format_errors"] for e in self.episodes) / max(1, turns),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def evaluate_env(
    policy: Policy | None,
    env_id: str,
    episodes: int,
    *,
    wrappers: str = "",
    tokenizer: Any = None,
    num_envs: int = 8,
    seed: int = 0,
    on_episode: Callable[[], None] | None = None,
) -> EvalResult:
    """Play exactly ``episodes`` episodes, ``num_envs`` at a time (one policy call per turn).

    ``policy=None`` plays the env's own random moves (``sample_random_action``): the random
    baseline on the same episodes.
    """
    from gem_gymnasium.trainers.envs import make_env

    result = EvalResult(env_id)
    envs = [make_env(env_id, wrappers, tokenizer) for _ in range(min(num_envs, episodes))]
    slots: list[dict[str, Any] | None] = [None] * len(envs)
    observations = [""] * len(envs)
    next_episode = 0
    try:
        while True:
            for s, env in enumerate(envs):  # start the next episodes in free slots
                if slots[s] is None and next_episode < episodes:
                    observations[s], _ = env.reset(seed=seed + next_episode)
                    if policy is None:
                        seed_random_moves(env, seed + next_episode)
                    slots[s] = {"episode": next_episode, "seed": seed + next_episode, "turns": []}
                    next_episode += 1
            active = [s for s in range(len(envs)) if slots[s] is not None]
            if not active:
                break
            if policy is None:
                actions = [_random_action(envs[s]) for s in active]
            else:
                actions = policy([observations[s] for s in active])
            for s, act in zip(active, actions, strict=False):
                obs, reward, terminated, truncated, info = envs[s].step(act.action)
                record = slots[s]
                record["turns"].append(
                    {
                        "observation": observations[s],
                        "response": act.text,
                        "invalid": act.invalid,
                        "reward": float(reward),
                        "info": _jsonable(info),
                    }
                )
                observations[s] = obs
                if terminated or truncated:
                    turns = record["turns"]
                    record.update(
                        env_id=env_id,
                        final_observation=obs,
                        success=bool(info.get("success", False)),
                        format_errors=sum(
                            t["invalid"] or bool(t["info"].get("format_error")) for t in turns
                        ),
                        **{"return": sum(t["reward"] for t in turns)},
                    )
                    result.episodes.append(record)
                    slots[s] = None
                    if on_episode is not None:
                        on_episode()
    finally:
        for env in envs:
            env.close()
    result.episodes.sort(key=lambda e: e["episode"])
    return result


def _random_action(env: Any) -> Action:
    text = env.unwrapped.sample_random_action()
    return Action(text, text)


def write_trajectories(results: Sequence[EvalResult], path: Path) -> Path:
    """One JSON line per episode."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for result in results:
            for episode in result.episodes:
                f.write(json.dumps(episode) + "\n")
    return path


RESULT_COLUMNS = ("env", "episodes", "success", "mean return", "turns", "format errors")


def result_rows(results: Sequence[EvalResult]) -> list[tuple[str, ...]]:
    """One row of :data:`RESULT_COLUMNS` per env, formatted."""
    rows = []
    for result in results:
        s = result.summary()
        rows.append(
            (
                result.env_id,
                f"{int(s['episodes'])}",
                f"{s['success_rate']:.3f}",
                f"{s['episodic_return']:+.3f}",
                f"{s['episodic_length']:.2f}",
                f"{s['format_error_rate']:.3f}",
            )
        )
    return rows


def format_results(results: Sequence[EvalResult]) -> Any:
    """A rich table of :func:`result_rows` (for a terminal)."""
    with optional_imports("the evaluation table"):
        from rich.table import Table

    table = Table(title="Evaluation")
    for column in RESULT_COLUMNS:
        table.add_column(column, justify="left" if column == "env" else "right")
    for row in result_rows(results):
        table.add_row(*row)
    return table


def format_results_text(results: Sequence[EvalResult]) -> str:
    """The same table as plain text for pipes and files: aligned columns, no id cut short."""
    rows = [RESULT_COLUMNS, *result_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(RESULT_COLUMNS))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )
