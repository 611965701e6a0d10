"""QA: SQuAD normalisation, EM/F1, answer formats, and the shipped sample and search corpus."""

from __future__ import annotations

import json

import pytest

from gem_gymnasium.envs.tasks.qa_env import QAEnv, exact_match, f1_score, normalize_qa_answer
from gem_gymnasium.envs.tasks.records import DATA_DIR


@pytest.mark.parametrize(
    ("prediction", "golds", "em", "f1"),
    [
        ("Paris", ["Paris"], True, 1.0),
        ("  the Pacific Ocean. ", ["Pacific Ocean"], True, 1.0),
        ("PACIFIC", ["Pacific Ocean", "Pacific"], True, 1.0),
        ("Leonardo", ["Leonardo da Vinci"], False, 0.5),
        ("London", ["Paris"], False, 0.0),
        ("", ["Paris"], False, 0.0),
        ("42", ["42", "forty-two"], True, 1.0),
        ("an apple", ["apple"], True, 1.0),
        ("García Márquez", ["Gabriel García Márquez"], False, 0.8),
    ],
)
def test_exact_match_and_f1(prediction: str, golds: list[str], em: bool, f1: float) -> None:
    assert exact_match(prediction, golds) is em
    assert f1_score(prediction, golds) == pytest.approx(f1)


def test_normalisation_is_squads() -> None:
    assert normalize_qa_answer("The  Quick, brown fox!") == "quick brown fox"
    assert normalize_qa_answer("A cat and an owl") == "cat and owl"


@pytest.mark.parametrize("answer_format", ["tag", "boxed"])
def test_prompt_and_extractor_agree(answer_format: str) -> None:
    env = QAEnv(answer_format=answer_format)
    obs, _ = env.reset(seed=0)
    gold = env.item["answer"][0]
    wrapped = f"<answer>{gold}</answer>" if answer_format == "tag" else f"\\boxed{{{gold}}}"
    other = f"\\boxed{{{gold}}}" if answer_format == "tag" else f"<answer>{gold}</answer>"
    assert ("<answer>" in obs) == (answer_format == "tag")
    assert ("\\boxed{}" in obs) == (answer_format == "boxed")
    _, reward, terminated, _, info = env.step(f"<think>easy</think> {wrapped}")
    assert (reward, terminated, info["em"], info["f1"]) == (1.0, True, 1.0, 1.0)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(other)  # the other form is a format error
    assert reward == -0.1 and info["format_error"]


def test_partial_answer_reports_f1_but_pays_nothing() -> None:
    env = QAEnv(source=[{"question": "Who?", "answer": ["Leonardo da Vinci"]}])
    env.reset(seed=0)
    _, reward, _, _, info = env.step("<answer>Leonardo</answer>")
    assert reward == 0.0 and info["f1"] == pytest.approx(0.5) and not info["correct"]


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA_DIR / name).read_text().splitlines() if line]


def test_search_corpus_answers_every_sample_question() -> None:
    questions = _jsonl("qa_sample.jsonl")
    corpus = _jsonl("search_corpus.jsonl")
    by_id = {p["id"]: p for p in corpus}
    assert len(questions) == 50 and len(by_id) == len(corpus) >= 300
    assert (DATA_DIR / "search_corpus.jsonl").stat().st_size < 1_000_000
    assert all(set(p) == {"id", "title", "text"} for p in corpus)
    for q in questions:
        passage = by_id[q["passage_id"]]
        text = normalize_qa_answer(passage["title"] + " " + passage["text"])
        assert any(normalize_qa_answer(a) in text for a in q["answer"]), q
