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
from gymnasium.envs.registration import parse_env_id

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
            # Only a win pays (no partial credit on the last turn): see the class docstring.
            "WinOnly": dict(min_number=1, max_number=20, max_turns=10, partial_credit=False),
            "Easy-WinOnly": dict(min_number=1, max_number=10, max_turns=4, partial_credit=False),
            "Hard-WinOnly": dict(min_number=1, max_number=50, max_turns=7, partial_credit=False),
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
# Hub-backed ids run on the shipped offline sample unless made with source="hub" (or a path);
# evaluation ids (group "eval") walk their data in order (sequential=True). GEM's visual
# math:Geometry3K is left out: its questions are images, which a text space cannot carry.

_TASK_MODULE = "gem_gymnasium.envs.tasks"

#: Every reasoning-gym task (reasoning-gym 0.1.25), listed here so that registering them does not
#: import reasoning_gym; a test checks this list against reasoning_gym's own registry.
REASONING_GYM_TASKS: tuple[str, ...] = (
    "ab", "acre", "advanced_geometry", "aiw", "arc_1d", "arc_agi", "base_conversion",
    "basic_arithmetic", "bf", "binary_alternation", "binary_matrix", "bitwise_arithmetic",
    "boxnet", "caesar_cipher", "calendar_arithmetic", "chain_sum", "circuit_logic", "codeio",
    "coin_flip", "color_cube_rotation", "complex_arithmetic", "composite", "count_bits",
    "count_primes", "countdown", "course_schedule", "cryptarithm", "decimal_arithmetic",
    "decimal_chain_sum", "dice", "emoji_mystery", "family_relationships", "figlet_font",
    "fraction_simplification", "futoshiki", "game_of_life", "game_of_life_halting", "gcd",
    "graph_color", "group_anagrams", "gsm_symbolic", "intermediate_integration",
    "isomorphic_strings", "jugs", "kakurasu", "knight_swap", "knights_knaves", "largest_island",
    "lcm", "leg_counting", "letter_counting", "letter_jumble", "list_functions", "mahjong_puzzle",
    "manipulate_matrix", "maze", "mini_sudoku", "modulo_grid", "n_queens", "needle_haystack",
    "number_filtering", "number_format", "number_sequence", "number_sorting",
    "palindrome_generation", "palindrome_partitioning", "path_star", "polynomial_equations",
    "polynomial_multiplication", "pool_matrix", "power_function", "prime_factorization",
    "products", "propositional_logic", "puzzle24", "quantum_lock", "ransom_note", "rearc",
    "rectangle_count", "rotate_matrix", "rotten_oranges", "rubiks_cube", "rush_hour",
    "self_reference", "sentence_reordering", "shortest_path", "simple_equations",
    "simple_geometry", "simple_integration", "sokoban", "spell_backward", "spiral_matrix",
    "string_insertion", "string_manipulation", "string_splitting", "string_synthesis", "sudoku",
    "survo", "syllogism", "time_intervals", "tower_of_hanoi", "tsumego", "word_ladder",
    "word_sequence_reversal", "word_sorting", "zebra_puzzles",
)  # fmt: skip


def rg_preset_name(task: str) -> str:
    """``"basic_arithmetic"`` -> ``"BasicArithmetic"`` (the ``gem/RG-<Task>-v0`` part)."""
    return "".join(part[:1].upper() + part[1:] for part in task.split("_"))


def _hub_family(
    name: str,
    module: str,
    summary: str,
    sets: Mapping[str, tuple[str, Mapping[str, Any]]],
    *,
    group: str,
    base: Mapping[str, Mapping[str, Any]] | None = None,
) -> Family:
    """A task family; ``sets`` maps preset name to (GEM id, constructor kwargs)."""
    presets = dict(base or {}) | {preset: kwargs for preset, (_, kwargs) in sets.items()}
    gem_ids = {gem_id: preset for preset, (gem_id, _) in sets.items()}
    return Family(
        name=name,
        entry_point=f"{_TASK_MODULE}.{module}",
        summary=summary,
        presets=presets,
        gem_ids=gem_ids,
        group=group,
    )


def _math_eval(split: str) -> dict[str, Any]:
    return dict(hub_name="axon-rl/math-eval", split=split, sequential=True)


def _search_eval(split: str) -> dict[str, Any]:
    return dict(hub_name="axon-rl/search-eval", split=split, sequential=True)


