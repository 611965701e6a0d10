"""The ``gem-gym`` command.

Each subcommand lives in a module that exposes ``add_parser(subparsers)``; the parser it adds sets
``func`` (called with the parsed arguments, returning an exit code). Subcommand modules import
nothing heavy at module level, so ``gem-gym list`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Modules that add a subcommand, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "gem_gymnasium.commands.list_envs",
    "gem_gymnasium.commands.play",
    "gem_gymnasium.commands.play_multiagent",
    "gem_gymnasium.commands.check",
    "gem_gymnasium.trainers.cli",
)


def build_parser() -> argparse.ArgumentParser:
    """The full ``gem-gym`` parser."""
    parser = argparse.ArgumentParser(
        prog="gem-gym", description="LLM-agent environments for Gymnasium and PettingZoo."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gem-gym`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
