"""Game play of each multi-agent game: rules, hidden information, penalties, messages."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

pytest.importorskip("pettingzoo")

from hypothesis import given, settings
from hypothesis import strategies as st

from gem_gymnasium.envs.multiagent import GAMES, load_game
from gem_gymnasium.envs.multiagent.policies import (
    RandomPolicy,
    play_episode,
    self_play,
)


def play(env: Any, *actions: str) -> None:
    for action in actions:
        env.step(action)


def test_tictactoe_win_and_rewards() -> None:
    env = load_game("TicTacToe").env()
    env.reset(seed=0)
    play(env, r"\boxed{1}", r"\boxed{4}", r"\boxed{2}", r"\boxed{5}")
    assert env.infos["player_0"]["legal_moves"] == [rf"\boxed{{{c}}}" for c in (3, 6, 7, 8, 9)]
    env.step(r"I win with \boxed{3}")
    assert all(env.terminations.values())
    assert env.rewards == {"player_0": 1.0, "player_1": -1.0}
    assert env.infos["player_0"]["success"] and not env.infos["player_1"]["success"]
    assert env.infos["player_1"]["reason"] == "win"
    assert "player_0 wins" in env.observe("player_1")


def test_tictactoe_invalid_move_and_format_error_lose_the_turn() -> None:
    env = load_game("TicTacToe").env()
    env.reset(seed=0)
    env.step(r"\boxed{5}")
    env.step(r"\boxed{5}")  # taken: invalid, turn passes back
    assert env.agent_selection == "player_0"
    assert env.infos["player_1"]["valid_action"] is False
    assert env.infos["player_1"]["format_error"] is False
    assert "taken" in env.observe("player_1")
    env.step("no box at all")
    assert env.agent_selection == "player_1"
    assert env.rewards["player_0"] == pytest.approx(-0.1)
    assert env.infos["player_0"]["format_error"] is True
    assert env.unwrapped.board[1][1] == "X"


def test_end_on_format_error_ends_without_winner() -> None:
    env = load_game("ConnectFour").env(end_on_format_error=True)
    env.reset(seed=0)
    env.step("???")
    assert all(env.terminations.values())
    assert env.rewards == {"player_0": pytest.approx(-0.1), "player_1": 0.0}
    assert env.infos["player_1"]["reason"] == "format_error"


def test_turn_limit_is_a_draw() -> None:
    env = load_game("TicTacToe").env(max_turns=4)
    env.reset(seed=0)
    play(env, "x", "y", "z", "w")
    assert all(env.terminations.values())
    assert env.infos["player_0"]["reason"] == "turn_limit"
    assert not env.infos["player_0"]["success"]


def test_connect_four_vertical_win() -> None:
    env = load_game("ConnectFour").env()
    env.reset(seed=0)
    play(env, *[r"\boxed{1}", r"\boxed{2}"] * 3)
    env.step(r"\boxed{1}")
    assert env.rewards == {"player_0": 1.0, "player_1": -1.0}
    assert "connected four" in env.observe("player_1")


def test_connect_four_full_column_is_invalid() -> None:
    env = load_game("ConnectFour").env(rows=4, cols=4)
    env.reset(seed=0)
    play(env, *[r"\boxed{1}"] * 4)  # alternating X, O: column 1 is now full
    assert r"\boxed{1}" not in env.infos["player_0"]["legal_moves"]
    env.step(r"\boxed{1}")
    assert env.infos["player_0"]["valid_action"] is False
    assert env.agent_selection == "player_1"


def test_kuhn_poker_hides_the_other_card() -> None:
    names = {"J": "Jack", "Q": "Queen", "K": "King"}
    env = load_game("KuhnPoker").env()
    for seed in range(6):
        env.reset(seed=seed)
        cards = env.unwrapped.cards
        for agent, other in (("player_0", "player_1"), ("player_1", "player_0")):
            text = env.observe(agent)
            assert f"Your card: {names[cards[agent]]}" in text
            assert names[cards[other]] not in text.replace("Jack < Queen < King", "")
        play(env, r"\boxed{bet}", r"\boxed{call}")
        text = env.observe("player_0")
        assert "Showdown" in text and names[cards["player_1"]] in text
        winner = max(cards, key=lambda a: "JQK".index(cards[a]))
        assert env.rewards[winner] == 2.0


def test_kuhn_poker_bad_moves_check_or_fold() -> None:
    env = load_game("KuhnPoker").env()
    env.reset(seed=1)
    env.step(r"\boxed{call}")  # nothing to call: invalid, checks instead
    assert env.unwrapped.history == ["check"]
    assert env.infos["player_0"]["valid_action"] is False
    env.step(r"\boxed{RAISE}")  # synonym of bet
    env.step("I give up")  # format error facing a bet: folds
    assert env.unwrapped.history == ["check", "bet", "fold"]
    assert env.rewards == {"player_0": pytest.approx(-1.1), "player_1": 1.0}


def test_prisoners_dilemma_payoffs_and_messages() -> None:
    env = load_game("PrisonersDilemma").parallel_env(max_cycles=3)
    obs, infos = env.reset(seed=0)
    assert "3 rounds" in obs["player_0"] and infos["player_0"]["legal_moves"] == [
        r"\boxed{C}",
        r"\boxed{D}",
    ]
    actions = {
        "player_0": r"<message>let us cooperate</message> \boxed{C}",
        "player_1": r"<message>sure</message> thinking... \boxed{defect}",
    }
    obs, rewards, terms, truncs, infos = env.step(actions)
    assert rewards == {"player_0": 0.0, "player_1": 5.0}
    assert "Message from player_0: let us cooperate" in obs["player_1"]
    assert "thinking" not in obs["player_0"]  # only the message tag is shared
    obs, rewards, *_ = env.step({"player_0": r"\boxed{C}", "player_1": "oops"})
    assert rewards == {"player_0": 0.0, "player_1": pytest.approx(-0.1)}
    obs, rewards, terms, truncs, infos = env.step(
        {"player_0": r"\boxed{D}", "player_1": r"\boxed{D}"}
    )
    assert rewards == {"player_0": 1.0, "player_1": 1.0}
    assert all(terms.values()) and not any(truncs.values())
    assert infos["player_1"]["success"] and not infos["player_0"]["success"]
    assert env.agents == []
    with pytest.raises(RuntimeError, match="reset"):
        env.step({})


def test_prisoners_dilemma_message_is_cut() -> None:
    env = load_game("PrisonersDilemma").parallel_env(max_cycles=2)
    env.reset(seed=0)
    obs, *_ = env.step({"player_0": "<message>" + "a" * 10_000 + r"</message>\boxed{C}"})
    assert len(obs["player_1"]) < 1_000  # a missing action counts as a format error


def test_negotiation_deal_and_private_values() -> None:
    env = load_game("Negotiation").env()
    env.reset(seed=3)
    raw = env.unwrapped
    counts, values = raw.counts, raw.values
    own = ", ".join(
        f"{i}: {v} each"
        for i, v in zip(("books", "hats", "balls"), values["player_0"], strict=True)
    )
    assert own in env.observe("player_0")
    theirs = ", ".join(
        f"{i}: {v} each"
        for i, v in zip(("books", "hats", "balls"), values["player_1"], strict=True)
    )
    assert values["player_0"] != values["player_1"]  # this seed deals different values
    assert theirs not in env.observe("player_0") and own not in env.observe("player_1")
    keep = " ".join(str(c) for c in counts)
    env.step(rf"<message>all mine</message>\boxed{{propose {keep}}}")
    assert "all mine" in env.observe("player_1")
    assert r"\boxed{accept}" in env.infos["player_1"]["legal_moves"]
    env.step(r"\boxed{reject}")
    env.step(r"\boxed{accept}")  # nothing stands any more: invalid
    assert env.infos["player_0"]["valid_action"] is False
    env.step(r"\boxed{propose 0 0 0}")  # player_1 would keep nothing
    env.step(r"\boxed{propose 0 0 0}")  # player_0 counters: it keeps nothing
    env.step(r"\boxed{accept}")  # player_1 accepts the whole pool
    assert all(env.terminations.values())
    assert env.rewards == {"player_0": 0.0, "player_1": 1.0}
    assert env.infos["player_0"]["success"] and env.infos["player_1"]["success"]


def test_negotiation_bad_proposals_are_invalid() -> None:
    env = load_game("Negotiation").env()
    env.reset(seed=0)
    for bad in (r"\boxed{propose 1 1}", r"\boxed{propose 9 0 0}", r"\boxed{propose -1 0 0}"):
        agent = env.agent_selection
        env.step(bad)
        assert env.infos[agent]["valid_action"] is False
        assert env.infos[agent]["format_error"] is False


@pytest.mark.parametrize("name", list(GAMES))
def test_scripted_and_random_policies_finish(name: str) -> None:
    game = load_game(name).env()
    raw = game.unwrapped

    result = self_play(game, RandomPolicy(seed=0), seed=0)
    assert result.steps > 0 and set(result.final_infos) == set(raw.possible_agents)
    assert all("success" in info for info in result.final_infos.values())
    first = play_episode(
        load_game(name).env(), dict.fromkeys(raw.possible_agents, RandomPolicy(1)), seed=5
    )
    again = play_episode(
        load_game(name).env(), dict.fromkeys(raw.possible_agents, RandomPolicy(1)), seed=5
    )
    assert first.transcript == again.transcript and first.returns == again.returns


@pytest.mark.parametrize("name", list(GAMES))
def test_pickle_mid_game(name: str) -> None:
    env = load_game(name).env()
    env.reset(seed=0)
    env.step(env.unwrapped.sample_random_action(env.agent_selection))
    clone = pickle.loads(pickle.dumps(env))
    for agent in env.agents:
        assert clone.observe(agent) == env.observe(agent)


hostile = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", "\\boxed{", "\\boxed{\\boxed{1}", "\\boxed{}" * 500, "\x00\x1b[2J"]),
    st.builds(lambda s: f"\\boxed{{{s}}}", st.text(max_size=30)),
    st.builds(lambda n: f"\\boxed{{propose {n} 1 1}}", st.integers(-(10**20), 10**20)),
)


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(list(GAMES)), actions=st.lists(hostile, min_size=1, max_size=60))
def test_hostile_actions_never_crash(name: str, actions: list[str]) -> None:
    env = load_game(name).env()
    env.reset(seed=0)
    for action in actions:
        if not env.agents:
            env.reset()
        agent = env.agent_selection
        if env.terminations[agent] or env.truncations[agent]:
            env.step(None)
            continue
        env.step(action)
        for a in env.agents:
            assert isinstance(env.observe(a), str)
            assert abs(env.rewards[a]) <= 5.0


@pytest.mark.parametrize("name", list(GAMES))
def test_non_str_action_raises_type_error(name: str) -> None:
    env = load_game(name).env()
    env.reset(seed=0)
    with pytest.raises(TypeError, match="str actions"):
        if name == "PrisonersDilemma":
            env.step(3)
            env.step(4)  # the parallel game sees both actions together
        else:
            env.step(3)
