"""One table of environment ids, registered into Gymnasium's registry under ``gem/``.

Ids follow Gymnasium's grammar ``gem/<Name>[-<Preset>]-v<N>``: a *family* is one class, and each
preset is an id over that class with other keyword arguments (``gem/GuessTheNumber-Easy-v0``).
Entry points are ``"module:Class"`` strings, so registering imports nothing heavy. GEM's ids
(``game:GuessTheNumber-v0-easy``, ``math:GSM8K``, ...) are aliases resolved by :func:`make`.

Bump a family's version whenever a change alters results.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

__all__ = ["EnvInfo", "Family", "catalogue", "make", "print_envs", "register", "resolve_id"]

NAMESPACE = "gem"


@dataclass(frozen=True)
class Family:
    """A row of the table: one class, its presets, and the GEM ids that mean the same thing.

    Attributes:
        name: The id's name part, e.g. ``"GuessTheNumber"``.
        entry_point: ``"module:Class"``.
        summary: One line for ``gem-gym list``.
        presets: Preset name (``""`` for the plain id) to constructor keyword arguments.
        gem_ids: GEM id to the preset it names.
        version: The ``-vN`` suffix.
        group: Heading in listings (``"game"``, ``"math"``, ...).
    """

    name: str
    entry_point: str
    summary: str
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: {"": {}})
    gem_ids: Mapping[str, str] = field(default_factory=dict)
    version: int = 0
    group: str = "game"

    def env_id(self, preset: str = "") -> str:
        middle = f"-{preset}" if preset else ""
        return f"{NAMESPACE}/{self.name}{middle}-v{self.version}"


@dataclass(frozen=True)
class EnvInfo:
    """What :func:`catalogue` knows about one registered id."""

    id: str
    entry_point: str
    kwargs: Mapping[str, Any]
    summary: str
    group: str
    gem_ids: tuple[str, ...] = ()


def _game(
    name: str,
    module: str,
    summary: str,
    presets: Mapping[str, Mapping[str, Any]],
    *,
    gem_name: str | None = None,
    gem_suffixes: Mapping[str, str] | None = None,
) -> Family:
    """A game family with GEM's ``game:<Name>-v0[-easy|-hard|-random]`` aliases."""
    stem = f"game:{gem_name or name}-v0"
    suffixes = gem_suffixes or {"Easy": "easy", "Hard": "hard", "Random": "random"}
    gem_ids = {stem: ""} | {f"{stem}-{suffix}": preset for preset, suffix in suffixes.items()}
    return Family(
        name=name,
        entry_point=f"gem_gymnasium.envs.games.{module}",
        summary=summary,
        presets=presets,
        gem_ids=gem_ids,
    )


# --------------------------------------------------------------------------------------------
# The table. Presets follow GEM's parameters (see the environment catalogue).
# --------------------------------------------------------------------------------------------

