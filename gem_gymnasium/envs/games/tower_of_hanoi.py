"""TowerOfHanoi: move a tower of disks from peg A to peg C, one disk at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.core import Outcome, TextEnv

#: (num_disks, max_turns) drawn from at every reset by the Random preset.
RANDOM_PRESETS: tuple[tuple[int, int], ...] = ((3, 10), (4, 20), (5, 35))

PEGS = ("A", "B", "C")

Move = tuple[str, str]
Pegs = dict[str, list[int]]  # peg -> disk sizes from bottom to top

_FILLER_WORDS = frozenset({"from", "to", "peg", "move"})


def parse_peg_move(content: str) -> Move | None:
    """``"A C"``, ``"a,c"``, ``"A -> C"``, ``"from A to C"`` -> ``("A", "C")``; else ``None``.

    >>> parse_peg_move("A C"), parse_peg_move("b->a"), parse_peg_move("from A to peg C")
    (('A', 'C'), ('B', 'A'), ('A', 'C'))
    >>> parse_peg_move("A D") is None
    True
    """
    # Split into words rather than use one regex: nested optional separators backtrack badly
    # on megabytes of whitespace.
    text = content.upper().replace(",", " ").replace("->", " ").replace("→", " ")
    words = [w for w in text.split() if w.lower() not in _FILLER_WORDS]
    if len(words) == 1 and len(words[0]) == 2:  # "AC"
        words = list(words[0])
    if len(words) != 2 or any(w not in PEGS for w in words):
        return None
    return words[0], words[1]


def check_move(pegs: Mapping[str, Sequence[int]], source: str, target: str) -> str | None:
    """Why moving the top disk of ``source`` onto ``target`` breaks the rules, or ``None``."""
    if source == target:
        return f"the source and target are both peg {source}"
    if not pegs[source]:
        return f"peg {source} is empty"
    if pegs[target] and pegs[target][-1] < pegs[source][-1]:
        return (
            f"disk {pegs[source][-1]} on peg {source} is larger than disk {pegs[target][-1]} "
            f"on peg {target}"
        )
    return None


def legal_moves(pegs: Mapping[str, Sequence[int]]) -> list[Move]:
    """Every move the rules allow, in a fixed order."""
    return [(s, t) for s in PEGS for t in PEGS if check_move(pegs, s, t) is None]


def render_pegs(pegs: Mapping[str, Sequence[int]]) -> str:
    """One line per peg listing its disks from bottom to top (1 is the smallest disk)."""
    return "\n".join(
        f"{peg}: " + (" ".join(map(str, disks)) if disks else "(empty)")
        for peg, disks in pegs.items()
    )


class TowerOfHanoi(TextEnv[Move]):
    r"""Move a tower of ``num_disks`` disks from peg A to peg C.

    ## Description
    Three pegs, A, B and C; the disks, numbered by size (1 is the smallest), start on peg A with
    the largest at the bottom. A move takes the top disk of one peg and puts it on another, never
    on a smaller disk. The tower must end on peg C. The shortest solution takes
    ``2**num_disks - 1`` moves, which every preset's turn limit allows.

    ## Action Space
    Free text (:class:`~gem_gymnasium.spaces.TextSpace`). Only the last ``\boxed{...}`` counts and
    must name the source and target pegs, e.g. ``\boxed{A C}`` (case, a comma, ``->`` or
    ``from A to C`` are accepted). Moving from an empty peg, putting a disk on a smaller one, or
    naming the same peg twice is invalid (the turn is used).

    ## Observation Space
    Text. At reset: the rules and the pegs. After a step: the feedback, every peg's disks from
    bottom to top, the legal moves and the turns left.

    ## Starting State
    Always the full tower on peg A. With ``randomize=True`` (the ``Random`` preset)
    ``(num_disks, max_turns)`` is re-drawn from ``self.np_random`` at every reset from
    ``(3, 10)``, ``(4, 20)`` and ``(5, 35)``.

    ## Rewards
    * 1.0 when the whole tower is on peg C;
    * 0.0 for other moves, valid or invalid;
    * -0.1 for a format error (no pair of pegs A/B/C in a ``\boxed{}``);
    * on the turn that exhausts ``max_turns`` unsolved: the disks on peg C divided by
      ``num_disks``.

    ## Episode End
    Termination: solved, a format error (unless ``end_on_format_error=False``) or the turn limit.
    Truncation: never by the environment itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``; at the end ``success`` and ``reason``
    (``"won"``, ``"format_error"`` or ``"turn_limit"``).

    ## Arguments
    ```python
    gymnasium.make("gem/TowerOfHanoi-v0", num_disks=3, max_turns=10, randomize=False,
                   answer_format=None,
                   format_error_reward=-0.1, end_on_format_error=True, render_mode=None)
    ```
    ``answer_format``: where the move goes (:mod:`~gem_gymnasium.actions`); ``None`` is
    ``"boxed"``; ``"tool_call"`` takes calls of ``move(source, target)``.
    Presets: ``gem/TowerOfHanoi-Easy-v0`` (3 disks, 10 turns), ``-Hard-v0`` (5 disks, 35 turns),
    ``-Random-v0`` (``randomize=True``).

    ## Version History
    * v0: Initial version, GEM's reward scale; naming the same peg twice is invalid.
    """

    move_tools = (
        MoveTool(
            "move",
            "Move the top disk of one peg onto another.",
            (
                Param("source", "choice", "The peg to take the disk from.", ("A", "B", "C")),
                Param("target", "choice", "The peg to put it on.", ("A", "B", "C")),
            ),
        ),
    )

    def __init__(
        self, num_disks: int = 3, max_turns: int = 10, *, randomize: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        if num_disks < 1:
            raise ValueError(f"TowerOfHanoi: num_disks must be >= 1, got {num_disks}")
        self.num_disks = num_disks
        self.randomize = randomize
        self.pegs: Pegs = self._start_pegs()

    def _start_pegs(self) -> Pegs:
        return {"A": list(range(self.num_disks, 0, -1)), "B": [], "C": []}

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        if self.randomize:
            preset = RANDOM_PRESETS[int(self.np_random.integers(len(RANDOM_PRESETS)))]
            self.num_disks, self.max_turns = preset
        self.pegs = self._start_pegs()

    def rules(self) -> str:
        n = self.num_disks
        return (
            f"You are playing Tower of Hanoi with {n} disks, numbered by size (1 is the "
            "smallest), on three pegs A, B and C. All disks start on peg A with the largest at "
            f"the bottom. Move the whole tower to peg C within {self.max_turns} moves (it can be "
            f"done in {2**n - 1}).\n"
            "Each move takes the top disk of one peg and puts it on another peg; a disk may "
            "never rest on a smaller disk. Write a move as the source and target peg, e.g. "
            "\\boxed{A C} moves the top disk of peg A to peg C."
        )

    def describe_state(self) -> str:
        lines = [
            "Pegs (disks from bottom to top):",
            render_pegs(self.pegs),
        ]
        if not self.done:
            moves = ", ".join(f"{s} {t}" for s, t in legal_moves(self.pegs))
            lines.append(f"Legal moves: {moves}. Moves left: {self.max_turns - self.turn}.")
        return "\n".join(lines)

    def action_prompt(self) -> str:
        return r"Enter your move as \boxed{SOURCE TARGET}, for example \boxed{A C}."

    def parse_move(self, content: str) -> Move | None:
        return parse_peg_move(content)

    def play(self, move: Move) -> Outcome | str:
        source, target = move
        problem = check_move(self.pegs, source, target)
        if problem is not None:
            return Outcome(f"Invalid move {source} {target}: {problem}.", valid=False)
        disk = self.pegs[source].pop()
        self.pegs[target].append(disk)
        feedback = f"Moved disk {disk} from peg {source} to peg {target}."
        if len(self.pegs["C"]) == self.num_disks:
            return Outcome(f"{feedback} The whole tower is on peg C!", reward=1.0, won=True)
        return feedback

    def turn_limit_reward(self) -> float:
        return len(self.pegs["C"]) / self.num_disks

    def sample_random_action(self) -> str:
        moves = legal_moves(self.pegs)
        source, target = moves[int(self.action_space.np_random.integers(len(moves)))]
        return f"\\boxed{{{source} {target}}}"

    def draw(self) -> Any:
        """The pegs with their disks."""
        from gem_gymnasium.rendering import pegs_image

        return pegs_image(self.pegs, self.num_disks, caption=self.frame_caption())
