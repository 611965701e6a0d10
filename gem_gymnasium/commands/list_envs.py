"""``gem-gym list``: every registered id with a one-line description."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("list", help="list the registered environment ids")
    parser.add_argument("--group", help="only this group (game, math, code, qa, rg, multiagent)")
    parser.add_argument(
        "--gem-ids", action="store_true", help="also show GEM's ids that map to each id"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import gem_gymnasium
    from gem_gymnasium.registration import format_envs

    print(format_envs(args.group))
    if args.gem_ids:
        print("\nGEM ids:")
        for info in gem_gymnasium.catalogue().values():
            for alias in info.gem_ids:
                print(f"  {alias:<40} -> {info.id}")
    return 0
