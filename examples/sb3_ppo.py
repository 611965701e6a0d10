"""Train Stable-Baselines3 PPO on gem-gymnasium text environments.

SB3 needs numeric spaces, so the text env is adapted (``gem_gymnasium.adapters.sb3``):

* actions: ``Discrete(n)`` over a fixed list of action strings. GuessTheNumber-Easy gets the
  explicit list ``\\boxed{1}`` .. ``\\boxed{10}``; KuhnPoker (a multi-agent game played from one
  seat against a random opponent) enumerates its own moves and masks the illegal ones for
  sb3-contrib's ``MaskablePPO``;
* observations: the text as a binary bag of hashed word 1- and 2-grams (a deterministic,
  documented mapping), which is tabular-friendly for these small games.

Run (about a minute per game on one CPU thread)::

    pip install -e ".[sb3]"                      # in a clone of the repository
    python examples/sb3_ppo.py                   # both games, 30k steps each
    python examples/sb3_ppo.py --game guess --steps 50000
"""

from __future__ import annotations

import argparse

import torch
from sb3_contrib import MaskablePPO
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

from gem_gymnasium.adapters.sb3 import make_sb3_env

GAMES = {
    # name: (env id, explicit actions or None to enumerate, use action masks)
    "guess": ("gem/GuessTheNumber-Easy-v0", [f"\\boxed{{{n}}}" for n in range(1, 11)], False),
    "kuhn": ("gem/KuhnPoker-vsRandom-v0", None, True),
}


def evaluate(model, env_id: str, actions, masked: bool, episodes: int = 200) -> tuple[float, float]:
    """Success rate and mean return of the greedy policy on fresh seeds."""
    env = make_sb3_env(env_id, actions=actions, n_features=256)
    wins, total = 0, 0.0
    for episode in range(episodes):
        obs, _ = env.reset(seed=100_000 + episode)
        done = False
        while not done:
            if masked:
                action, _ = model.predict(obs, deterministic=True, action_masks=env.action_masks())
            else:
                action, _ = model.predict(obs, deterministic=True)
            obs, reward, terminated, truncated, info = env.step(int(action))
            total += float(reward)
            done = terminated or truncated
        wins += bool(info["success"])
    return wins / episodes, total / episodes


def main() -> None:
    parser = argparse.ArgumentParser(description="PPO on gem-gymnasium text envs via SB3")
    parser.add_argument("--game", choices=[*GAMES, "all"], default="all")
    parser.add_argument("--steps", type=int, default=30_000, help="env steps per game")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)

    for name in GAMES if args.game == "all" else [args.game]:
        env_id, actions, masked = GAMES[name]
        venv = make_vec_env(
            make_sb3_env,
            n_envs=8,
            seed=args.seed,
            env_kwargs={"env_id": env_id, "actions": actions, "n_features": 256},
        )
        algo = MaskablePPO if masked else PPO
        model = algo(
            "MlpPolicy",
            venv,
            n_steps=128,
            batch_size=256,
            learning_rate=1e-3,
            ent_coef=0.01,
            seed=args.seed,
            device="cpu",
        )
        before = evaluate(model, env_id, actions, masked)
        model.learn(total_timesteps=args.steps)
        after = evaluate(model, env_id, actions, masked)
        print(
            f"{env_id}: success {before[0]:.2f} -> {after[0]:.2f}, "
            f"mean return {before[1]:+.2f} -> {after[1]:+.2f} after {args.steps} steps"
        )


if __name__ == "__main__":
    main()
