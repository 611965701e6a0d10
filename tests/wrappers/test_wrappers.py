"""History/chat wrappers, tool use, episode statistics and the ``apply_wrappers`` name stack."""

from __future__ import annotations

import pickle
import subprocess
import sys

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gem_gymnasium
from gem_gymnasium.tools.base import Tool, ToolCall, ToolResult, first_tagged
from gem_gymnasium.wrappers import (
    WRAPPERS,
    ApplyChatTemplate,
    ConcatenateObservations,
    RecordLLMEpisodeStatistics,
    UseTools,
    apply_wrappers,
)

pytestmark = pytest.mark.timeout(60)


class EchoTool(Tool):
    """``<echo>x</echo>`` returns ``x``; ``<echo>fail</echo>`` fails."""

    name = "echo"

    def instructions(self) -> str:
        return "Use <echo>text</echo>."

    def find_call(self, action: str) -> ToolCall | None:
        hit = first_tagged(action, "echo")
        return None if hit is None else ToolCall(self.name, hit[0], hit[1])

    def execute(self, call: ToolCall) -> ToolResult:
        return ToolResult(f"echo: {call.payload}", call.payload != "fail")


def guess_env() -> gym.Env:
    return gem_gymnasium.make("gem/GuessTheNumber-v0")


def secret_of(env: gym.Env) -> int:
    return env.unwrapped.secret


# --- apply_wrappers -----------------------------------------------------------------------------


def test_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match=r"known wrappers: .*concat_chat"):
        apply_wrappers(guess_env(), "concat,nonsense")


def test_stray_option_is_an_error():
    with pytest.raises(ValueError, match="tokenizer"):
        apply_wrappers(guess_env(), "concat", tokenizer=object())


def test_gem_names_are_all_known():
    for name in ("concat", "concat_with_action", "concat_chat", "python_tool", "search_tool"):
        assert name in WRAPPERS
    assert {"mcp_tool", "episode_stats"} <= set(WRAPPERS)


def test_stack_order_and_spec_round_trip():
    env = apply_wrappers(guess_env(), ["python_tool", "concat_with_action", "episode_stats"])
    assert isinstance(env, RecordLLMEpisodeStatistics)
    assert isinstance(env.env, ConcatenateObservations)
    assert isinstance(env.env.env, UseTools)
    names = [w.name for w in env.spec.additional_wrappers]
    assert names == ["UseTools", "ConcatenateObservations", "RecordLLMEpisodeStatistics"]
    rebuilt = gym.make(env.spec)
    obs_a, _ = env.reset(seed=3)
    obs_b, _ = rebuilt.reset(seed=3)
    assert obs_a == obs_b
    assert (
        apply_wrappers(guess_env(), "").spec.additional_wrappers
        == guess_env().spec.additional_wrappers
    )


def test_concat_chat_needs_a_tokenizer():
    with pytest.raises(ValueError, match="tokenizer"):
        apply_wrappers(guess_env(), "concat_chat")


# --- history ------------------------------------------------------------------------------------


def test_concat_keeps_observations_only():
    env = apply_wrappers(guess_env(), "concat")
    first, _ = env.reset(seed=0)
    second, *_ = env.step("\\boxed{1}")
    assert second.startswith(first)
    assert "\\boxed{1}" not in second.replace(first, "")


def test_concat_with_action_and_max_history():
    env = ConcatenateObservations(guess_env(), include_action=True, max_history=1)
    first, _ = env.reset(seed=0)
    obs, *_ = env.step("\\boxed{1}")
    assert obs.startswith(first) and "\\boxed{1}" in obs
    obs, _, _, _, info = env.step("\\boxed{2}")
    assert not obs.startswith(first)  # the first observation fell out of the window
    assert "\\boxed{2}" in obs and "\\boxed{1}" not in obs.split("\\boxed{2}")[-1]
    roles = [m["role"] for m in info["messages"]]
    assert roles == ["user", "assistant", "user"]
    assert env.observation_space.contains(obs)


