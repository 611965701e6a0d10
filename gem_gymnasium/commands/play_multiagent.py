"""``gem-gym play-ma GAME --seat N``: a person plays one seat of a multi-agent game.

The other seats are played by a built-in opponent (``--opponent random`` or ``scripted``) or,
with ``--opponent human``, by people at the same keyboard (hot seat: each prompt names the seat
to move and shows only what that seat may see).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "play-ma",
        help="play a seat of a multi-agent game (TicTacToe, KuhnPoker, ...) in the terminal",
        description=(
            "Play one seat of a multi-agent game, reading actions from stdin. Type :random for "
            "a random legal move, :legal to list the legal moves, :quit to stop."
        ),
    )
    parser.add_argument(
        "game",
        metavar="GAME",
        help="TicTacToe, ConnectFour, KuhnPoker, PrisonersDilemma or Negotiation",
    )
    parser.add_argument("--seat", type=int, default=0, help="your seat (0 moves first)")
    parser.add_argument(
        "--opponent",
        choices=["random", "scripted", "human"],
        default="random",
        help="who plays the other seats (human: hot seat)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the first episode")
    parser.add_argument("--episodes", type=int, default=1, help="episodes to play")
    parser.set_defaults(func=run)


def _ask(prompt: str, legal: list[str], sample: Any) -> str | None:
    """One action from stdin; handles the :random, :legal and :quit commands."""
    from gem_gymnasium.commands.play import _read_action

    while True:
        if sys.stdin.isatty():
            print(prompt, end="", flush=True)
        action = _read_action(sys.stdin)
        if action is None or action.strip() == ":quit":
            return None
        if action.strip() == ":legal":
            print("Legal moves: " + (" ".join(legal) or "(none listed)"), flush=True)
            continue
        if action.strip() == ":random":
            action = sample()
            print(f"(random action) {action}", flush=True)
        return action


def _play_vs_bots(args: argparse.Namespace) -> int:
    from gem_gymnasium.envs.multiagent.single_agent import SingleAgentEnv

    env = SingleAgentEnv(args.game, opponent=args.opponent, seat=args.seat)
    for episode in range(args.episodes):
        seed = None if args.seed is None else args.seed + episode
        observation, info = env.reset(seed=seed)
        print(observation, flush=True)
        total, done = 0.0, False
        while not done:
            action = _ask("> ", info["legal_moves"], env.sample_random_action)
            if action is None:
                print("\n(stopped)")
                return 0
            observation, reward, terminated, truncated, info = env.step(action)
            total += reward
            done = terminated or truncated
            print(f"\n{observation}\n[reward {reward:+.3f} | return {total:+.3f}]", flush=True)
        reason = info.get("reason", "ended")
        outcome = f"success ({reason})" if info.get("success") else f"no success ({reason})"
        print(f"Episode {episode + 1} finished: {outcome}, return {total:+.3f}\n", flush=True)
    return 0


def _play_hot_seat(args: argparse.Namespace) -> int:
    from gem_gymnasium.envs.multiagent import load_game
    from gem_gymnasium.envs.multiagent.policies import as_aec

    module = load_game(args.game)
    env = as_aec(module.parallel_env() if hasattr(module, "parallel_env") else module.env())
    for episode in range(args.episodes):
        env.reset(seed=None if args.seed is None else args.seed + episode)
        returns = dict.fromkeys(env.possible_agents, 0.0)
        for agent in env.agent_iter():
            observation, reward, terminated, truncated, info = env.last()
            returns[agent] += float(reward)
            if terminated or truncated:
                print(f"\n=== {agent}: game over ===\n{observation}", flush=True)
                env.step(None)
                continue
            print(f"\n=== {agent} ===\n{observation}", flush=True)
            action = _ask(
                f"{agent}> ",
                info.get("legal_moves", []),
                lambda agent=agent: env.unwrapped.sample_random_action(agent),
            )
            if action is None:
                print("\n(stopped)")
                return 0
            env.step(action)
        scores = ", ".join(f"{a} {r:+.3f}" for a, r in returns.items())
        print(f"Episode {episode + 1} finished: {scores}\n", flush=True)
    return 0


def run(args: argparse.Namespace) -> int:
    from gem_gymnasium.commands import CommandError
    from gem_gymnasium.envs.multiagent import GAMES

    if args.game not in GAMES:
        raise CommandError(f"unknown game {args.game!r}; choose from {', '.join(GAMES)}")
    if args.opponent == "human":
        return _play_hot_seat(args)
    try:
        return _play_vs_bots(args)
    except ValueError as error:  # a bad seat
        raise CommandError(str(error)) from error
