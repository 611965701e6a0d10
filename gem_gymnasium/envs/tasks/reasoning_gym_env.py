r"""ReasoningGymEnv: any reasoning-gym task, answered in ``\boxed{}`` and scored by its own scorer."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from gem_gymnasium.core import Outcome
from gem_gymnasium.envs.tasks.base import DatasetEnv
from gem_gymnasium.envs.tasks.grading_pool import GradeTimeout, GradingError, shared_pool
from gem_gymnasium.envs.tasks.records import Records

__all__ = ["DEFAULT_COMPOSITE", "ReasoningGymEnv"]

#: The mix ``gem/RG-Composite-v0`` draws from (the composite task needs one; GEM gave none).
DEFAULT_COMPOSITE: tuple[dict[str, Any], ...] = (
    {"name": "basic_arithmetic", "weight": 1.0, "config": {}},
    {"name": "chain_sum", "weight": 1.0, "config": {}},
    {"name": "leg_counting", "weight": 1.0, "config": {}},
    {"name": "letter_counting", "weight": 1.0, "config": {}},
    {"name": "spell_backward", "weight": 1.0, "config": {}},
    {"name": "word_sorting", "weight": 1.0, "config": {}},
)

# A spec names one procedural dataset: (task, size, seed, config as sorted JSON).
Spec = tuple[str, int, int, str]

_ITEM_CACHE_SIZE = 4096
_items: OrderedDict[tuple[Spec, int], dict[str, Any]] = OrderedDict()


def _import_reasoning_gym() -> Any:
    try:
        import reasoning_gym
    except ImportError as error:
        from gymnasium.error import DependencyNotInstalled

        raise DependencyNotInstalled(
            "reasoning-gym tasks need the `reasoning-gym` package: "
            "pip install 'gem-gymnasium[reasoning]'"
        ) from error
    return reasoning_gym


@lru_cache(maxsize=64)
def build_dataset(spec: Spec) -> Any:
    """The reasoning-gym dataset for ``spec`` (cached per process, here and in grading workers)."""
    rg = _import_reasoning_gym()
    task, size, seed, config_json = spec
    config = json.loads(config_json)
    if task == "composite":
        from reasoning_gym.composite import DatasetSpec

        config["datasets"] = [DatasetSpec(**d) for d in config.get("datasets", DEFAULT_COMPOSITE)]
    return rg.create_dataset(task, size=size, seed=seed, **config)


def generate_item(spec: Spec, index: int) -> dict[str, Any]:
    """Item ``index`` of ``spec`` (generation can take 0.1 s, so recent items are cached)."""
    key = (spec, index)
    if key in _items:
        _items.move_to_end(key)
        return _items[key]
    item = dict(build_dataset(spec)[index])
    _items[key] = item
    if len(_items) > _ITEM_CACHE_SIZE:
        _items.popitem(last=False)
    return item


def score_answer(spec: Spec, answer: str, entry: Mapping[str, Any]) -> float:
    """The task's own score for ``answer`` (runs in a grading worker)."""
    return float(build_dataset(spec).score_answer(answer=answer, entry=entry))


class _ProceduralItems:
    """A sequence view of a reasoning-gym dataset, built on first access (not at import)."""

    def __init__(self, spec: Spec) -> None:
        self.dataset_spec = spec

    def __len__(self) -> int:
        return self.dataset_spec[1]

    def __getitem__(self, index: int) -> dict[str, Any]:
        return generate_item(self.dataset_spec, index)