def test_messages_are_fresh_per_call():
    env = ConcatenateObservations(guess_env())
    _, info_a = env.reset(seed=0)
    _, *_, info_b = env.step("\\boxed{3}")
    info_a["messages"].append("junk")
    assert "junk" not in info_b["messages"]


def test_chat_template(tokenizer):
    env = apply_wrappers(guess_env(), "concat_chat", tokenizer=tokenizer, system_prompt="Be brief.")
    assert isinstance(env, ApplyChatTemplate)
    first, info = env.reset(seed=0)
    state = info["messages"][-1]["content"]
    assert first == f"<|system|>Be brief.<|end|><|user|>{state}<|end|><|assistant|>"
    obs, *_, info = env.step("\\boxed{4}")
    assert obs.endswith("<|end|><|assistant|>")
    assert "<|assistant|>\\boxed{4}<|end|>" in obs
    # The current state is the last user message, once (nothing after the generation prompt).
    last = info["messages"][-1]["content"]
    assert obs.count(last) == 1 and obs.index(last) < obs.rindex("<|assistant|>")


def test_chat_marks_tool_turns(tokenizer):
    env = apply_wrappers(UseTools(guess_env(), [EchoTool()]), "concat_chat", tokenizer=tokenizer)
    env.reset(seed=0)
    obs, *_ = env.step("thinking <echo>hi</echo> trailing text")
    assert "<|tool|>echo: hi<|end|><|assistant|>" in obs
    assert "<|assistant|>thinking <echo>hi</echo><|end|>" in obs  # cut after the call


# --- tool use -----------------------------------------------------------------------------------


def test_tool_turns_do_not_use_game_turns():
    env = UseTools(guess_env(), [EchoTool()], tool_reward=0.1, tool_success_reward=0.5)
    obs, info = env.reset(seed=0)
    assert obs.endswith("Use <echo>text</echo>.")
    obs, reward, terminated, _, info = env.step("<echo>a</echo><echo>b</echo>")
    assert obs == "echo: a" and reward == pytest.approx(0.6) and not terminated
    assert info["use_tool"] and info["tool"] == "echo" and info["tool_use_counter"] == 1
    _, reward, *_, info = env.step("<echo>fail</echo>")
    assert reward == pytest.approx(0.1) and info["tool_success_counter"] == 1
    _, _, _, _, info = env.step("\\boxed{1}")
    assert info["turn"] == 1 and not info["use_tool"]


def test_tool_cap_and_gem_python_preset():
    env = apply_wrappers(guess_env(), "python_tool_int_reward")
    assert (env.tool_reward, env.tool_success_reward, env.max_tool_uses) == (0.05, 0.25, 5)
    env = UseTools(guess_env(), [EchoTool()], max_tool_uses=2)
    env.reset(seed=0)
    env.step("<echo>1</echo>")
    obs, *_ = env.step("<echo>2</echo>")
    assert "maximum number of tool uses" in obs
    obs, _, _, _, info = env.step("<echo>3</echo>")  # goes to the game: a format error
    assert not info["use_tool"] and info["format_error"]


def test_earliest_ending_call_wins_across_tools():
    class Other(EchoTool):
        name = "other"

        def find_call(self, action):
            hit = first_tagged(action, "other")
            return None if hit is None else ToolCall(self.name, hit[0], hit[1])

    env = UseTools(guess_env(), [EchoTool(), Other()])
    obs, _ = env.reset(seed=0)
    assert obs.count("Available tools") == 1
    _, _, _, _, info = env.step("<echo>x <other>y</other> </echo>")
    assert info["tool"] == "other"


def test_bad_arguments():
    with pytest.raises(TypeError):
        UseTools(guess_env(), [])
    with pytest.raises(ValueError):
        UseTools(guess_env(), [EchoTool()], max_tool_uses=-1)
    env = UseTools(guess_env(), [EchoTool()])
    env.reset(seed=0)
    with pytest.raises(TypeError):
        env.step(5)  # type: ignore[arg-type]