GAMES: tuple[Family, ...] = (
    _game(
        "GuessTheNumber",
        "guess_the_number:GuessTheNumber",
        "Find a secret integer from higher/lower hints.",
        {
            "": dict(min_number=1, max_number=20, max_turns=10),
            "Easy": dict(min_number=1, max_number=10, max_turns=4),
            "Hard": dict(min_number=1, max_number=50, max_turns=7),
            "Random": dict(randomize=True),
        },
    ),
    _game(
        "Mastermind",
        "mastermind:Mastermind",
        "Deduce a secret code from black/white peg feedback.",
        {
            "": dict(code_length=4, num_numbers=6, max_turns=20),
            "Easy": dict(code_length=2, num_numbers=6, max_turns=10),
            "Hard": dict(code_length=4, num_numbers=8, max_turns=30),
            "Random": dict(randomize=True),
        },
    ),
    _game(
        "Minesweeper",
        "minesweeper:Minesweeper",
        "Reveal every safe cell of a minefield.",
        {
            "": dict(rows=8, cols=8, num_mines=10, max_turns=20),
            "Easy": dict(rows=5, cols=5, num_mines=5, max_turns=25),
            "Hard": dict(rows=8, cols=8, num_mines=12, max_turns=64),
            "Random": dict(randomize=True),
        },
    ),
    _game(
        "Wordle",
        "wordle:Wordle",
        "Guess a hidden English word from per-letter feedback.",
        {
            "": dict(word_length=5, max_turns=20),
            "Easy": dict(word_length=3, max_turns=15),
            "Hard": dict(word_length=5, max_turns=25),
            "Random": dict(randomize=True),
        },
    ),
    _game(
        "FifteenPuzzle",
        "fifteen_puzzle:FifteenPuzzle",
        "Slide numbered tiles into order.",
        {
            "": dict(num_rows=3, max_turns=20),
            "Easy": dict(num_rows=2, max_turns=10),
            "Hard": dict(num_rows=4, max_turns=50),
            "Random": dict(randomize=True),
        },
    ),
    _game(
        "Hangman",
        "hangman:Hangman",
        "Guess a hidden word letter by letter.",
        {
            "": dict(word_length=5, max_turns=20),
            "Easy": dict(word_length=3, max_turns=10),
            "Hard": dict(word_length=7, max_turns=20),
            "Random": dict(randomize=True),
        },
    ),
    _game(
        "Sudoku",
        "sudoku:Sudoku",
        "Fill a Sudoku grid with a unique solution.",
        {
            "": dict(size=9, num_empty=30, max_turns=100),
            "Easy": dict(size=4, num_empty=10, max_turns=15),
            "Hard": dict(size=9, num_empty=47, max_turns=50),
            "Random": dict(randomize=True),
        },
    ),
    _game(
        "TowerOfHanoi",
        "tower_of_hanoi:TowerOfHanoi",
        "Move a tower of disks from peg A to peg C.",
        {
            "": dict(num_disks=3, max_turns=10),
            "Easy": dict(num_disks=3, max_turns=10),
            "Hard": dict(num_disks=5, max_turns=35),
            "Random": dict(randomize=True),
        },
        gem_name="TowerofHanoi",
    ),
    _game(
        "Game2048",
        "game_2048:Game2048",
        "Merge tiles to reach a target tile.",
        {
            "": dict(target_tile=2048, max_turns=1000),
            "Easy": dict(target_tile=64, max_turns=50),
            "Hard": dict(target_tile=512, max_turns=50),
            "Extreme": dict(target_tile=2048, max_turns=100),
            "Random": dict(randomize=True),
        },
        gem_suffixes={
            "Easy": "easy",
            "Hard": "hard",
            "Extreme": "extreme-hard",
            "Random": "random",
        },
    ),
    _game(
        "Sokoban",
        "sokoban:Sokoban",
        "Push every box onto a target.",
        {
            "": dict(room_size=6, num_boxes=3, max_turns=100),
            "Easy": dict(room_size=6, num_boxes=2, max_turns=20),
            "Hard": dict(room_size=8, num_boxes=4, max_turns=50),
            "Random": dict(randomize=True),
        },
    ),
    _game(
        "Crosswords",
        "crosswords:Crosswords",
        "Fill a small crossword from clues.",
        {
            "": dict(num_words=5, max_turns=100),
            "Easy": dict(num_words=3, max_turns=30),
            "Hard": dict(num_words=3, max_turns=40, hard=True),
            "Random": dict(randomize=True),
        },
    ),
    _game(
        "WordSearch",
        "word_search:WordSearch",
        "Find hidden words in a letter grid.",
        {
            "": dict(num_words=5, max_turns=20),
            "Easy": dict(num_words=5, max_turns=20, show_words=True),
            "Hard": dict(num_words=5, max_turns=20, hard=True),
            "Random": dict(randomize=True),
        },
    ),
)

# --- dataset tasks: math, code, QA, reasoning-gym ---------------------------------------------

TASKS: tuple[Family, ...] = ()

# --- multi-agent games (PettingZoo) seen from one seat -------------------------------------------

MULTIAGENT: tuple[Family, ...] = (
    Family(
        name="TicTacToe",
        entry_point="gem_gymnasium.envs.multiagent.single_agent:SingleAgentEnv",
        summary="TicTacToe from seat 0 against a random or win-or-block opponent.",
        presets={
            "vsRandom": dict(game="TicTacToe", opponent="random"),
            "vsScripted": dict(game="TicTacToe", opponent="scripted"),
        },
        group="multiagent",
    ),
    Family(
        name="ConnectFour",
        entry_point="gem_gymnasium.envs.multiagent.single_agent:SingleAgentEnv",
        summary="Connect Four from seat 0 against a random or win-or-block opponent.",
        presets={
            "vsRandom": dict(game="ConnectFour", opponent="random"),
            "vsScripted": dict(game="ConnectFour", opponent="scripted"),
        },
        group="multiagent",
    ),
    Family(
        name="KuhnPoker",
        entry_point="gem_gymnasium.envs.multiagent.single_agent:SingleAgentEnv",
        summary="Kuhn Poker (hidden cards) against a random or value-betting opponent.",
        presets={
            "vsRandom": dict(game="KuhnPoker", opponent="random"),
            "vsScripted": dict(game="KuhnPoker", opponent="scripted"),
        },
        group="multiagent",
    ),
    Family(
        name="PrisonersDilemma",
        entry_point="gem_gymnasium.envs.multiagent.single_agent:SingleAgentEnv",
        summary="Iterated Prisoner's Dilemma with messages against random or tit for tat.",
        presets={
            "vsRandom": dict(game="PrisonersDilemma", opponent="random"),
            "vsTitForTat": dict(game="PrisonersDilemma", opponent="scripted"),
        },
        group="multiagent",
    ),
    Family(
        name="Negotiation",
        entry_point="gem_gymnasium.envs.multiagent.single_agent:SingleAgentEnv",
        summary="Split a pool of items with private values against a random or fair-ish opponent.",
        presets={
            "vsRandom": dict(game="Negotiation", opponent="random"),
            "vsScripted": dict(game="Negotiation", opponent="scripted"),
        },
        group="multiagent",
    ),
)

