"""``gem-gym play ID``: a person (or a script on stdin) plays an environment in the terminal."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "play",
        help="play an environment in the terminal (reads actions from stdin)",
        description=(
            "Play ID turn by turn. Each line you type is sent to the environment as the action; "
            "a line containing only '\\' continues the action on the next lines until a line "
            "with only '.' (for multi-line tool calls). Type :random for a random well-formed "
            "action, :quit to stop."
        ),
    )
    parser.add_argument("env_id", metavar="ID", help="a registered id or GEM id")
    parser.add_argument("--seed", type=int, default=None, help="seed of the first episode")
    parser.add_argument("--episodes", type=int, default=1, help="episodes to play")
    parser.add_argument("--wrappers", default="", help='wrapper spec, e.g. "python_tool"')
    parser.set_defaults(func=run)


def _read_action(stream) -> str | None:
    line = stream.readline()
    if not line:
        return None
    line = line.rstrip("\n")
    if line.strip() != "\\":
        return line
    lines = []
    for more in stream:
        if more.rstrip("\n") == ".":
            break
        lines.append(more.rstrip("\n"))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import gem_gymnasium
    from gem_gymnasium.commands import check_env_ids, check_wrappers
    from gem_gymnasium.core import seed_random_moves

    check_env_ids([args.env_id])
    check_wrappers(args.wrappers)
    env = gem_gymnasium.make(args.env_id)
    if args.wrappers:
        from gem_gymnasium.wrappers import apply_wrappers

        env = apply_wrappers(env, args.wrappers)
    interactive = sys.stdin.isatty()
    returns = []
    try:
        for episode in range(args.episodes):
            seed = None if args.seed is None else args.seed + episode
            observation, _ = env.reset(seed=seed)
            if seed is not None:  # :random is reproducible too
                seed_random_moves(env, seed)
            print(observation, flush=True)
            total, done = 0.0, False
            while not done:
                if interactive:
                    print("> ", end="", flush=True)
                action = _read_action(sys.stdin)
                if action is None or action.strip() == ":quit":
                    print("\n(stopped)")
                    return 0
                if action.strip() == ":random":
                    action = getattr(
                        env.unwrapped, "sample_random_action", env.action_space.sample
                    )()
                    print(f"(random action) {action}")
                observation, reward, terminated, truncated, info = env.step(action)
                total += reward
                done = terminated or truncated
                print(f"\n{observation}\n[reward {reward:+.3f} | return {total:+.3f}]", flush=True)
            returns.append(total)
            outcome = "success" if info.get("success") else info.get("reason", "ended")
            print(f"Episode {episode + 1} finished: {outcome}, return {total:+.3f}\n", flush=True)
    finally:
        env.close()
    return 0
