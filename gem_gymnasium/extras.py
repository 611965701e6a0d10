"""Optional dependencies: which extra installs each one, and the one error that says so.

The core needs only gymnasium and numpy; everything else is behind an extra (``setup.cfg``).
Code that needs an optional package imports it through :func:`require` or inside
:func:`optional_imports`, so a missing package always fails the same way: a
:class:`MissingExtra` naming the package, what needed it and the command that installs it.

>>> EXTRA_OF["pettingzoo"], install_command("train")
('pettingzoo', "pip install -e '.[train]'")
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from gymnasium.error import DependencyNotInstalled

__all__ = [
    "EXTRA_OF",
    "MissingExtra",
    "as_missing_extra",
    "install_command",
    "optional_imports",
    "require",
]

#: Top-level import name -> the extra of ``setup.cfg`` that installs it.
EXTRA_OF: dict[str, str] = {
    "pettingzoo": "pettingzoo",
    "stable_baselines3": "sb3",
    "sb3_contrib": "sb3",
    "math_verify": "math",
    "sentence_transformers": "search",
    "faiss": "search",
    "mcp": "mcp",
    "reasoning_gym": "reasoning",
    "datasets": "data",
    "torch": "train",
    "transformers": "train",
    "tokenizers": "train",
    "rich": "train",
    "tensorboard": "train",
    "matplotlib": "train",
    "vllm": "vllm",
    "PIL": "render",
    "moviepy": "render",
}


class MissingExtra(DependencyNotInstalled, ModuleNotFoundError):
    """An optional package is not installed; the message names the extra that installs it.

    It is a :class:`ModuleNotFoundError` too, so ``except ImportError`` still catches it.
    """


def install_command(extra: str) -> str:
    """How to install an extra (the package is installed from its repository until published)."""
    return f"pip install -e '.[{extra}]'"


def _message(module: str, purpose: str, extra: str) -> str:
    return (
        f"{purpose} needs the optional package {module!r}, which is not installed; "
        f"install the [{extra}] extra: {install_command(extra)} (in the repository folder)"
    )


def as_missing_extra(
    error: BaseException, purpose: str, extra: str | None = None
) -> MissingExtra | None:
    """``error`` restated as :class:`MissingExtra` when it is a known optional package missing.

    ``extra`` overrides :data:`EXTRA_OF` where another extra brings the package along (torch
    comes with ``[search]`` too). Returns ``None`` for anything else (another module missing,
    or not an import failure), so callers re-raise the original.
    """
    if isinstance(error, MissingExtra):
        return error
    if not isinstance(error, ModuleNotFoundError) or not error.name:
        return None
    module = error.name.split(".")[0]
    if module not in EXTRA_OF:
        return None
    return MissingExtra(_message(module, purpose, extra or EXTRA_OF[module]), name=module)


@contextmanager
def optional_imports(purpose: str, extra: str | None = None) -> Iterator[None]:
    """Imports inside the block that miss an optional package raise :class:`MissingExtra`.

    ``purpose`` says what needed the package, e.g. ``"multi-agent games"``.
    """
    try:
        yield
    except ModuleNotFoundError as error:
        missing = as_missing_extra(error, purpose, extra)
        if missing is None or missing is error:
            raise
        raise missing from error


def require(module: str, purpose: str, extra: str | None = None) -> ModuleType:
    """Import ``module`` (a key of :data:`EXTRA_OF`, or one of its submodules) for ``purpose``."""
    with optional_imports(purpose, extra):
        return importlib.import_module(module)
