"""Answer formats, move tools and tool-call parsing (:mod:`gem_gymnasium.actions`)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import gymnasium as gym
import pytest

import gem_gymnasium
from gem_gymnasium.actions import (
    AnswerFormat,
    MoveTool,
    Param,
    ToolCall,
    ToolCallError,
    move_text,
    parse_tool_calls,
    tool_schemas,
    tools_for,
)
from gem_gymnasium.core import TextEnv
from gem_gymnasium.parsing import last_delimited

CELL = (Param("row", "integer", "Row."), Param("col", "integer", "Column."))
REVEAL = MoveTool("reveal", "Reveal a cell.", CELL, "reveal {row} {col}")
FLAG = MoveTool("flag", "Flag a cell.", CELL, "flag {row} {col}")
TOOLS = (REVEAL, FLAG)


def hermes(name: str, arguments: object) -> str:
    return f"<tool_call>{json.dumps({'name': name, 'arguments': arguments})}</tool_call>"


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        hermes("reveal", {"row": 3, "col": 2}),
        "Thinking... " + hermes("reveal", {"row": 3, "col": 2}) + " done",
        {"name": "reveal", "arguments": {"row": 3, "col": 2}},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "reveal", "arguments": '{"row": 3, "col": 2}'},
                }
            ],
        },
        json.dumps(
            {"tool_calls": [{"function": {"name": "reveal", "arguments": {"row": 3, "col": 2}}}]}
        ),
        '{"name": "reveal", "arguments": {"row": 3, "col": 2}}',
    ],
)
def test_every_call_shape_gives_the_same_move(action: object) -> None:
    calls = parse_tool_calls(action)  # type: ignore[arg-type]
    assert len(calls) == 1
    assert move_text(calls[0], TOOLS) == "reveal 3 2"


def test_several_calls_are_kept_in_order() -> None:
    calls = parse_tool_calls(
        hermes("reveal", {"row": 0, "col": 1}) + hermes("flag", {"row": 2, "col": 3})
    )
    assert [move_text(c, TOOLS) for c in calls] == ["reveal 0 1", "flag 2 3"]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("no call here", "no tool call found"),
        ("<tool_call>{oops</tool_call>", "not valid JSON"),
        ("<tool_call>" + "[" * 50_000 + "</tool_call>", "nested too deeply"),
        ('<tool_call>{"arguments": {}}</tool_call>', 'needs a "name"'),
        ("<tool_call>[1]</tool_call>", "must be a JSON object"),
        ('{"tool_calls": []}', "non-empty list"),
        (
            {"tool_calls": [{"function": {"name": "reveal", "arguments": "{bad"}}]},
            "arguments of 'reveal'",
        ),
    ],
)
def test_unusable_calls_say_what_is_wrong(action: object, message: str) -> None:
    with pytest.raises(ToolCallError, match=message):
        parse_tool_calls(action)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (ToolCall("dig", {}), "unknown tool 'dig'; the tools are reveal\\(row, col\\), flag"),
        (ToolCall("reveal", {"row": 1}), "'col' is a required property"),
        (
            ToolCall("reveal", {"row": "one", "col": 1}),
            "\\['row'\\] 'one' is not of type 'integer'",
        ),
        (ToolCall("reveal", {"row": True, "col": 1}), "True is not of type 'integer'"),
        (ToolCall("reveal", {"row": 1, "col": 1, "x": 0}), "'x' was unexpected"),
        (ToolCall("reveal", [1, 2]), "is not of type 'object'"),
    ],
)
def test_bad_arguments_name_the_problem(call: ToolCall, message: str) -> None:
    with pytest.raises(ToolCallError, match=message):
        move_text(call, TOOLS)


def test_parsing_is_linear_on_many_open_blocks() -> None:
    with pytest.raises(ToolCallError):
        parse_tool_calls("<tool_call>" * 200_000)
    assert parse_tool_calls("<tool_call>" * 50_000 + hermes("flag", {"row": 1, "col": 1}))


# --- tools -------------------------------------------------------------------------------------


def test_schema_is_openai_function_format() -> None:
    assert REVEAL.schema() == {
        "type": "function",
        "function": {
            "name": "reveal",
            "description": "Reveal a cell.",
            "parameters": {
                "type": "object",
                "properties": {
                    "row": {"type": "integer", "description": "Row."},
                    "col": {"type": "integer", "description": "Column."},
                },
                "required": ["row", "col"],
                "additionalProperties": False,
            },
        },
    }


def test_tools_for_needs_no_env_instance() -> None:
    code = (
        "import sys, gem_gymnasium\n"
        "from gem_gymnasium.actions import tools_for\n"
        "names = [t['function']['name'] for t in tools_for('gem/Minesweeper-v0')]\n"
        "assert names == ['reveal', 'flag'], names\n"
        "assert 'gem_gymnasium.envs.games.word_data' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize(
    ("env_id", "expected"),
    [
        ("gem/GuessTheNumber-v0", {"guess": ["number"]}),
        ("gem/Minesweeper-Easy-v0", {"reveal": ["row", "col"], "flag": ["row", "col"]}),
        ("gem/Sudoku-v0", {"place": ["row", "col", "digit"]}),
        ("gem/Code-v0", {"submit": ["code"]}),
        ("gem/QA-v0", {"answer": ["text"]}),
        ("gem/Math-v0", {"answer": ["text"]}),
        ("gem/RG-Ab-v0", {"answer": ["text"]}),
        ("gem/TicTacToe-vsRandom-v0", {"mark": ["cell"]}),
        (
            "gem/Negotiation-vsRandom-v0",
            {"propose": ["counts"], "accept": [], "reject": [], "say": ["text"]},
        ),
    ],
)
def test_declared_tools(env_id: str, expected: dict[str, list[str]]) -> None:
    tools = {
        t["function"]["name"]: list(t["function"]["parameters"]["properties"])
        for t in tools_for(env_id)
    }
    assert tools == expected


def test_every_game_declares_its_own_moves() -> None:
    generic = tool_schemas(TextEnv.move_tools)
    for env_id, info in gem_gymnasium.catalogue().items():
        if info.group in ("game", "multiagent"):
            assert tools_for(env_id) != generic, env_id


def test_a_tool_without_arguments_needs_a_template() -> None:
    with pytest.raises(ValueError, match="needs a template"):
        MoveTool("pass", "Pass.")
    with pytest.raises(ValueError, match="unknown argument 'x'"):
        MoveTool("t", "T.", (Param("a", "integer", "A."),), "{x}")
    with pytest.raises(ValueError, match="kind must be one of"):
        Param("a", "float", "A.")


# --- answer formats ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "reply"),
    [
        ("boxed", "so \\boxed{reveal 1 2}"),
        ("answer_tags", "so <answer>reveal 1 2</answer>"),
        ("tag", "<answer> reveal 1 2 </answer>"),
        ("code_block", "```\nreveal 1 2\n```"),
        (("[[", "]]"), "[[x]] and then [[reveal 1 2]]"),
    ],
)
def test_each_format_reads_its_own_replies(spec: object, reply: str) -> None:
    assert AnswerFormat.of(spec).extract(reply).strip() == "reveal 1 2"  # type: ignore[union-attr]


@pytest.mark.parametrize("spec", ["json", "", ("<a>",), ("<a>", ""), 3, ("<a>", 3)])
def test_unknown_formats_are_refused_clearly(spec: object) -> None:
    with pytest.raises(ValueError, match="answer_format"):
        AnswerFormat.of(spec)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"GuessTheNumber: .*answer_format"):
        gem_gymnasium.make("gem/GuessTheNumber-v0", answer_format=spec)


def test_last_delimited() -> None:
    assert last_delimited("<<a>> <<b", "<<", ">>") == "a"
    assert last_delimited("no close <<a", "<<", ">>") is None


def test_examples_in_the_rules_follow_the_format() -> None:
    text = "Enter \\boxed{reveal ROW COL}, for example \\boxed{flag 0 1}."
    assert AnswerFormat.of("answer_tags").rewrite_examples(text) == (
        "Enter <answer>reveal ROW COL</answer>, for example <answer>flag 0 1</answer>."
    )
    assert AnswerFormat.of("tool_call").rewrite_examples(text, TOOLS) == (
        "Enter reveal(row=ROW, col=COL), for example flag(row=0, col=1)."
    )


# --- envs --------------------------------------------------------------------------------------


def test_defaults_are_unchanged() -> None:
    for env_id, spec in [
        ("gem/GuessTheNumber-v0", "boxed"),
        ("gem/Math-v0", "boxed"),
        ("gem/QA-v0", "answer_tags"),
        ("gem/QA-RuleTaker-d0-v0", "boxed"),
        ("gem/Code-v0", "code_block"),
        ("gem/TicTacToe-vsRandom-v0", "boxed"),
    ]:
        assert gem_gymnasium.make(env_id).unwrapped.answer_format == spec


def test_qa_default_prompt_is_byte_identical() -> None:
    obs, _ = gem_gymnasium.make("gem/QA-v0").reset(seed=0)
    assert "inside <answer> and </answer>, for example <answer>Paris</answer>." in obs


def test_action_format_is_the_same_option() -> None:
    env = gem_gymnasium.make("gem/GuessTheNumber-v0", action_format="tool_call")
    assert env.unwrapped.answer_format == "tool_call"
    with pytest.raises(ValueError, match="disagree"):
        gem_gymnasium.make(
            "gem/GuessTheNumber-v0", answer_format="boxed", action_format="tool_call"
        )


def test_tool_call_env_game_rules() -> None:
    env = gem_gymnasium.make(
        "gem/GuessTheNumber-v0", answer_format="tool_call", end_on_format_error=False
    )
    obs, _ = env.reset(seed=0)
    assert "guess(number=7)" in obs and "\\boxed" not in obs
    assert "Act by calling one tool per turn: guess(number)." in obs
    # A number out of range is a well-formed call: an invalid move, not a format error.
    obs, reward, terminated, _, info = env.step(hermes("guess", {"number": 99}))
    assert (reward, terminated, info["valid_action"], info["format_error"]) == (
        0.0,
        False,
        False,
        False,
    )
    obs, reward, _, _, info = env.step(hermes("guess", {"number": "7"}))
    assert info["format_error"] and reward == -0.1
    assert obs.startswith(
        "Format error: bad arguments for guess(number): ['number'] '7' is not of type"
    )
    obs, *_, info = env.step(hermes("guess", {"number": 3}) + hermes("guess", {"number": 4}))
    assert (
        info["format_error"]
        and "2 tool calls in one reply; this game takes one move per turn" in obs
    )
    # A boxed answer is not a tool call.
    _, _, _, _, info = env.step("\\boxed{5}")
    assert info["format_error"]


def test_message_dicts_are_actions_only_for_tool_call_envs() -> None:
    message = {
        "role": "assistant",
        "tool_calls": [{"function": {"name": "guess", "arguments": '{"number": 5}'}}],
    }
    env = gem_gymnasium.make("gem/GuessTheNumber-v0", answer_format="tool_call")
    env.reset(seed=0)
    _, _, _, _, info = env.step(message)
    assert info["valid_action"] and not info["format_error"]
    plain = gem_gymnasium.make("gem/GuessTheNumber-v0")
    plain.reset(seed=0)
    with pytest.raises(TypeError, match=r"GuessTheNumber takes str actions .*got dict"):
        plain.unwrapped.step(message)
    with pytest.raises(TypeError, match="or assistant message dicts, got list"):
        env.unwrapped.step([message])


def test_code_env_takes_a_submit_call() -> None:
    env = gem_gymnasium.make("gem/Code-v0", answer_format="tool_call")
    obs, _ = env.reset(seed=0, options={"index": 0})
    assert "submit" in obs and "```" not in obs.split("\n\n")[0]
    _, reward, terminated, _, info = env.step(hermes("submit", {"code": "print(1)"}))
    assert terminated and not info["format_error"] and reward in (0.0, 1.0)


def test_formats_survive_pickling_and_snapshots() -> None:
    env = gem_gymnasium.make("gem/Sudoku-Easy-v0", answer_format=("<m>", "</m>"))
    env.reset(seed=0)
    clone = pickle.loads(pickle.dumps(env))
    action = env.unwrapped.sample_random_action()
    assert action.startswith("<m>")
    assert clone.step(action)[:4] == env.step(action)[:4]
    state = env.unwrapped.get_state()
    assert "reply_format" not in state.variables and "extract_answer" not in state.variables


def test_make_vec_with_tool_calls() -> None:
    envs = gym.make_vec("gem/GuessTheNumber-v0", num_envs=2, answer_format="tool_call")
    try:
        envs.reset(seed=0)
        _, _, _, _, infos = envs.step((hermes("guess", {"number": 10}), "nothing"))
        assert list(infos["format_error"]) == [False, True]
    finally:
        envs.close()


def test_tool_calls_without_jsonschema_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "jsonschema" else real(name, *a),
    )
    with pytest.raises(gym.error.DependencyNotInstalled, match=r"gem-gymnasium\[tools\]"):
        gem_gymnasium.make("gem/GuessTheNumber-v0", answer_format="tool_call")


def test_a_turn_may_call_say_besides_its_move_where_players_talk() -> None:
    env = gem_gymnasium.make("gem/PrisonersDilemma-vsRandom-v0", answer_format="tool_call")
    obs, _ = env.reset(seed=0)
    assert "add say(text) to send a message" in obs
    _, _, _, _, info = env.step(
        hermes("say", {"text": "Let us cooperate."}) + hermes("choose", {"move": "C"})
    )
    assert info["valid_action"] and not info["format_error"]
    assert "Let us cooperate." in env.unwrapped.game.observe("player_1")
    obs, *_, info = env.step(hermes("say", {"text": "hi"}))
    assert info["format_error"] and obs.startswith(
        "Format error: 0 move calls; make exactly one of choose(move)"
    )
    obs, *_, info = env.step(
        hermes("say", {"text": "a"})
        + hermes("say", {"text": "b"})
        + hermes("choose", {"move": "D"})
    )
    assert info["format_error"] and "2 say calls" in obs
    # Games without a message channel have no say tool: it is an unknown tool there.
    ttt = gem_gymnasium.make("gem/TicTacToe-vsRandom-v0", answer_format="tool_call")
    ttt.reset(seed=0)
    obs, *_, info = ttt.step(hermes("say", {"text": "hi"}) + hermes("mark", {"cell": 5}))
    assert info["format_error"] and "unknown tool 'say'; the tools are mark(cell)" in obs


def test_values_are_substituted_once_and_huge_numbers_are_refused() -> None:
    write = MoveTool(
        "write",
        "W.",
        (Param("text", "string", "T."), Param("row", "integer", "R.")),
        "{text} {row}",
    )
    assert write.move_text({"text": "{row}", "row": 3}) == "{row} 3"
    with pytest.raises(ToolCallError, match=r"an argument of reveal\(row, col\) is too large"):
        move_text(ToolCall("reveal", {"row": 10**5000, "col": 1}), TOOLS)
    env = gem_gymnasium.make(
        "gem/GuessTheNumber-v0", answer_format="tool_call", end_on_format_error=False
    )
    env.reset(seed=0)
    for huge in ({"number": 10**5000}, {"number": [10**5000]}):
        obs, *_, info = env.step({"name": "guess", "arguments": huge})
        assert info["format_error"] and "too large" in obs
