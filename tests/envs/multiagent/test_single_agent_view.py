"""The single-seat Gymnasium views (``gem/<Game>-vs<Opponent>-v0``)."""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import gymnasium as gym
import pytest

pytest.importorskip("pettingzoo")

import gem_gymnasium
from gem_gymnasium.envs.multiagent.single_agent import SingleAgentEnv

MULTIAGENT_IDS = [i.id for i in gem_gymnasium.catalogue().values() if i.group == "multiagent"]


def rollout(env: gym.Env, seed: int, actions: list[str] | None = None) -> list[Any]:
    obs, info = env.reset(seed=seed)
    env.unwrapped.action_space.seed(seed)  # the agent's own random moves
    trace: list[Any] = [obs, info]
    for step in range(200):
        action = actions[step % len(actions)] if actions else env.unwrapped.sample_random_action()
        obs, reward, terminated, truncated, info = env.step(action)
        trace += [action, obs, reward, terminated, info]
        if terminated or truncated:
            break
    return trace


def test_ids_are_registered_and_listed() -> None:
    for name in ("TicTacToe", "ConnectFour", "KuhnPoker", "Negotiation"):
        assert f"gem/{name}-vsRandom-v0" in MULTIAGENT_IDS
    assert "gem/PrisonersDilemma-vsTitForTat-v0" in MULTIAGENT_IDS
    from gem_gymnasium.registration import format_envs

    assert "gem/TicTacToe-vsRandom-v0" in format_envs("multiagent")


@pytest.mark.parametrize("env_id", MULTIAGENT_IDS)
def test_env_checker_and_determinism(env_id: str) -> None:
    from gymnasium.utils.env_checker import check_env

    env = gym.make(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
    first = rollout(gym.make(env_id), seed=7)
    assert rollout(gym.make(env_id), seed=7) == first
    infos = [item for item in first if isinstance(item, dict)]
    assert "success" in infos[-1] and "reason" in infos[-1]


def test_opponent_policy_is_seeded_by_the_env() -> None:
    traces = {
        str(rollout(gym.make("gem/ConnectFour-vsRandom-v0"), s, [r"\boxed{4}"])) for s in range(5)
    }
    assert len(traces) > 1  # different seeds, different opponent moves


def test_callable_opponent_and_seat() -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    def always_first_legal(observation: str, info: dict[str, Any]) -> str:
        seen.append((observation, info))
        return info["legal_moves"][0]

    env = SingleAgentEnv("TicTacToe", opponent=always_first_legal, seat=1)
    obs, info = env.reset(seed=0)
    assert "player_0 placed X on cell 1" in obs and "mark O" in obs
    assert seen and "legal_moves" in seen[0][1]
    obs, _, _, _, info = env.step(r"\boxed{5}")
    assert "player_0 placed X on cell 2" in obs
    assert info["legal_moves"] == [
        r"\boxed{3}",
        r"\boxed{4}",
        r"\boxed{6}",
        r"\boxed{7}",
        r"\boxed{8}",
        r"\boxed{9}",
    ]


def test_win_pays_one_and_loss_minus_one() -> None:
    env = SingleAgentEnv("TicTacToe", opponent=lambda obs, info: info["legal_moves"][-1])
    env.reset(seed=0)  # the opponent fills cells from 9 downwards
    results = [env.step(a) for a in (r"\boxed{1}", r"\boxed{2}", r"\boxed{3}")]
    _, reward, terminated, _, info = results[-1]
    assert terminated and reward == 1.0 and info["success"] and info["reason"] == "win"
    with pytest.raises(gym.error.ResetNeeded, match="the episode has ended"):
        env.step(r"\boxed{4}")
    with pytest.raises(gym.error.ResetNeeded, match="no episode has started"):
        SingleAgentEnv("TicTacToe").step(r"\boxed{1}")


def test_format_error_costs_the_turn_not_the_game() -> None:
    env = SingleAgentEnv("KuhnPoker", opponent="scripted")
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step("I have no idea")
    assert info["format_error"] and not info["valid_action"]
    # The turn became a check; the hand went on, so the reward includes the -0.1 penalty.
    assert env.game.unwrapped.history[0] == "check"
    if not terminated:
        assert reward == pytest.approx(-0.1)
    ended = SingleAgentEnv("KuhnPoker", opponent="scripted", end_on_format_error=True)
    ended.reset(seed=0)
    _, reward, terminated, _, info = ended.step("nothing")
    assert terminated and info["reason"] == "format_error" and reward <= -0.1


def test_scripted_opponents_beat_random_play() -> None:
    def mean_return(env_id: str) -> float:
        env = gym.make(env_id)
        total = 0.0
        for seed in range(30):
            env.reset(seed=seed)
            done = False
            while not done:
                _, reward, terminated, truncated, _ = env.step(env.unwrapped.sample_random_action())
                total += reward
                done = terminated or truncated
        return total / 30

    assert mean_return("gem/TicTacToe-vsScripted-v0") < mean_return("gem/TicTacToe-vsRandom-v0")


def test_pickle_and_snapshot_mid_episode() -> None:
    env = SingleAgentEnv("Negotiation", opponent="scripted")
    env.reset(seed=2)
    everything = " ".join(map(str, env.game.unwrapped.counts))
    env.step(rf"\boxed{{propose {everything}}}")  # the scripted opponent refuses and counters
    assert not env.done
    clone = pickle.loads(pickle.dumps(env))
    state = env.get_state()
    action = env.sample_random_action()
    expected = env.step(action)
    assert clone.step(action) == expected
    env.set_state(state)
    assert env.step(action) == expected


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="seat"):
        SingleAgentEnv("TicTacToe", seat=2)
    with pytest.raises(ValueError, match="unknown opponent"):
        SingleAgentEnv("TicTacToe", opponent="minimax")
    with pytest.raises(ValueError, match="unknown multi-agent game"):
        SingleAgentEnv("Chess")
    with pytest.raises(TypeError):
        (SingleAgentEnv("TicTacToe").reset(seed=0) and None) or SingleAgentEnv("TicTacToe").step(1)


def test_game_kwargs_reach_the_game() -> None:
    env = SingleAgentEnv("ConnectFour", game_kwargs={"rows": 5, "cols": 5})
    obs, info = env.reset(seed=0)
    assert "1 2 3 4 5\n" in obs and len(info["legal_moves"]) == 5
    assert len(env.all_actions()) == 5