class ReasoningGymEnv(DatasetEnv):
    r"""One reasoning-gym task (``gem/RG-<Task>-v0``); the last ``\boxed{}`` is the answer.

    ## Description
    reasoning-gym generates puzzles procedurally (arithmetic, algebra, logic, graphs, games,
    ciphers, ...). This env wraps one of its tasks as a single-turn environment: the question is
    the observation, the answer is scored by the task's own ``score_answer``.

    ## Action Space
    Free text; only the last ``\boxed{...}`` counts (it may span lines and hold braces).

    ## Observation Space
    Text. At reset: the task's question plus an instruction to answer in ``\boxed{}``. After the
    answer: the score.

    ## Starting State
    The task's dataset is ``size`` items generated from ``dataset_seed`` (item ``i`` depends only
    on ``(dataset_seed, i)``, as in reasoning-gym). Each reset draws an item index from the env's
    ``np_random``; ``options={"index": i}`` and ``sequential=True`` work as for every dataset env
    (:class:`~gem_gymnasium.envs.tasks.base.DatasetEnv`).

    ## Rewards
    * the task's score in [0, 1] (1.0 for a correct answer; some tasks give partial credit);
    * 0.0 when the scorer fails on the answer or takes longer than ``grade_timeout`` (scorers
      parse with SymPy or ``eval``, so they run in a worker process that is killed on overrun);
    * ``format_error_reward`` (-0.1) when there is no non-empty ``\boxed{}``.

    ## Episode End
    Termination: the first answer (or format error). Truncation: never by the env itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``, ``index``, ``epoch``; after an
    answer ``score``, ``correct`` (score is 1.0) and ``grade_method`` (``"scorer"``,
    ``"timeout"``, ``"error"``); at the end ``success`` and ``reason``.

    ## Arguments
    ```python
    gymnasium.make("gem/RG-BasicArithmetic-v0", task="basic_arithmetic", size=500,
                   dataset_seed=42, config=None, grade_timeout=5.0, sequential=False,
                   num_shards=1, shard=None, prompt_template=None, format_error_reward=-0.1)
    ```
    ``config``: the task's configuration fields (e.g. ``{"min_terms": 2}`` for
    ``basic_arithmetic``; for ``composite`` a ``datasets`` list of ``{"name", "weight",
    "config"}``, by default :data:`DEFAULT_COMPOSITE`). ``size=500, dataset_seed=42`` give GEM's
    items. ``grade_timeout=None`` scores in-process without a limit.

    ## Version History
    * v0: Initial version.
    """

    default_prompt = (
        "{question}\n\nGive your final answer inside \\boxed{}, e.g. \\boxed{your answer}."
    )

    def __init__(
        self,
        task: str = "basic_arithmetic",
        *,
        size: int = 500,
        dataset_seed: int = 42,
        config: Mapping[str, Any] | None = None,
        grade_timeout: float | None = 5.0,
        **kwargs: Any,
    ) -> None:
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"ReasoningGymEnv: size must be an int >= 1, got {size!r}")
        if grade_timeout is not None and grade_timeout <= 0:
            raise ValueError(
                f"ReasoningGymEnv: grade_timeout must be > 0 or None, got {grade_timeout}"
            )
        config = dict(config or {})
        if task == "composite":
            config.setdefault("datasets", [dict(d) for d in DEFAULT_COMPOSITE])
        self.task = task
        self.dataset_spec: Spec = (
            task,
            size,
            int(dataset_seed),
            json.dumps(config, sort_keys=True),
        )
        self.grade_timeout = grade_timeout
        super().__init__(**kwargs)
        self.env_name = f"ReasoningGymEnv({task})"

    static_attributes = DatasetEnv.static_attributes | {"task", "dataset_spec", "grade_timeout"}

    def _load(self, source: Any, *_: Any) -> Records:
        if source is not None:
            raise ValueError("ReasoningGymEnv generates its items; it takes no source")
        rg = _import_reasoning_gym()
        if self.task not in rg.factory.DATASETS:
            raise ValueError(
                f"ReasoningGymEnv: unknown task {self.task!r}; reasoning-gym has "
                f"{len(rg.factory.DATASETS)} tasks, e.g. {sorted(rg.factory.DATASETS)[:5]}"
            )
        build_dataset(self.dataset_spec)  # fail here, not at the first reset, on a bad config
        return Records(_ProceduralItems(self.dataset_spec), False, f"reasoning-gym {self.task}")

    def _check_fields(self) -> None:
        self.fields = {"question": "question", "answer": "answer"}

    def grade(self, answer: str) -> Outcome:
        method = "scorer"
        try:
            if self.grade_timeout is None:
                score = score_answer(self.dataset_spec, answer, self.item)
            else:
                score = shared_pool().call(
                    score_answer,
                    self.dataset_spec,
                    answer,
                    self.item,
                    timeout=self.grade_timeout,
                    setup=(build_dataset, (self.dataset_spec,)),
                )
        except GradeTimeout:
            score, method = 0.0, "timeout"
        except GradingError:  # a scorer that chokes on the answer scores 0
            score, method = 0.0, "error"
        if not 0.0 <= score <= 1.0 or score != score:
            score = 0.0
        correct = score >= 1.0
        self.grade_info = {"score": score, "correct": correct, "grade_method": method}
        if correct:
            return self._outcome(True, "Correct.", reward=score)
        return self._outcome(False, f"Not correct (score {score:.2f}).", reward=score)

    def format_error_message(self) -> str:
        return "Format error: no answer found. Put your final answer inside \\boxed{...}."

    def sample_random_action(self) -> str:
        return f"\\boxed{{{int(self.action_space.np_random.integers(0, 100))}}}"