TASKS: tuple[Family, ...] = (
    _hub_family(
        "Math",
        "math_env:MathEnv",
        "Solve a math problem; \\boxed{} answer graded by symbolic equivalence.",
        {
            "GSM8K": ("math:GSM8K", dict(hub_name="axon-rl/GSM-8k")),
            "MATH12K": ("math:Math12K", dict(hub_name="axon-rl/MATH-12k")),
            "ASDiv2K": ("math:ASDiv2K", dict(hub_name="axon-rl/ASDIV-2k")),
            "MATHLvl3to5": ("math:Math8K-3to5", dict(hub_name="axon-rl/MATH-lvl3to5-8k")),
            "ORZ57K": ("math:Orz57K", dict(hub_name="axon-rl/ORZ-57k")),
            "DeepScaleR40K": ("math:DeepScaleR40K", dict(hub_name="axon-rl/DeepScaleR-40K")),
        },
        group="math",
        base={"": {}},
    ),
    Family(
        name="Math",
        entry_point=f"{_TASK_MODULE}.math_env:ProceduralMathEnv",
        summary="Generated arithmetic and algebra problems (no data needed).",
        presets={"Procedural": {}},
        group="math",
    ),
    _hub_family(
        "Math",
        "math_env:MathEnv",
        "Math evaluation set, walked in order.",
        {
            "MATH500-Eval": ("eval:MATH500", _math_eval("math")),
            "AMC-Eval": ("eval:AMC", _math_eval("amc")),
            "OlympiadBench-Eval": ("eval:OlympiadBench", _math_eval("olympiad_bench")),
            "Minerva-Eval": ("eval:Minerva", _math_eval("minerva")),
            "AIME24-Eval": ("eval:AIME24", _math_eval("aime24")),
        },
        group="eval",
    ),
    _hub_family(
        "Code",
        "code_env:CodeEnv",
        "Write a program that passes stdin/stdout tests in the sandbox.",
        {
            "CodeContest": (
                "code:CodeContest",
                dict(hub_name="axon-rl/CodeContest", split="train"),
            ),
            "Taco8k": ("code:Taco8k", dict(hub_name="axon-rl/TACO-8k", split="train")),
            "PrimeIntellect15k": (
                "code:PrimeIntellect15k",
                dict(hub_name="axon-rl/PrimeIntellect-15k", split="train"),
            ),
        },
        group="code",
        base={"": {}},
    ),
    _hub_family(
        "Code",
        "code_env:CodeEnv",
        "Code evaluation set, walked in order.",
        {
            "CodeContest-Eval": (
                "eval:CodeContest",
                dict(hub_name="axon-rl/CodeContest", split="test", sequential=True),
            ),
        },
        group="eval",
    ),
    _hub_family(
        "QA",
        "qa_env:QAEnv",
        "Answer a question in <answer> tags; exact match after normalisation.",
        {
            "NaturalQuestions": (
                "qa:NaturalQuestions",
                dict(hub_name="axon-rl/NaturalQuestions", split="train", question_key="problem"),
            ),
            "HotpotQA": (
                "qa:HotpotQA",
                dict(hub_name="axon-rl/HotpotQA", split="train", question_key="problem"),
            ),
        },
        group="qa",
        base={"": {}},
    ),
    _hub_family(
        "QA",
        "qa_env:QAEnv",
        "Logical deduction over rules and facts; \\boxed{} true/false answer.",
        {
            f"RuleTaker-d{depth}": (
                f"logic:RuleTaker-d{depth}",
                dict(
                    hub_name=f"axon-rl/RuleTaker-d{depth}-70k", split="train", answer_format="boxed"
                ),
            )
            for depth in (0, 1, 2, 3, 5)
        },
        group="logic",
    ),
    _hub_family(
        "QA",
        "qa_env:QAEnv",
        "Question-answering evaluation set, walked in order.",
        {
            "NQOpen-Eval": (
                "eval:QaOpen",
                dict(
                    hub_name="google-research-datasets/nq_open", split="validation", sequential=True
                ),
            ),
            "2Wiki-Eval": ("eval:2Wiki", _search_eval("2wiki")),
            "PopQA-Eval": ("eval:PopQA", _search_eval("popqa")),
            "TriviaQA-Eval": ("eval:TriviaQA", _search_eval("tq")),
            "HotpotQA-Eval": ("eval:HotpotQA", _search_eval("hotpotqa")),
            "Bamboogle-Eval": ("eval:Bamboogle", _search_eval("bamboogle")),
            "NaturalQuestions-Eval": ("eval:NaturalQuestions", _search_eval("nq")),
            "Musique-Eval": ("eval:Musique", _search_eval("musique")),
        },
        group="eval",
    ),
    _hub_family(
        "RG",
        "reasoning_gym_env:ReasoningGymEnv",
        "A reasoning-gym task, scored by its own scorer.",
        {rg_preset_name(task): (f"rg:{task}", dict(task=task)) for task in REASONING_GYM_TASKS},
        group="reasoning",
    ),
)

