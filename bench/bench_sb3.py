"""PPO (Stable-Baselines3) on text envs through the SB3 adapters: success rate vs env steps.

For each seed: train PPO for ``--steps`` env steps on hashed n-gram observations and a
``Discrete`` action list, then evaluate the greedy policy on ``--eval-episodes`` fresh episodes;
a uniformly random policy over the same action list is the baseline. Prints one row per seed
and the mean and standard deviation over seeds. Torch runs on one thread.

    python bench/bench_sb3.py --seeds 0 1 2 3 4 --steps 50000
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

GUESS_ACTIONS = [f"\\boxed{{{n}}}" for n in range(1, 11)]

#: Benchmarked tasks: id -> (explicit action list or None for the env's own, maskable?)
TASKS = {
    "gem/GuessTheNumber-Easy-v0": (GUESS_ACTIONS, False),
    "gem/KuhnPoker-vsRandom-v0": (None, True),
}


def make_env(env_id: str) -> object:
    from gem_gymnasium.adapters.sb3 import make_sb3_env

    return make_sb3_env(env_id, actions=TASKS[env_id][0], n_features=256, ngram=2)


def evaluate(env_id: str, policy, episodes: int, seed: int) -> tuple[float, float]:
    """(success rate, mean return) of ``policy(obs, mask) -> action`` over fresh episodes."""
    env = make_env(env_id)
    successes, returns = 0, []
    for episode in range(episodes):
        obs, info = env.reset(seed=10_000 * (seed + 1) + episode)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, info = env.step(policy(obs, env.action_masks()))
            total += float(reward)
            done = terminated or truncated
        successes += bool(info.get("success", False))
        returns.append(total)
    return successes / episodes, float(np.mean(returns))


def train(env_id: str, seed: int, steps: int) -> tuple[object, float]:
    import torch
    from stable_baselines3.common.env_util import make_vec_env

    torch.set_num_threads(1)
    _, maskable = TASKS[env_id]
    venv = make_vec_env(make_env, n_envs=8, seed=seed, env_kwargs={"env_id": env_id})
    kwargs = dict(n_steps=128, batch_size=256, n_epochs=10, learning_rate=1e-3, gamma=0.99)
    kwargs |= dict(ent_coef=0.01, seed=seed, verbose=0, device="cpu")
    if maskable:
        from sb3_contrib import MaskablePPO

        model = MaskablePPO("MlpPolicy", venv, **kwargs)
    else:
        from stable_baselines3 import PPO

        model = PPO("MlpPolicy", venv, **kwargs)
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    return model, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--eval-episodes", type=int, default=500)
    args = parser.parse_args()

    for env_id in args.env:
        rng = np.random.default_rng(0)
        n = len(make_env(env_id).actions)

        def random_policy(obs, mask, rng=rng, n=n):
            return int(rng.choice(np.flatnonzero(mask))) if mask.any() else int(rng.integers(n))

        base_success, base_return = evaluate(env_id, random_policy, args.eval_episodes, 99)
        print(f"\n{env_id}: {args.steps} env steps per seed, {args.eval_episodes} eval episodes")
        print(f"random policy: success {base_success:.3f}, mean return {base_return:+.3f}")
        print(f"{'seed':>4}  {'success':>7}  {'return':>7}  {'train s':>7}")
        rows = []
        for seed in args.seeds:
            model, seconds = train(env_id, seed, args.steps)

            def greedy(obs, mask, model=model, masked=TASKS[env_id][1]):
                if masked:
                    return int(model.predict(obs, deterministic=True, action_masks=mask)[0])
                return int(model.predict(obs, deterministic=True)[0])

            success, ret = evaluate(env_id, greedy, args.eval_episodes, seed)
            rows.append((success, ret, seconds))
            print(f"{seed:>4}  {success:7.3f}  {ret:+7.3f}  {seconds:7.1f}")
        cols = list(zip(*rows, strict=True))
        spread = [statistics.stdev(c) if len(c) > 1 else 0.0 for c in cols]
        print(
            f"mean  {statistics.mean(cols[0]):7.3f}  {statistics.mean(cols[1]):+7.3f}  "
            f"{statistics.mean(cols[2]):7.1f}"
        )
        print(f"std   {spread[0]:7.3f}  {spread[1]:7.3f}  {spread[2]:7.1f}")


if __name__ == "__main__":
    main()
