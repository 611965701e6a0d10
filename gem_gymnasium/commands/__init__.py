"""Subcommands of ``gem-gym`` (see :mod:`gem_gymnasium.cli`), and the checks they share.

A subcommand raises :class:`CommandError` for a mistake of its user (an unknown id, a bad
option value); ``gem-gym`` prints it as one line and exits with status 2.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CommandError", "check_env_ids", "check_wrappers"]


class CommandError(Exception):
    """A mistake in how the command was called; the message says what to do instead."""


def check_env_ids(env_ids: Iterable[str]) -> list[str]:
    """The registered ids of ``env_ids`` (GEM ids resolved); an unknown id is a CommandError."""
    import gymnasium as gym

    from gem_gymnasium.registration import resolve_id

    resolved = []
    for env_id in env_ids:
        try:
            resolved.append(resolve_id(env_id))
        except gym.error.Error as error:
            raise CommandError(str(error)) from error
    return resolved


def check_wrappers(spec: str) -> None:
    """Raise CommandError when the wrapper spec names an unknown wrapper."""
    from gem_gymnasium.wrappers import parse_spec

    try:
        parse_spec(spec)
    except ValueError as error:
        raise CommandError(str(error)) from error
