"""``gem-gym check [ID...]``: run the conformance checks and print a pass/fail table."""

from __future__ import annotations

import argparse
import importlib
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="run the conformance checks on environments",
        description="Run every conformance check on the given ids (default: all registered ids).",
    )
    parser.add_argument("env_ids", nargs="*", metavar="ID", help="ids to check (default: all)")
    parser.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first, e.g. one that registers your own envs (repeatable)",
    )
    parser.add_argument("--checks", help="comma-separated subset of checks to run")
    parser.add_argument("--verbose", "-v", action="store_true", help="print each failure in full")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import gem_gymnasium
    from gem_gymnasium.commands import CommandError, check_env_ids
    from gem_gymnasium.testing import CHECKS, run_checks

    if args.imports and "" not in sys.path:
        sys.path.insert(0, "")  # like `python -m`: user modules import from the current folder
    for module in args.imports:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name is None or not module.startswith(error.name):
                raise  # the module exists but one of its own imports is missing
            raise CommandError(
                f"--import {module}: no module named {error.name!r} (run from the folder that "
                "holds it, or install it)"
            ) from error
    env_ids = args.env_ids or list(gem_gymnasium.catalogue())
    check_env_ids(env_ids)  # an unknown id fails once, not once per check
    checks = args.checks.split(",") if args.checks else list(CHECKS)
    unknown = [c for c in checks if c not in CHECKS]
    if unknown:
        raise CommandError(f"unknown checks {unknown}; choose from {', '.join(CHECKS)}")

    width = max(len(i) for i in env_ids)
    print(f"{'id':<{width}}  " + "  ".join(f"{c:<{max(len(c), 4)}}" for c in checks))
    failures = []
    for env_id in env_ids:
        results = run_checks(env_id, checks)
        cells = [f"{('pass' if r.passed else 'FAIL'):<{max(len(r.check), 4)}}" for r in results]
        print(f"{env_id:<{width}}  " + "  ".join(cells), flush=True)
        failures += [r for r in results if not r.passed]
    total = len(env_ids) * len(checks)
    print(f"\n{total - len(failures)} passed, {len(failures)} failed")
    for failure in failures:
        message = failure.error if args.verbose else failure.error.splitlines()[-1][:200]
        print(f"- {failure.env_id} {failure.check}: {message}")
    return 1 if failures else 0