#: Every family shipped with the package.
FAMILIES: tuple[Family, ...] = (*GAMES, *TASKS, *MULTIAGENT)

_CATALOGUE: dict[str, EnvInfo] = {}
_GEM_ALIASES: dict[str, str] = {}


def register(
    id: str,
    entry_point: str,
    *,
    kwargs: Mapping[str, Any] | None = None,
    summary: str = "",
    group: str = "user",
    gem_ids: tuple[str, ...] = (),
    **spec_kwargs: Any,
) -> None:
    """Register an environment with Gymnasium and list it in :func:`catalogue`.

    Args:
        id: Gymnasium id, e.g. ``"gem/MyGame-v0"`` or ``"mylab/MyGame-v0"``.
        entry_point: ``"module:Class"`` (a string, so nothing is imported until ``make``).
        kwargs: Constructor keyword arguments of this id.
        summary: One line shown by ``gem-gym list``.
        group: Heading in listings.
        gem_ids: Other names that :func:`make` should resolve to this id.
        **spec_kwargs: Passed to :func:`gymnasium.register` (``max_episode_steps``, ...).
    """
    if not isinstance(entry_point, str) or ":" not in entry_point:
        raise ValueError(f"entry_point must be a 'module:Class' string, got {entry_point!r}")
    kwargs = dict(kwargs or {})
    if id not in gym.registry:
        gym.register(id, entry_point=entry_point, kwargs=kwargs, **spec_kwargs)
    _CATALOGUE[id] = EnvInfo(id, entry_point, kwargs, summary, group, tuple(gem_ids))
    for alias in gem_ids:
        _GEM_ALIASES[alias] = id


def register_family(family: Family) -> None:
    """Register every preset of a family."""
    for preset, kwargs in family.presets.items():
        env_id = family.env_id(preset)
        aliases = tuple(g for g, p in family.gem_ids.items() if p == preset)
        register(
            env_id,
            family.entry_point,
            kwargs=kwargs,
            summary=family.summary,
            group=family.group,
            gem_ids=aliases,
        )


def register_all() -> None:
    """Register every family of :data:`FAMILIES` (idempotent)."""
    for family in FAMILIES:
        register_family(family)


def catalogue() -> dict[str, EnvInfo]:
    """Every id registered through this module, in registration order."""
    return dict(_CATALOGUE)


def resolve_id(env_id: str) -> str:
    """The Gymnasium id for ``env_id``: a registered id, a GEM alias, or a bare ``Name-vN``.

    Raises:
        gymnasium.error.UnregisteredEnv: With the closest known ids when nothing matches.
    """
    if env_id in _GEM_ALIASES:
        return _GEM_ALIASES[env_id]
    if env_id in gym.registry:
        return env_id
    if f"{NAMESPACE}/{env_id}" in gym.registry:
        return f"{NAMESPACE}/{env_id}"
    known = [*_CATALOGUE, *_GEM_ALIASES]
    close = difflib.get_close_matches(env_id, known, n=5, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise gym.error.UnregisteredEnv(
        f"No environment named {env_id!r}.{hint} Run `gem-gym list` to see every id."
    )


def make(env_id: str, **kwargs: Any) -> gym.Env:
    """:func:`gymnasium.make` that also accepts GEM's ids and bare names.

    >>> import gem_gymnasium
    >>> env = gem_gymnasium.make("game:GuessTheNumber-v0-easy")
    >>> env.spec.id
    'gem/GuessTheNumber-Easy-v0'
    """
    return gym.make(resolve_id(env_id), **kwargs)


def print_envs(group: str | None = None) -> None:
    """Print every registered id with its summary, grouped (optionally one group only)."""
    print(format_envs(group))


def format_envs(group: str | None = None) -> str:
    """The table that :func:`print_envs` prints."""
    rows = [info for info in _CATALOGUE.values() if group in (None, info.group)]
    width = max((len(info.id) for info in rows), default=2)
    lines: list[str] = []
    current = None
    for info in sorted(rows, key=lambda i: (i.group, i.id)):
        if info.group != current:
            current = info.group
            lines.append(f"\n[{current}]" if lines else f"[{current}]")
        lines.append(f"  {info.id:<{width}}  {info.summary}")
    return "\n".join(lines)
