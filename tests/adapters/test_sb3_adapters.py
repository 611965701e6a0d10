"""Stable-Baselines3 adapters: action lists, masks, featurizers, SB3's checker, vec envs, PPO."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

import gem_gymnasium
from gem_gymnasium.adapters.sb3 import (
    DiscreteActions,
    HashedNgramObservation,
    TokenIdObservation,
    hashed_ngrams,
    make_sb3_env,
    tokenize,
)

GUESS = "gem/GuessTheNumber-Easy-v0"
GUESS_ACTIONS = [f"\\boxed{{{n}}}" for n in range(1, 11)]


def test_tokenize_and_ngrams_are_documented_mapping() -> None:
    assert tokenize("The secret is between 1 and 4.") == [
        "the", "secret", "is", "between", "1", "and", "4", ".",
    ]  # fmt: skip
    features = hashed_ngrams("between 1 and 4", n_features=64, ngram=2)
    assert features.dtype == np.float32 and features.shape == (64,)
    assert set(np.unique(features)) <= {0.0, 1.0}
    assert 1 <= features.sum() <= 7  # 4 words + 3 bigrams, collisions allowed
    # Bigrams keep the order: swapping the bounds changes the vector.
    assert not np.array_equal(
        hashed_ngrams("between 1 and 4", 4096), hashed_ngrams("between 4 and 1", 4096)
    )
    assert hashed_ngrams("", 8).sum() == 0


def test_hashing_does_not_depend_on_the_process() -> None:
    code = (
        "from gem_gymnasium.adapters.sb3 import hashed_ngrams;"
        "print(hashed_ngrams('Your guess 5 is too high', 128).nonzero()[0].tolist())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    expected = hashed_ngrams("Your guess 5 is too high", 128).nonzero()[0].tolist()
    assert outputs == {f"{expected}\n"}


def test_discrete_actions_explicit_list() -> None:
    env = DiscreteActions(gym.make(GUESS), GUESS_ACTIONS)
    assert env.action_space == gym.spaces.Discrete(10)
    assert env.action(np.int64(6)) == "\\boxed{7}"
    with pytest.raises(ValueError, match="outside"):
        env.action(10)
    assert env.action_masks().all()  # GuessTheNumber lists no legal moves: all allowed
    with pytest.raises(ValueError, match="all_actions"):
        DiscreteActions(gym.make(GUESS))
    with pytest.raises(ValueError, match="distinct"):
        DiscreteActions(gym.make(GUESS), ["\\boxed{1}", "\\boxed{1}"])


def test_discrete_actions_from_the_env_with_masks() -> None:
    env = make_sb3_env("gem/KuhnPoker-vsRandom-v0")
    assert env.actions == ["\\boxed{check}", "\\boxed{bet}", "\\boxed{call}", "\\boxed{fold}"]
    env.reset(seed=0)
    assert env.action_masks().tolist() == [True, True, False, False]
    env = make_sb3_env("gem/TicTacToe-vsRandom-v0")
    env.reset(seed=0)
    obs, *_ = env.step(4)  # the centre
    mask = env.action_masks()
    assert not mask[4] and mask.sum() == 7  # the centre and the opponent's cell are gone
    assert obs.shape == (512,)


@pytest.mark.parametrize(
    ("env_id", "actions"),
    [
        (GUESS, GUESS_ACTIONS),
        ("gem/KuhnPoker-vsRandom-v0", None),
        ("gem/TicTacToe-vsScripted-v0", None),
        ("gem/PrisonersDilemma-vsTitForTat-v0", None),
        ("gem/Negotiation-vsRandom-v0", None),
    ],
)
def test_sb3_check_env(env_id: str, actions: list[str] | None) -> None:
    from stable_baselines3.common.env_checker import check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(make_sb3_env(env_id, actions=actions, n_features=128))


def test_token_id_observation() -> None:
    tokenizers = pytest.importorskip("tokenizers")
    vocab = {"[PAD]": 0, "[UNK]": 1} | {w: i + 2 for i, w in enumerate(["guess", "the", "number"])}
    tokenizer = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    env = TokenIdObservation(gym.make(GUESS), tokenizer, max_tokens=8)
    assert env.observation_space == gym.spaces.Box(0, 4, (8,), dtype=np.int64)
    assert env.observation("guess the number").tolist() == [0] * 5 + [2, 3, 4]
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs) and (obs == 1).any()  # long text: last 8 tokens


def test_featurizer_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="n_features"):
        HashedNgramObservation(gym.make(GUESS), n_features=0)
    with pytest.raises(ValueError, match="ngram"):
        HashedNgramObservation(gym.make(GUESS), ngram=0)


@pytest.mark.parametrize("start_method", [None, "spawn"])
def test_make_vec_env(start_method: str | None) -> None:
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    kwargs = {"env_id": "gem/KuhnPoker-vsRandom-v0", "n_features": 64}
    if start_method is None:
        venv = make_vec_env(
            make_sb3_env, n_envs=2, seed=0, env_kwargs=kwargs, vec_env_cls=DummyVecEnv
        )
    else:
        venv = make_vec_env(
            make_sb3_env,
            n_envs=2,
            seed=0,
            env_kwargs=kwargs,
            vec_env_cls=SubprocVecEnv,
            vec_env_kwargs={"start_method": start_method},
        )
    try:
        obs = venv.reset()
        assert obs.shape == (2, 64)
        masks = np.stack(venv.env_method("action_masks"))
        assert masks.shape == (2, 4) and masks[:, :2].all() and not masks[:, 2:].any()
        for _ in range(6):
            obs, rewards, _, _ = venv.step(np.array([1, 1]))
            assert obs.shape == (2, 64) and np.isfinite(rewards).all()
    finally:
        venv.close()


def test_short_ppo_run_learns_something() -> None:
    """A short PPO run on GuessTheNumber-Easy beats random play (about 33%); the real figure
    (at least 90% within 50k steps) comes from bench/bench_sb3.py."""
    torch = pytest.importorskip("torch")
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    torch.set_num_threads(1)
    kwargs = {"env_id": GUESS, "actions": GUESS_ACTIONS, "n_features": 256}
    venv = make_vec_env(make_sb3_env, n_envs=8, seed=0, env_kwargs=kwargs)
    model = PPO(
        "MlpPolicy", venv, n_steps=64, batch_size=128, n_epochs=10, learning_rate=1e-3,
        ent_coef=0.01, seed=0, device="cpu",
    )  # fmt: skip
    model.learn(4096)
    env = make_sb3_env(**kwargs)
    wins = 0
    for episode in range(100):
        obs, _ = env.reset(seed=1000 + episode)
        done = False
        while not done:
            action = int(model.predict(obs, deterministic=True)[0])
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        wins += info["success"]
    assert wins >= 45


def test_maskable_ppo_never_plays_an_illegal_move() -> None:
    pytest.importorskip("sb3_contrib")
    torch = pytest.importorskip("torch")
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.env_util import make_vec_env

    torch.set_num_threads(1)
    kwargs = {"env_id": "gem/TicTacToe-vsRandom-v0", "n_features": 128}
    venv = make_vec_env(make_sb3_env, n_envs=4, seed=0, env_kwargs=kwargs)
    model = MaskablePPO(
        "MlpPolicy", venv, n_steps=32, batch_size=64, n_epochs=2, seed=0, device="cpu"
    )
    model.learn(256)
    env = make_sb3_env(**kwargs)
    for episode in range(10):
        obs, _ = env.reset(seed=episode)
        done = False
        while not done:
            action = int(model.predict(obs, action_masks=env.action_masks())[0])
            obs, _, terminated, truncated, info = env.step(action)
            assert info["valid_action"]
            done = terminated or truncated


def test_registered_ids_are_unchanged_by_the_adapters() -> None:
    assert "gem/GuessTheNumber-Easy-v0" in gem_gymnasium.catalogue()