# --- multi-agent games (PettingZoo) seen from one seat -------------------------------------------


def _one_seat(game: str, summary: str, *, scripted: str = "vsScripted") -> Family:
    """A multi-agent game played from seat 0 against a random or a scripted opponent."""
    return Family(
        name=game,
        entry_point="gem_gymnasium.envs.multiagent.single_agent:SingleAgentEnv",
        summary=summary,
        presets={
            "vsRandom": dict(game=game, opponent="random"),
            scripted: dict(game=game, opponent="scripted"),
        },
        group="multiagent",
    )


MULTIAGENT: tuple[Family, ...] = (
    _one_seat("TicTacToe", "TicTacToe from seat 0 against a random or win-or-block opponent."),
    _one_seat("ConnectFour", "Connect Four from seat 0 against a random or win-or-block opponent."),
    _one_seat("KuhnPoker", "Kuhn Poker (hidden cards) against a random or value-betting opponent."),
    _one_seat(
        "PrisonersDilemma",
        "Iterated Prisoner's Dilemma with messages against random or tit for tat.",
        scripted="vsTitForTat",
    ),
    _one_seat(
        "Negotiation",
        "Split a pool of items with private values against a random or fair-ish opponent.",
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

    Registering an id again with the same entry point and arguments does nothing; with other
    ones it replaces the id in Gymnasium's registry *and* in the catalogue (Gymnasium warns
    that it overrides), so ``gem-gym list`` and ``gymnasium.make`` always agree.

    Args:
        id: Gymnasium id, ``[namespace/]name[-vN]``, e.g. ``"gem/MyGame-v0"`` or
            ``"mylab/MyGame-v0"``. It may not contain ``:`` (``gymnasium.make`` reads
            ``"module:id"`` as "import module, then make id"); a GEM-style name such as
            ``"game:MyGame-v0"`` goes in ``gem_ids``.
        entry_point: ``"module:Class"`` (a string, so nothing is imported until ``make``).
        kwargs: Constructor keyword arguments of this id.
        summary: One line shown by ``gem-gym list``.
        group: Heading in listings.
        gem_ids: Other names that :func:`make` should resolve to this id.
        **spec_kwargs: Passed to :func:`gymnasium.register` (``max_episode_steps``, ...).

    Raises:
        ValueError: For an id that ``gymnasium.make`` could never make, or an entry point that
            is not a ``"module:Class"`` string.
    """
    _check_id(id)
    if not isinstance(entry_point, str) or ":" not in entry_point:
        raise ValueError(f"entry_point must be a 'module:Class' string, got {entry_point!r}")
    kwargs = dict(kwargs or {})
    if not _registered_as(id, entry_point, kwargs, spec_kwargs):
        gym.register(id, entry_point=entry_point, kwargs=kwargs, **spec_kwargs)
    _CATALOGUE[id] = EnvInfo(id, entry_point, kwargs, summary, group, tuple(gem_ids))
    for alias in gem_ids:
        _GEM_ALIASES[alias] = id


def _check_id(env_id: Any) -> None:
    """Refuse ids that ``gymnasium.make`` would misread or reject."""
    if not isinstance(env_id, str) or not env_id:
        raise ValueError(f"an id must be a non-empty str, got {env_id!r}")
    if ":" in env_id:
        raise ValueError(
            f"id {env_id!r} contains ':', which gymnasium.make reads as 'module:id' (it would "
            f"import a module {env_id.split(':')[0]!r}); register it under a name such as "
            "'mylab/MyGame-v0' and pass GEM-style names in gem_ids=(...)"
        )
    try:
        parse_env_id(env_id)
    except gym.error.Error as error:
        raise ValueError(f"id {env_id!r} is not [namespace/]name[-vN]: {error}") from None


def _registered_as(
    env_id: str, entry_point: str, kwargs: dict[str, Any], spec_kwargs: Mapping[str, Any]
) -> bool:
    """Whether Gymnasium already holds ``env_id`` with exactly these arguments."""
    spec = gym.registry.get(env_id)
    return (
        spec is not None
        and spec.entry_point == entry_point
        and spec.kwargs == kwargs
        and all(getattr(spec, key, None) == value for key, value in spec_kwargs.items())
    )


def register_family(family: Family) -> None:
    """Register every preset of a family.

    Every family is a :class:`~gem_gymnasium.core.TextEnv`, which raises ``ResetNeeded`` itself
    when stepped before ``reset``; Gymnasium's ``OrderEnforcing`` wrapper would only add a layer
    to every step, so it is left out (the passive env checker stays on).
    """
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
            order_enforce=False,
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
