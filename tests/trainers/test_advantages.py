"""Advantage estimators on hand-computed cases, plus properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gem_gymnasium.trainers.advantages import (
    ESTIMATORS,
    TurnBatch,
    discounted_returns,
    gae,
    get_estimator,
    grpo,
    rebn,
)


def test_discounted_returns_restart_at_each_episode():
    # Episode 0: rewards 0, 0, 1; episode 1: 0.5. gamma 0.9.
    ends = np.array([False, False, True, True])
    got = discounted_returns(np.array([0.0, 0.0, 1.0, 0.5]), ends, 0.9)
    np.testing.assert_allclose(got, [0.81, 0.9, 1.0, 0.5])


def test_rebn_normalises_returns_over_all_turns():
    batch = TurnBatch(rewards=[0, 0, 1, 0.5], episode=[0, 0, 0, 1], group=[0, 0, 0, 1])
    adv, returns = rebn(batch, gamma=0.9)
    np.testing.assert_allclose(returns, [0.81, 0.9, 1.0, 0.5])
    mean = (0.81 + 0.9 + 1.0 + 0.5) / 4  # 0.8025
    std = np.sqrt(np.mean((np.array([0.81, 0.9, 1.0, 0.5]) - mean) ** 2))
    np.testing.assert_allclose(adv, (returns - mean) / std, rtol=1e-6)
    raw, _ = rebn(batch, gamma=0.9, normalize=False)
    np.testing.assert_allclose(raw, returns)


def test_rebn_uses_global_statistics():
    batch = TurnBatch(rewards=[1.0, 0.0], episode=[0, 1], group=[0, 1])
    # Another rank contributed returns {3, 3}: global mean 1.75, std sqrt(1.6875).
    other = np.array([6.0, 18.0, 2.0])  # sum, sum of squares, count
    adv, _ = rebn(batch, gamma=1.0, all_reduce=lambda x: x + other)
    std = np.sqrt((1 + 0 + 9 + 9) / 4 - 1.75**2)
    np.testing.assert_allclose(adv, [(1 - 1.75) / std, (0 - 1.75) / std], rtol=1e-6)


def test_grpo_group_baseline_broadcast_to_turns():
    # Group 0: episode A (2 turns, return 1) and B (1 turn, return 0). Group 1: C, D equal.
    batch = TurnBatch(
        rewards=[0, 1, 0, 0.5, 0.5],
        episode=[0, 0, 1, 2, 3],
        group=[0, 0, 0, 1, 1],
    )
    # Dr. GRPO by default: centred only, whatever `normalize` says (the loss divisor is constant).
    for normalize in (True, False):
        centred, returns = grpo(batch, gamma=1.0, normalize=normalize)
        np.testing.assert_allclose(centred, [0.5, 0.5, -0.5, 0, 0], atol=1e-9)
    np.testing.assert_allclose(returns, [1, 1, 0, 0.5, 0.5])
    # The original GRPO also divides by the group's std (group 0: 0.5).
    scaled, _ = grpo(batch, gamma=1.0, std_scale=True)
    np.testing.assert_allclose(scaled, [1, 1, -1, 0, 0], atol=1e-6)
    assert get_estimator("grpo", std_scale=True)(batch, gamma=1.0)[0] == pytest.approx(scaled)


def test_gae_over_turns_hand_example():
    batch = TurnBatch(rewards=[0, 1], episode=[0, 0], group=[0, 0], values=[0.5, 0.8])
    # delta_1 = 1 - 0.8 = 0.2; delta_0 = 0 + 0.8 - 0.5 = 0.3
    adv, targets = gae(batch, gamma=1.0, lam=1.0, normalize=False)
    np.testing.assert_allclose(adv, [0.5, 0.2])
    np.testing.assert_allclose(targets, [1.0, 1.0])
    adv, _ = gae(batch, gamma=1.0, lam=0.5, normalize=False)
    np.testing.assert_allclose(adv, [0.3 + 0.5 * 0.2, 0.2])
    adv, _ = gae(batch, gamma=0.5, lam=1.0, normalize=False)
    # delta_0 = 0 + 0.5 * 0.8 - 0.5 = -0.1; A_0 = -0.1 + 0.5 * 0.2 = 0.0
    np.testing.assert_allclose(adv, [0.0, 0.2], atol=1e-12)


def test_gae_needs_values_and_bad_names_are_errors():
    batch = TurnBatch(rewards=[1.0], episode=[0], group=[0])
    with pytest.raises(ValueError, match="values"):
        gae(batch, gamma=1.0)
    with pytest.raises(ValueError, match="rebn"):
        get_estimator("ppo2")
    with pytest.raises(ValueError, match="contiguous"):
        TurnBatch(rewards=[0, 0, 0], episode=[0, 1, 0], group=[0, 0, 0])
    assert set(ESTIMATORS) == {"rebn", "grpo", "gae"}


episodes_strategy = st.lists(
    st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=5), min_size=2, max_size=8
)


def _batch(episodes, values=None):
    rewards = [r for ep in episodes for r in ep]
    episode = [i for i, ep in enumerate(episodes) for _ in ep]
    return TurnBatch(rewards=rewards, episode=episode, group=episode, values=values)


@settings(max_examples=50, deadline=None)
@given(episodes_strategy, st.floats(0, 1))
def test_rebn_is_standardised(episodes, gamma):
    adv, returns = rebn(_batch(episodes), gamma=gamma)
    if returns.std() > 1e-3:
        assert abs(adv.mean()) < 1e-6
        assert abs(adv.std() - 1) < 1e-3


@settings(max_examples=50, deadline=None)
@given(episodes_strategy, st.floats(0, 1))
def test_gae_with_lambda_one_targets_are_monte_carlo_returns(episodes, gamma):
    n = sum(len(ep) for ep in episodes)
    values = np.linspace(-0.5, 0.5, n)
    batch = _batch(episodes, values)
    _, targets = gae(batch, gamma=gamma, lam=1.0, normalize=False)
    np.testing.assert_allclose(
        targets, discounted_returns(batch.rewards, batch.episode_ends(), gamma), atol=1e-9
    )
