r"""Turn-level advantage estimators: pure functions of a batch of finished episodes.

Every turn of a finished episode is one training sample. The estimators see the turns flattened
in episode order (an episode's turns are contiguous, its last turn is terminal) and return one
advantage per turn, which the trainer broadcasts to every token of that turn's response.

* ``rebn``: the discounted return :math:`G_t = r_t + \gamma G_{t+1}` normalised by the batch mean
  and std of all turns' returns ("return batch normalisation", GEM's default).
* ``grpo``: each episode's return :math:`G_0` minus the mean over its group (episodes that started
  from the same state); every turn of the episode gets its episode's value. This is Dr. GRPO's
  estimator, which matches the trainer's constant loss divisor. ``std_scale=True`` also divides
  by the group's std (the original GRPO): groups whose returns barely differ then get advantages
  of full size, which made a run on GuessTheNumber diverge (entropy 0.44 to 2.3).
* ``gae``: generalised advantage estimation over turns with a turn-level value
  :math:`V(s_t)`: :math:`\delta_t = r_t + \gamma V(s_{t+1}) - V(s_t)` (0 after the last turn),
  :math:`A_t = \delta_t + \gamma\lambda A_{t+1}`; the value target is :math:`A_t + V(s_t)`.

``all_reduce`` sums a small float vector over data-parallel ranks, so batch statistics are those of
the global batch; it is the identity in a single process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "ESTIMATORS",
    "TurnBatch",
    "discounted_returns",
    "gae",
    "get_estimator",
    "global_mean_std",
    "grpo",
    "rebn",
]

AllReduce = Callable[[np.ndarray], np.ndarray]
EPS = 1e-8


def _identity(x: np.ndarray) -> np.ndarray:
    return x


@dataclass
class TurnBatch:
    """The turns of finished episodes, flattened in episode order.

    Attributes:
        rewards: ``r_t`` per turn, shape ``[N]``.
        episode: Episode index per turn (turns of one episode are contiguous).
        group: Group index per turn (episodes from one start state share it; GRPO).
        values: ``V(s_t)`` per turn (GAE only).
    """

    rewards: np.ndarray
    episode: np.ndarray
    group: np.ndarray
    values: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.rewards = np.asarray(self.rewards, dtype=np.float64)
        self.episode = np.asarray(self.episode, dtype=np.int64)
        self.group = np.asarray(self.group, dtype=np.int64)
        if self.values is not None:
            self.values = np.asarray(self.values, dtype=np.float64)
        n = len(self.rewards)
        if len(self.episode) != n or len(self.group) != n:
            raise ValueError("rewards, episode and group must have the same length")
        run_starts = np.flatnonzero(np.r_[True, self.episode[1:] != self.episode[:-1]]) if n else []
        if len(np.unique(self.episode)) != len(run_starts):
            raise ValueError("the turns of each episode must be contiguous")

    def episode_ends(self) -> np.ndarray:
        """Boolean mask of each episode's last turn."""
        ends = np.ones(len(self.episode), dtype=bool)
        ends[:-1] = self.episode[1:] != self.episode[:-1]
        return ends


def discounted_returns(rewards: np.ndarray, ends: np.ndarray, gamma: float) -> np.ndarray:
    """``G_t = r_t + gamma * G_{t+1}`` within each episode (``ends`` marks last turns)."""
    returns = np.zeros(len(rewards), dtype=np.float64)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        if ends[t]:
            running = 0.0
        running = rewards[t] + gamma * running
        returns[t] = running
    return returns


def global_mean_std(x: np.ndarray, all_reduce: AllReduce = _identity) -> tuple[float, float]:
    """Mean and (population) std of ``x`` over every rank's values."""
    total, square, count = all_reduce(np.array([x.sum(), (x**2).sum(), x.size], dtype=np.float64))
    if count == 0:
        return 0.0, 0.0
    mean = total / count
    return float(mean), float(np.sqrt(max(square / count - mean**2, 0.0)))


def rebn(
    batch: TurnBatch,
    *,
    gamma: float,
    lam: float = 1.0,
    normalize: bool = True,
    all_reduce: AllReduce = _identity,
) -> tuple[np.ndarray, np.ndarray]:
    """Return batch normalisation: ``(G_t - mean) / std`` over all turns (global batch).

    Returns:
        ``(advantages, returns)``, each of shape ``[N]``.
    """
    del lam
    returns = discounted_returns(batch.rewards, batch.episode_ends(), gamma)
    if not normalize:
        return returns.copy(), returns
    mean, std = global_mean_std(returns, all_reduce)
    return (returns - mean) / (std + EPS), returns


def grpo(
    batch: TurnBatch,
    *,
    gamma: float,
    lam: float = 1.0,
    normalize: bool = True,
    all_reduce: AllReduce = _identity,
    std_scale: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Group baseline: episode return minus its group's mean, over the group's std with
    ``std_scale``. ``normalize`` (batch statistics) does not apply: the group is the baseline.

    Groups never span ranks (a rank plays every episode of its groups), so no reduction is needed.
    """
    del lam, normalize, all_reduce
    ends = batch.episode_ends()
    returns = discounted_returns(batch.rewards, ends, gamma)
    starts = np.r_[True, ends[:-1]] if len(ends) else ends
    episode_return = returns[starts]  # G_0 of each episode
    episode_group = batch.group[starts]
    episode_of_turn = np.cumsum(starts) - 1
    episode_adv = np.zeros_like(episode_return)
    for g in np.unique(episode_group):
        members = episode_group == g
        centred = episode_return[members] - episode_return[members].mean()
        if std_scale:
            centred = centred / (episode_return[members].std() + EPS)
        episode_adv[members] = centred
    return episode_adv[episode_of_turn], returns


def gae(
    batch: TurnBatch,
    *,
    gamma: float,
    lam: float = 0.95,
    normalize: bool = True,
    all_reduce: AllReduce = _identity,
) -> tuple[np.ndarray, np.ndarray]:
    """GAE over turns; returns ``(advantages, value targets)``. Needs ``batch.values``."""
    if batch.values is None:
        raise ValueError("gae needs values: train with a value head (advantage='gae')")
    ends = batch.episode_ends()
    values = batch.values
    advantages = np.zeros(len(values), dtype=np.float64)
    running = 0.0
    for t in range(len(values) - 1, -1, -1):
        next_value = 0.0 if ends[t] else values[t + 1]
        if ends[t]:
            running = 0.0
        delta = batch.rewards[t] + gamma * next_value - values[t]
        running = delta + gamma * lam * running
        advantages[t] = running
    targets = advantages + values
    if normalize:
        mean, std = global_mean_std(advantages, all_reduce)
        advantages = (advantages - mean) / (std + EPS)
    return advantages, targets


Estimator = Callable[..., tuple[np.ndarray, np.ndarray]]

#: Estimator name -> function; the trainer picks one once, by ``Config.advantage``.
ESTIMATORS: dict[str, Estimator] = {"rebn": rebn, "grpo": grpo, "gae": gae}


def get_estimator(name: str, **options: Any) -> Estimator:
    """The estimator called ``name`` with its own ``options`` bound (``std_scale`` for grpo);
    ValueError lists the known ones."""
    try:
        estimator = ESTIMATORS[name]
    except KeyError:
        raise ValueError(
            f"unknown advantage {name!r}; choose one of {sorted(ESTIMATORS)}"
        ) from None
    return functools.partial(estimator, **options) if options else estimator
