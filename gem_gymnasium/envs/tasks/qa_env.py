"""QAEnv: answer a question in a few words, scored by exact match after SQuAD normalisation."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from gem_gymnasium.actions import AnswerFormat
from gem_gymnasium.core import Outcome
from gem_gymnasium.envs.tasks.base import DatasetEnv

__all__ = ["QAEnv", "exact_match", "f1_score", "normalize_qa_answer"]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_qa_answer(text: str) -> str:
    """SQuAD's normalisation: lowercase, drop punctuation and articles, collapse whitespace."""
    text = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: Sequence[str]) -> bool:
    """Whether the normalised prediction equals any normalised gold answer."""
    predicted = normalize_qa_answer(prediction)
    return any(predicted == normalize_qa_answer(gold) for gold in golds)


def f1_score(prediction: str, golds: Sequence[str]) -> float:
    """The best token-overlap F1 between the prediction and any gold answer (SQuAD's metric)."""
    predicted = normalize_qa_answer(prediction).split()
    best = 0.0
    for gold in golds:
        expected = normalize_qa_answer(gold).split()
        if not predicted or not expected:
            best = max(best, float(predicted == expected))
            continue
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def gold_answers(value: Any) -> list[str]:
    """A dataset's answer field (a string, a number, or a list of them) as a list of strings."""
    if isinstance(value, dict) and "text" in value:  # SQuAD-style {"text": [...], ...}
        value = value["text"]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


_PROMPTS = {
    "tag": (
        "Answer the question below. You may reason first; then give only the final short answer "
        "inside <answer> and </answer>, for example <answer>Paris</answer>.\n\nQuestion: {question}"
    ),
    "boxed": (
        "Answer the question below. You may reason first; then give only the final short answer "
        "inside \\boxed{}, for example \\boxed{Paris}.\n\nQuestion: {question}"
    ),
}
_RANDOM_ANSWERS = ("Paris", "1969", "yes", "no", "water", "Einstein", "blue whale", "42")


class QAEnv(DatasetEnv):
    r"""Answer one question; exact match after SQuAD normalisation against any gold answer.

    ## Description
    Each episode is one question from a dataset (GEM's NaturalQuestions, HotpotQA, RuleTaker and
    the search evaluation sets, a local file, or the shipped 50-question sample, whose answers are
    all in the shipped search corpus used by the ``search_tool`` wrapper). Single turn on its own;
    multi-turn with a tool wrapper.

    ## Action Space
    Free text. The answer is the content of the last ``<answer>...</answer>`` (``answer_format=
    "answer_tags"``, the default; ``"tag"`` is accepted as its old name), of the last
    ``\boxed{...}`` (``"boxed"``), a call of the ``answer(text)`` tool (``"tool_call"``) or any
    other answer format of :mod:`gem_gymnasium.actions`; the prompt asks for the same form the
    extractor reads.

    ## Observation Space
    Text. At reset: the instructions and the question. After the answer: whether it matched, with
    a gold answer.

    ## Starting State
    The question is drawn with ``self.np_random``; ``options={"index": i}`` picks question ``i``;
    ``sequential=True`` walks them in order (see
    :class:`~gem_gymnasium.envs.tasks.base.DatasetEnv`).

    ## Rewards
    * 1.0 if the normalised answer (lowercase, no punctuation, no articles, single spaces)
      equals a normalised gold answer;
    * 0.0 otherwise (token F1 is reported in ``info`` but not paid);
    * ``format_error_reward`` (-0.1) when the answer tag or box is missing or empty.

    ## Episode End
    Termination: the first answer (or format error). Truncation: never by the env itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``, ``index``, ``epoch``; after an
    answer ``correct``, ``em`` (0.0/1.0) and ``f1``; at the end ``success`` and ``reason``.

    ## Arguments
    ```python
    gymnasium.make("gem/QA-v0", source=None, hub_name=None, split=None, question_key="question",
                   answer_key="answer", answer_format="answer_tags", sequential=False, num_shards=1,
                   shard=None, prompt_template=None, format_error_reward=-0.1, render_mode=None)
    ```
    ``source`` and sharding as for :class:`~gem_gymnasium.envs.tasks.math_env.MathEnv`. A custom
    ``prompt_template`` must ask for the ``answer_format`` in use.

    ## Version History
    * v0: Initial version.
    """

    sample_file = "qa_sample.jsonl"
    sample_fields: ClassVar[Mapping[str, str]] = {"question": "question", "answer": "answer"}

    def __init__(
        self,
        *,
        question_key: str = "question",
        answer_key: str = "answer",
        answer_format: str | tuple[str, str] = "answer_tags",
        **kwargs: Any,
    ) -> None:
        # The tag prompt for tags; every other format shows the boxed prompt's examples its way.
        try:
            tags = AnswerFormat.of(answer_format).kind == "answer_tags"
        except ValueError:
            tags = False  # TextEnv raises the error, naming the env
        prompt = _PROMPTS["tag" if tags else "boxed"]
        kwargs["prompt_template"] = kwargs.get("prompt_template") or prompt
        super().__init__(
            fields={"question": question_key, "answer": answer_key},
            answer_format=answer_format,
            **kwargs,
        )

    default_answer_format = "answer_tags"

    def grade(self, answer: str) -> Outcome:
        golds = gold_answers(self.field("answer"))
        correct = exact_match(answer, golds)
        self.grade_info = {
            "correct": correct,
            "em": float(correct),
            "f1": f1_score(answer, golds),
        }
        shown = answer if len(answer) <= 200 else answer[:200] + "..."
        if correct:
            return self._outcome(True, f"Correct: {shown}.")
        return self._outcome(
            False, f"Incorrect: you answered {shown}; a correct answer is {golds[0]}."
        )

    def format_error_message(self) -> str:
        return "Format error: no answer found. Put your final answer inside \\boxed{...}."

    def sample_random_action(self) -> str:
        word = _RANDOM_ANSWERS[int(self.action_space.np_random.integers(len(_RANDOM_ANSWERS)))]
        return f"<answer>{word}</answer>"
