r"""``DatasetEnv``: the base of single-question tasks (math, code, QA, reasoning-gym).

An episode is one item of a dataset: the observation at reset is the prompt built from the
question, the first action is the answer, and the episode terminates on it (``max_turns=1``).
Subclasses say how the answer is given (the answer format, the last ``\boxed{}`` by default, and
the ``answer`` tool for ``answer_format="tool_call"``) and how to grade it (:meth:`grade`).

Which item an episode gets:

* ``reset(options={"index": i})`` picks item ``i``;
* otherwise, by default, an item drawn uniformly from ``self.np_random``, so ``reset(seed=s)`` is
  deterministic;
* with ``sequential=True`` (evaluation) the env walks its shard ``shard, shard + num_shards, ...``
  in order, one item per reset, and ``info["epoch"]`` counts completed passes. A seeded reset
  restarts the walk; when ``shard`` is not given it is ``seed % num_shards``, so the sub-envs of a
  vector env reset with ``seed=s`` (sub-env ``i`` gets ``s + i``) take different shards and
  together visit every item exactly once per epoch.

Datasets are loaded through :mod:`~gem_gymnasium.envs.tasks.records` and shared per process; they
are listed in :attr:`static_attributes`, so snapshots (``get_state``) copy only the current item.

Names, as in GEM: ``env.unwrapped.answer`` is the current item's *reference* answer (``None``
before the first reset or for a task without one, such as code), and what the agent answered is
``env.unwrapped.agent_answer``, so code ported from GEM grades against the right string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.core import Outcome, TextEnv
from gem_gymnasium.envs.tasks.records import Records, announce_sample, load_records

__all__ = ["DatasetEnv"]


class DatasetEnv(TextEnv[str]):
    """Base class of dataset tasks; see the module docstring.

    Args:
        source: Where the items come from: ``None``/``"sample"`` (the offline sample), ``"hub"``,
            a local path, a hub dataset name, or the items themselves (see
            :mod:`~gem_gymnasium.envs.tasks.records`).
        hub_name: The Hugging Face dataset this id stands for (used by ``source="hub"``).
        hub_config: Its configuration name.
        split: The split to read.
        fallback: When the hub cannot be reached, use the sample (with a warning) rather than
            raise. Off by default: asking for the hub and not getting it is an error.
        fields: Field names in the data for each role (``{"question": "problem", ...}``); the
            shipped sample always uses :attr:`sample_fields`.
        sequential: Walk the items in order (evaluation) instead of drawing them at random.
        num_shards: With ``sequential``, how many envs share the walk.
        shard: With ``sequential``, this env's shard (default: ``seed % num_shards`` at the first
            seeded reset, else 0).
        prompt_template: The observation at reset; ``{question}`` is replaced by the question.
        max_turns: Answers allowed (1: the answer ends the episode).
        **kwargs: :class:`~gem_gymnasium.core.TextEnv` options (``format_error_reward``, ...).
    """

    #: The offline sample's file name in ``gem_gymnasium/data/``.
    sample_file: ClassVar[str] = ""
    #: Field names used by the sample, per role.
    sample_fields: ClassVar[Mapping[str, str]] = {}
    #: Default prompt; ``{question}`` is replaced by the item's question.
    default_prompt: ClassVar[str] = "{question}"
    move_tools = (
        MoveTool(
            "answer",
            "Give your final answer.",
            (Param("text", "string", "The final answer, in the form the question asks for."),),
        ),
    )

    static_attributes = TextEnv.static_attributes | {
        "records",
        "fields",
        "sequential",
        "num_shards",
        "prompt_template",
        "env_name",
        "fixed_shard",
    }

    def __init__(
        self,
        *,
        source: str | Sequence[Mapping[str, Any]] | None = None,
        hub_name: str | None = None,
        hub_config: str | None = None,
        split: str | None = None,
        fallback: bool = False,
        fields: Mapping[str, str] | None = None,
        sequential: bool = False,
        num_shards: int = 1,
        shard: int | None = None,
        prompt_template: str | None = None,
        max_turns: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        self.env_name = type(self).__name__ + (f"({hub_name})" if hub_name else "")
        if not isinstance(num_shards, int) or num_shards < 1:
            raise ValueError(f"{self.env_name}: num_shards must be an int >= 1, got {num_shards!r}")
        if shard is not None and not 0 <= shard < num_shards:
            raise ValueError(f"{self.env_name}: shard must be in 0..{num_shards - 1}, got {shard}")
        self.records: Records = self._load(source, hub_name, hub_config, split, fallback)
        if self.records.from_sample and source is None:
            announce_sample(self.env_name, self.sample_file, hub_name, len(self.records.items))
        self.fields = dict(self.sample_fields if self.records.from_sample else (fields or {}))
        self._check_fields()
        self.prompt_template = self.default_prompt if prompt_template is None else prompt_template
        if "{question}" not in self.prompt_template:
            raise ValueError(f"{self.env_name}: prompt_template must contain '{{question}}'")
        self.sequential = bool(sequential)
        self.num_shards = num_shards
        self.fixed_shard = shard
        # --- episode state ---
        self.shard = shard if shard is not None else 0
        self.cursor = 0  # position in the shard's walk
        self.epoch = 0
        self.index = 0
        self.item: dict[str, Any] = {}
        self.agent_answer: str | None = None  # what the agent answered (``answer``: the gold)
        self.grade_info: dict[str, Any] = {}

    # --- data ---------------------------------------------------------------------------------

    def _load(
        self,
        source: str | Sequence[Mapping[str, Any]] | None,
        hub_name: str | None,
        hub_config: str | None,
        split: str | None,
        fallback: bool,
    ) -> Records:
        """Load the items (reasoning-gym overrides this to build a procedural dataset)."""
        return load_records(
            "sample" if source is None else source,
            sample=self.sample_file,
            hub_name=hub_name,
            hub_config=hub_config,
            split=split,
            fallback=fallback,
            env_name=self.env_name,
        )

    def _check_fields(self) -> None:
        first = self.records.items[0]
        missing = [key for key in self.fields.values() if key not in first]
        if missing:
            raise ValueError(
                f"{self.env_name}: the items from {self.records.origin} lack the field(s) "
                f"{missing}; they have {sorted(first)}. Name the right ones with the "
                f"*_key arguments."
            )

    @property
    def num_items(self) -> int:
        """How many items the env draws from."""
        return len(self.records.items)

    def field(self, role: str) -> Any:
        """The current item's value for ``role`` (``"question"``, ``"answer"``, ``"tests"``)."""
        return self.item[self.fields[role]]

    @property
    def answer(self) -> Any:
        """The current item's reference answer, GEM's ``env.answer`` (``None`` before the first
        reset or when the task has no answer field); the agent's is :attr:`agent_answer`."""
        key = self.fields.get("answer")
        return None if key is None or key not in self.item else self.item[key]

    def load_item(self, index: int) -> dict[str, Any]:
        """Item ``index`` as a plain dict."""
        return dict(self.records.items[index])

    # --- item selection ------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Start an episode on one item; see the module docstring for which."""
        if seed is not None and self.sequential:
            self.shard = (
                self.fixed_shard if self.fixed_shard is not None else seed % self.num_shards
            )
            self.cursor, self.epoch = 0, 0
        observation, info = super().reset(seed=seed, options=options)
        info.update(self._task_info())
        return observation, info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Grade the answer; ``info`` adds ``index``, ``epoch`` and the grader's details."""
        observation, reward, terminated, truncated, info = super().step(action)
        info.update(self._task_info())
        return observation, reward, terminated, truncated, info

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        options = options or {}
        if "index" in options:
            index = options["index"]
            if not isinstance(index, int) or isinstance(index, bool):
                raise TypeError(f"{self.env_name}: options['index'] must be an int, got {index!r}")
            if not 0 <= index < self.num_items:
                raise ValueError(
                    f"{self.env_name}: options['index'] must be in 0..{self.num_items - 1}, "
                    f"got {index}"
                )
            self.index = index
        elif self.sequential:
            self.index = self._next_in_shard()
        else:
            self.index = int(self.np_random.integers(self.num_items))
        self.item = self.load_item(self.index)
        self.agent_answer = None
        self.grade_info = {}

    def _next_in_shard(self) -> int:
        positions = range(self.shard, self.num_items, self.num_shards)
        if len(positions) == 0:  # more shards than items: this shard is empty
            self.epoch += 1
            return self.shard % self.num_items
        if self.cursor >= len(positions):
            self.epoch += 1
            self.cursor = 0
        index = positions[self.cursor]
        self.cursor += 1
        return index

    # --- TextEnv hooks ------------------------------------------------------------------------

    def question(self) -> str:
        """The current item's question text."""
        return str(self.field("question"))

    def rules(self) -> str:
        # Only the instructions are shown in the answer format: the question stays as written.
        return self.present(self.prompt_template).replace("{question}", self.question())

    def _present_rules(self, observation: str) -> str:
        if self.reply_format.kind == "tool_call":
            return f"{observation}\n\n{self.tool_instructions()}"
        return observation

    def parse_move(self, content: str) -> str | None:
        content = content.strip()
        return content or None

    def play(self, move: str) -> Outcome:
        self.agent_answer = move
        return self.grade(move)

    def grade(self, answer: str) -> Outcome:
        """Grade the extracted answer; set :attr:`grade_info` for ``info``."""
        raise NotImplementedError

    def render_text(self) -> str:
        if self._never_reset():
            return f"{type(self).__name__} (not started)"
        lines = [f"Item {self.index}: {self.question()}"]
        if self.agent_answer is not None:
            lines.append(f"Answer: {self.agent_answer[:500]}")
        if self.grade_info:
            lines.append("Grade: " + ", ".join(f"{k}={v}" for k, v in self.grade_info.items()))
        return "\n".join(lines)

    def _task_info(self) -> dict[str, Any]:
        return {"index": self.index, "epoch": self.epoch, **self.grade_info}

    @staticmethod
    def _outcome(correct: bool, feedback: str, reward: float | None = None) -> Outcome:
        reward = (1.0 if correct else 0.0) if reward is None else reward
        return Outcome(
            feedback,
            reward=reward,
            won=correct,
            lost=not correct,
            reason="correct" if correct else "incorrect",
        )
