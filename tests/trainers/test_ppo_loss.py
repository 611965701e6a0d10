"""The PPO loss on a hand example, and micro-batch planning."""

from __future__ import annotations

import math

import pytest
import torch

from gem_gymnasium.trainers.ppo import plan_microbatches, ppo_loss


def _t(*rows):
    return torch.tensor(rows, dtype=torch.float64)


def test_clipped_surrogate_hand_example():
    # Token 1: ratio 1. Token 2: ratio 0.6 / 0.4 = 1.5, clipped to 1.2 for a positive advantage.
    logprobs = _t([math.log(0.5), math.log(0.6)])
    old = _t([math.log(0.5), math.log(0.4)])
    adv = _t([2.0, 2.0])
    mask = _t([1.0, 1.0])
    loss, stats = ppo_loss(
        logprobs, old, old, adv, mask, clip_range=0.2, tis_cap=2.0, loss_divisor=4
    )
    # (-2 * 1) + max(-2 * 1.5, -2 * 1.2) = -2 - 2.4 = -4.4, divided by 4.
    assert loss.item() == pytest.approx(-1.1)
    assert stats["clipfrac"].item() == pytest.approx(0.5)
    assert stats["tis_weight"].item() == pytest.approx(1.0)
    assert stats["approx_kl"].item() == pytest.approx(((1.5 - 1) - math.log(1.5)) / 2)


def test_negative_advantage_clips_from_below_and_mask_drops_tokens():
    logprobs = _t([math.log(0.25), math.log(0.9)])
    old = _t([math.log(0.5), math.log(0.1)])
    adv = _t([-1.0, -1.0])
    loss, _ = ppo_loss(
        logprobs, old, old, adv, _t([1.0, 0.0]), clip_range=0.2, tis_cap=2.0, loss_divisor=1
    )
    # ratio 0.5: max(0.5, 0.8) = 0.8; the second token is masked out.
    assert loss.item() == pytest.approx(0.8)


def test_truncated_importance_weight_is_capped():
    logprobs = old = _t([math.log(0.5)])
    adv, mask = _t([1.0]), _t([1.0])
    rollout = old - math.log(3.0)  # the sampler thought the token 3x less likely
    loss, stats = ppo_loss(
        logprobs, old, rollout, adv, mask, clip_range=0.2, tis_cap=2.0, loss_divisor=1
    )
    assert stats["tis_weight"].item() == pytest.approx(2.0)
    assert loss.item() == pytest.approx(-2.0)
    rollout = old + math.log(2.0)  # below the cap: the weight is exp(old - rollout) = 0.5
    loss, _ = ppo_loss(
        logprobs, old, rollout, adv, mask, clip_range=0.2, tis_cap=2.0, loss_divisor=1
    )
    assert loss.item() == pytest.approx(-0.5)


def test_k3_kl_penalty():
    logprobs = _t([math.log(0.5)])
    ref = _t([math.log(0.25)])
    zero = _t([0.0])
    loss, stats = ppo_loss(
        logprobs,
        logprobs,
        logprobs,
        zero,
        _t([1.0]),
        clip_range=0.2,
        tis_cap=2.0,
        loss_divisor=1,
        ref_logprobs=ref,
        beta=0.1,
    )
    k3 = 0.5 - math.log(0.5) - 1  # exp(ref - lp) - (ref - lp) - 1
    assert stats["kl"].item() == pytest.approx(k3)
    assert loss.item() == pytest.approx(0.1 * k3)


def test_loss_gradient_flows_only_through_logprobs():
    logprobs = _t([math.log(0.5)]).requires_grad_()
    old = _t([math.log(0.5)])
    loss, _ = ppo_loss(
        logprobs, old, old, _t([1.0]), _t([1.0]), clip_range=0.2, tis_cap=2.0, loss_divisor=2
    )
    loss.sum().backward()
    assert logprobs.grad.item() == pytest.approx(-0.5)  # d(-A * ratio)/d logprob / divisor


def test_plan_microbatches_by_count_and_by_token_budget():
    lengths = [10, 50, 20, 40, 30]
    by_count = plan_microbatches(lengths, max_samples=2)
    assert by_count == [[0, 2], [4, 3], [1]]
    by_tokens = plan_microbatches(lengths, max_samples=1, max_tokens=60)
    assert sorted(i for b in by_tokens for i in b) == [0, 1, 2, 3, 4]
    for batch in by_tokens:
        assert len(batch) == 1 or max(lengths[i] for i in batch) * len(batch) <= 60
    assert plan_microbatches([100], max_samples=1, max_tokens=10) == [[0]]  # never dropped