def test_episode_statistics():
    env = apply_wrappers(UseTools(guess_env(), [EchoTool()]), "episode_stats")
    env.reset(seed=1)
    env.step("<echo>x</echo>")
    _, _, terminated, _, info = env.step(f"\\boxed{{{secret_of(env)}}}")
    assert terminated
    stats = info["episode"]
    assert stats["success"] is True and stats["tool_calls"] == 1 and stats["l"] == 2
    assert stats["format_errors"] == 0 and set(stats) >= {"r", "l", "t"}


def test_python_tool_plays_guess_the_number():
    env = apply_wrappers(guess_env(), "python_tool,concat_with_action,episode_stats")
    obs, _ = env.reset(seed=7)
    assert "<python>" in obs
    code = "<python>\nprint(sum(range(1, 21)) // 20)\n</python>"
    obs, reward, *_, info = env.step(code)
    assert "Code execution result: 10" in obs and reward == 0.0  # tool calls pay nothing
    low, high = 1, 20
    for _ in range(6):
        guess = (low + high) // 2
        obs, _, terminated, _, info = env.step(f"\\boxed{{{guess}}}")
        if terminated:
            break
        if "too low" in info["messages"][-1]["content"].splitlines()[0]:
            low = guess + 1
        else:
            high = guess - 1
    assert terminated and info["episode"]["success"]
    assert info["episode"]["tool_calls"] == 1


def test_wrapped_env_pickles():
    env = apply_wrappers(guess_env(), "python_tool,concat")
    env.reset(seed=0)
    clone = pickle.loads(pickle.dumps(env))
    assert clone.reset(seed=0)[0] == env.reset(seed=0)[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=200),
            st.sampled_from(
                ["<echo>", "</echo>", "<echo></echo>", "\\boxed{", "<echo>fail</echo>"]
            ),
        ),
        max_size=8,
    )
)
def test_fuzzed_actions_never_raise(pieces):
    env = apply_wrappers(UseTools(guess_env(), [EchoTool()]), "concat_with_action,episode_stats")
    env.reset(seed=0)
    for piece in pieces:
        obs, reward, terminated, truncated, _ = env.step(piece * 3)
        assert isinstance(obs, str) and isinstance(reward, float | int)
        if terminated or truncated:
            env.reset()


# --- the CLI ------------------------------------------------------------------------------------


def test_play_with_python_tool_from_the_cli():
    script = "\n".join(
        ["\\", "Let me compute.", "<python>", "print(2 + 3)", "</python>", "."]
        + [f"\\boxed{{{n}}}" for n in (10, 15, 5, 8, 12, 3, 18, 1, 20, 7)]
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gem_gymnasium.cli",
            "play",
            "gem/GuessTheNumber-v0",
            "--seed",
            "0",
            "--wrappers",
            "python_tool,episode_stats",
        ],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "Code execution result: 5" in out.stdout
    assert "Episode 1 finished" in out.stdout


def test_play_qa_with_search_from_the_cli():
    script = "<search>capital city of Australia</search>\n<answer>Canberra</answer>\n"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gem_gymnasium.cli",
            "play",
            "gem/QA-v0",
            "--wrappers",
            "search_tool",
        ],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "<information>Doc 1(Title: Canberra)" in out.stdout
    assert "Episode 1 finished" in out.stdout


def test_tool_calls_pay_nothing_unless_asked_for():
    for name in (
        "python_tool",
        "python_tool_no_int_reward",
        "search_tool",
        "search_tool_no_int_reward",
    ):
        env = apply_wrappers(guess_env(), name)
        assert (env.tool_reward, env.tool_success_reward) == (0.0, 0.0), name
    # A wrong QA answer after one search: nothing gained by default, +0.3 with GEM's shaping.
    returns = {}
    for name in ("search_tool", "search_tool_int_reward"):
        env = apply_wrappers(gem_gymnasium.make("gem/QA-v0"), name)
        env.reset(seed=0)
        _, search_reward, *_ = env.step("<search>capital city of Australia</search>")
        _, answer_reward, terminated, _, info = env.step("<answer>no idea at all</answer>")
        assert terminated and not info["success"]
        returns[name] = search_reward + answer_reward
    assert returns["search_tool"] <= 0.0
    assert returns["search_tool_int_reward"] == pytest.approx(0.3)
