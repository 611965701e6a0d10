"""Subcommands of ``gem-gym`` (see :mod:`gem_gymnasium.cli`)."""
