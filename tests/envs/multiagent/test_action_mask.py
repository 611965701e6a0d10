"""``info["action_mask"]``: PettingZoo's TerminateIllegalWrapper works on the text games."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

pytest.importorskip("pettingzoo")

from pettingzoo.utils.wrappers import TerminateIllegalWrapper

from gem_gymnasium.envs.multiagent import (
    connect_four,
    kuhn_poker,
    negotiation,
    prisoners_dilemma,
    tictactoe,
)


@pytest.mark.parametrize("module", [tictactoe, connect_four, kuhn_poker, negotiation])
def test_the_mask_marks_the_legal_actions_in_all_actions_order(module) -> None:
    env = module.raw_env()
    env.reset(seed=0)
    actions = env.all_actions()
    for agent in env.agents:
        mask = env.infos[agent]["action_mask"]
        assert isinstance(mask, np.ndarray) and mask.dtype == np.int8
        assert mask.shape == (len(actions),)
        legal = [a for a, flag in zip(actions, mask, strict=True) if flag]
        assert legal == env.infos[agent]["legal_moves"]
        assert mask.legal_actions() == legal
    clone = pickle.loads(pickle.dumps(env.infos[env.agent_selection]["action_mask"]))
    assert clone.legal_actions() == env.infos[env.agent_selection]["legal_moves"]


def test_the_mask_reads_an_action_text_by_its_last_box() -> None:
    env = tictactoe.raw_env()
    env.reset(seed=0)
    mask = env.infos[env.agent_selection]["action_mask"]
    assert mask["I take the centre: \\boxed{5}"] == 1 and mask[4] == 1
    assert mask["\\boxed{ 5 }"] == 1
    assert mask["\\boxed{10}"] == 0 and mask["no box at all"] == 0


def test_terminate_illegal_wrapper_ends_the_game_on_an_illegal_text_move() -> None:
    env = TerminateIllegalWrapper(tictactoe.raw_env(), illegal_reward=-1)
    env.reset(seed=0)
    first = env.agent_selection
    env.step("\\boxed{5}")  # legal
    second = env.agent_selection
    assert second != first and not any(env.terminations.values())
    env.step("\\boxed{5}")  # taken: illegal
    assert all(env.terminations.values())
    assert env.rewards[second] == -1


def test_prisoners_dilemma_masks_both_moves_while_playing() -> None:
    env = prisoners_dilemma.parallel_env()
    _, infos = env.reset(seed=0)
    for info in infos.values():
        assert info["action_mask"].tolist() == [1, 1]
        assert info["action_mask"].legal_actions() == ["\\boxed{C}", "\\boxed{D}"]
