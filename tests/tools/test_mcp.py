"""The MCP client against real MCP servers (written with the official SDK) over stdio."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest

pytest.importorskip("mcp")

import gem_gymnasium
from gem_gymnasium.tools.mcp_client import MCPServerSpec, MCPTool
from gem_gymnasium.wrappers import apply_wrappers

pytestmark = pytest.mark.timeout(120)

SERVER = str(Path(__file__).with_name("mcp_server.py"))


def call(name: str, arguments: str = "{}") -> str:
    return f"<tool_call><tool_name>{name}</tool_name><arguments>{arguments}</arguments></tool_call>"


@pytest.fixture(scope="module")
def tool():
    mcp_tool = MCPTool(
        {
            "alpha": {"command": sys.executable, "args": [SERVER, "alpha"]},
            "beta": f"{sys.executable} {SERVER} beta",
        },
        timeout=3,
    )
    yield mcp_tool
    mcp_tool.close()


def test_lists_tools_of_every_server_with_schemas(tool):
    text = tool.instructions()
    assert "<tool_call><tool_name>NAME</tool_name>" in text
    # Both servers offer the same tools, so each is qualified by its server's name.
    assert set(tool.tool_names) == {
        f"{server}.{name}"
        for server in ("alpha", "beta")
        for name in ("add", "whoami", "fail", "slow")
    }
    assert '"required": ["a", "b"]' in text and "Add two integers." in text


def test_calls_are_routed_to_their_server(tool):
    for server in ("alpha", "beta"):
        result = tool.execute(tool.find_call(call(f"{server}.whoami")))
        assert (
            result.ok and result.observation == f"\n<tool_response>\n{server}\n</tool_response>\n"
        )
    result = tool.execute(tool.find_call("I will add. " + call("alpha.add", '{"a": 2, "b": 40}')))
    assert result.ok and "42" in result.observation


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (call("alpha.fail", '{"message": "boom"}'), "fail"),
        (call("nope"), "unknown tool 'nope'"),
        (call("alpha.add", "{not json"), "not valid JSON"),
        (call("alpha.add", "[1, 2]"), "JSON object"),
        (call("alpha.add", '{"a": "x", "b": 1}'), "Error"),
        ("<tool_call><arguments>{}</arguments></tool_call>", "no <tool_name>"),
        (call("alpha.slow", '{"seconds": 30}'), "did not answer within 3 s"),
    ],
)
def test_errors_come_back_as_observations(tool, action, message):
    result = tool.execute(tool.find_call(action))
    assert not result.ok and message in result.observation
    assert result.observation.startswith("\n<tool_response>\nError")


def test_still_works_after_a_timeout(tool):
    assert tool.execute(tool.find_call(call("beta.add", '{"a": 1, "b": 1}'))).ok


def test_find_call_needs_a_complete_call(tool):
    assert tool.find_call("<tool_call><tool_name>x</tool_name>") is None
    assert tool.find_call("no call here") is None


def test_server_specs():
    assert MCPServerSpec.parse("http://127.0.0.1:1/mcp").url == "http://127.0.0.1:1/mcp"
    assert MCPServerSpec.parse("python -m srv --x 1").args == ("-m", "srv", "--x", "1")
    with pytest.raises(ValueError):
        MCPServerSpec.parse("")
    with pytest.raises(ValueError):
        MCPTool({})


def test_unreachable_server_is_an_observation():
    broken = MCPTool(
        [[sys.executable, "-c", "pass"]] and {"x": f"{sys.executable} -c pass"}, connect_timeout=20
    )
    result = broken.execute(broken.find_call(call("add")))
    assert not result.ok and "could not connect" in result.observation
    broken.close()


def test_mcp_tool_in_an_episode():
    env = apply_wrappers(
        gem_gymnasium.make("gem/GuessTheNumber-v0"),
        "mcp_tool,concat_with_action",
        mcp_servers={
            "main": [sys.executable, SERVER] and {"command": sys.executable, "args": [SERVER]}
        },
    )
    try:
        obs, _ = env.reset(seed=0)
        assert "- add: Add two integers." in obs
        obs, _, terminated, _, info = env.step(call("add", '{"a": 7, "b": 3}'))
        assert not terminated and info["use_tool"] and "<tool_response>\n10\n" in obs
        clone = pickle.loads(pickle.dumps(env.unwrapped))
        assert clone is not None
    finally:
        env.close()
