"""The trainer learns: a task whose right answer depends on the observation, per estimator.

A tiny model warm-started on the answer format alone (its answers ignore the observation, so it
is right half the time) must reach 95% held-out success within about a minute of CPU. A flipped
advantage sign, a misplaced response mask, a log-prob mismatch between sampler and learner, or a
weight update that does not reach the sampler each stop it from learning.
"""

from __future__ import annotations

import gymnasium as gym
import pytest

from gem_gymnasium.core import Outcome, TextEnv
from gem_gymnasium.trainers.config import Config
from gem_gymnasium.trainers.ppo import train
from gem_gymnasium.trainers.tracking import read_metrics

ENV_ID = "gem_test/LeftOrRight-v0"
WORDS = ("left", "right")


class LeftOrRight(TextEnv[str]):
    """One turn: the observation names a side, and only that side's answer pays 1."""

    def __init__(self, **kwargs):
        super().__init__(max_turns=1, **kwargs)
        self.side = WORDS[0]

    def _new_episode(self, options):
        self.side = WORDS[self.randint(0, 1)]

    def rules(self) -> str:
        return f"The door is on the {self.side}."

    def describe_state(self) -> str:
        return ""

    def action_prompt(self) -> str:
        return r"Which way? Answer in \boxed{}."

    def parse_move(self, content: str) -> str | None:
        return content if content in WORDS else None

    def play(self, move: str) -> Outcome:
        if move == self.side:
            return Outcome("Correct.", reward=1.0, won=True)
        return Outcome("Wrong way.", lost=True)

    def turn_limit_reward(self) -> float:
        return 0.0

    def sample_random_action(self) -> str:
        return f"\\boxed{{{WORDS[int(self.action_space.np_random.integers(2))]}}}"


gym.register(ENV_ID, entry_point=LeftOrRight)


@pytest.fixture(scope="module")
def format_only_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    from gem_gymnasium.trainers.tiny import build_tiny_model

    path = tmp_path_factory.mktemp("left_or_right") / "model"
    build_tiny_model(
        path, [ENV_ID], warm_start_steps=200, episodes=64, hidden_size=64, vocab_size=300
    )
    return str(path)


@pytest.mark.parametrize(
    ("advantage", "options"),
    [("rebn", {}), ("grpo", {"num_samples": 4}), ("gae", {})],
)
def test_trainer_learns_an_observation_dependent_answer(
    format_only_model, tmp_path, advantage, options
):
    cfg = Config(
        env_id=ENV_ID,
        wrappers="",
        prompt_template="no",
        pretrain=format_only_model,
        output_dir=str(tmp_path),
        run_name=advantage,
        advantage=advantage,
        num_envs=32,
        rollout_batch_size=64,
        train_batch_size=16,
        train_batch_size_per_device=16,
        num_ppo_epochs=4,
        learning_rate=3e-3,
        lr_scheduler="linear",  # settles once learned instead of drifting off
        beta=0.1,  # a KL anchor to the warm start keeps the answer format
        num_iterations=30,
        generate_max_length=8,
        eval_generate_max_length=8,
        eval_steps=30,
        eval_episodes=100,
        **options,
    )
    train(cfg)
    rows = read_metrics(tmp_path / advantage / "metrics.jsonl")
    before, after = rows[0], rows[-1]
    assert before["eval/success_rate"] < 0.8  # the warm start knows the format, not the answer
    assert after["eval/success_rate"] >= 0.95, [r.get("eval/success_rate") for r in rows]
    # The learner's log-probs are the sampler's: the truncated importance weight stays ~1.
    assert rows[1]["losses/tis_weight"] == pytest.approx(1.0, abs=0.02)
