"""The ``gem-gym`` command.

Each subcommand lives in a module that exposes ``add_parser(subparsers)``; the parser it adds sets
``func`` (called with the parsed arguments, returning an exit code). Subcommand modules import
nothing heavy at module level, so ``gem-gym list`` stays instant.

Mistakes of the user (an unknown id or wrapper, a missing extra) print one line and exit with
status 2, like argparse's own usage errors; any other failure prints one line and exits with 1.
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

import gymnasium as gym

from gem_gymnasium import __version__
from gem_gymnasium.commands import CommandError
from gem_gymnasium.extras import as_missing_extra

#: Modules that add a subcommand, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "gem_gymnasium.commands.list_envs",
    "gem_gymnasium.commands.play",
    "gem_gymnasium.commands.play_multiagent",
    "gem_gymnasium.commands.check",
    "gem_gymnasium.commands.view",
    "gem_gymnasium.trainers.cli",
)

#: Exit status of a usage mistake (argparse uses it too) and of an interrupted command.
USAGE_ERROR, INTERRUPTED = 2, 130

_DEBUG_HELP = "show Python tracebacks on errors"


def build_parser() -> argparse.ArgumentParser:
    """The full ``gem-gym`` parser."""
    parser = argparse.ArgumentParser(
        prog="gem-gym", description="LLM-agent environments for Gymnasium and PettingZoo."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", dest="show_traceback", action="store_true", help=_DEBUG_HELP)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parser(subparsers)
    # `--debug` after the subcommand too; `train` has its own (verbose logging), honoured below.
    for subparser in subparsers.choices.values():
        if "--debug" not in subparser._option_string_actions:
            subparser.add_argument(
                "--debug",
                dest="show_traceback",
                action="store_true",
                default=argparse.SUPPRESS,
                help=_DEBUG_HELP,
            )
    return parser


def _fail(message: str, status: int) -> int:
    first, *rest = message.strip().splitlines() or [""]
    print(f"gem-gym: error: {first}", file=sys.stderr)
    for line in rest:
        print(f"  {line}", file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gem-gym`` console script."""
    args = build_parser().parse_args(argv)
    if args.show_traceback or getattr(args, "debug", False):
        return int(args.func(args) or 0)
    try:
        return int(args.func(args) or 0)
    except CommandError as error:
        return _fail(str(error), USAGE_ERROR)
    except gym.error.Error as error:  # unknown ids, missing extras, ...
        return _fail(str(error), USAGE_ERROR)
    except ModuleNotFoundError as error:
        missing = as_missing_extra(error, f"gem-gym {args.command}")
        if missing is None:
            return _fail(f"{error} (run with --debug for the traceback)", 1)
        return _fail(str(missing), USAGE_ERROR)
    except KeyboardInterrupt:
        print("\ngem-gym: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # e.g. `gem-gym list | head`: the reader has gone
        # Point stdout at devnull so that the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:  # a failure of ours or of a library: one line, --debug for more
        return _fail(f"{type(error).__name__}: {error} (run with --debug for the traceback)", 1)


if __name__ == "__main__":
    sys.exit(main())
